"""``openets login | logout | whoami``, ``openets users list``, ``openets registry pending`` (what waits
for my approval) and ``openets audit`` (the audit trail, for auditors and regulators)."""

from __future__ import annotations

import sys

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, clock, emit, engine, run
from openets.cli.output import csv_requested
from openets.cli.registry import app as registry_app
from openets.cli.service import users
from openets.cli.session import forget, remember, stored
from openets.core.errors import DomainError
from openets.messages import LANGS, Phrases


def _registry(db: str | None):
    from openets.services.registry import RegistryService

    return RegistryService(engine(db), clock=clock())


def login(user: str = typer.Argument(..., help="Your user name."), party: int | None = PartyOpt,
          password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
          db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Log in: the password is asked for (or read from stdin); the session, for this database, is kept
    in your config directory (readable by you only) and expires after 8 hours."""

    def go() -> None:
        from openets.services.auth import AuthService
        from openets.services.cli_sessions import open_session

        if password_stdin or not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("password", hide_input=True)
        reg = _registry(db)
        s = open_session(AuthService(reg), user, password, party_id=party)
        url = reg.engine.url.render_as_string(hide_password=False)
        path = remember(url, s.user, s.party_id, s.key, s.expires)
        emit({"user": s.user, "party": s.party_id, "expires": s.expires.isoformat(), "session_file": str(path)},
             as_json)

    run(go)


def logout(db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """End this database's session (the server forgets it too)."""

    def go() -> None:
        from openets.services.auth import AuthService
        from openets.services.cli_sessions import close_session

        reg = _registry(db)
        got = forget(reg.engine.url.render_as_string(hide_password=False))
        if got is None:
            raise Failure("not logged in to this database")
        close_session(AuthService(reg), str(got.get("key", "")))
        emit({"user": got.get("user"), "logged_out": True}, as_json)

    run(go)


def whoami(user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The user commands act as here, their role and market, and until when the session lasts."""

    def go() -> None:
        reg = _registry(db)
        me = acting(reg, user, party)
        got = stored(reg.engine.url.render_as_string(hide_password=False)) or {}
        emit({"user": me.user, "party": me.party_id, "role": me.role.value, "market": me.market,
              "expires": got.get("expires") if got.get("user") == me.user else None}, as_json)

    run(go)


@users.command("list")
def users_list(market: str | None = typer.Option(None, help="Only this market's users."), db: str | None = DbOpt,
               as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Every user, the party each acts for (name and unified social credit code), role and market."""

    def go() -> None:
        from openets.services.tasks import list_users

        rows = [{"user": r.user, "role": r.role, "market": r.market, "party": r.party_id, "party_name": r.party,
                 "credit_code": r.registration_id or "—", "password": r.has_password}
                for r in list_users(engine(db), market=market)]
        emit(rows, as_json, title="users")

    run(go)


@registry_app.command()
def pending(user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt,
            lang: str = typer.Option("en", "--lang", help="The words of 'what': en or zh (the catalogue's).")) -> None:
    """What waits for your decision (regulators): transactions awaiting a second regulator (issuance,
    allocation, offset issuance), allocation runs, account requests, verified reports to confirm.
    Your own proposals are marked: you may withdraw them, not approve them."""

    def go() -> None:
        from openets.services.tasks import pending_for

        reg = _registry(db)
        me = acting(reg, user, party)
        if lang not in LANGS:
            raise DomainError("lang_invalid", f"--lang is one of {', '.join(LANGS)}, not {lang!r}")
        tr = Phrases.of(lang)
        tasks = pending_for(reg.engine, me)
        emit([{"kind": x.kind, "id": x.id, "what": x.what(tr), "proposed_by": x.proposed_by,
               "at": x.at.isoformat() if x.at else None, "yours": x.mine, "decide": x.command} for x in tasks],
             as_json, title=f"waiting for {me.user}")

    run(go)


def audit(user_filter: str | None = typer.Option(None, "--user", help="Only this user's rows."),
          action: str | None = typer.Option(None, help="Only actions starting so (e.g. registry, market.place)."),
          since: str | None = typer.Option(None, help="From this time (ISO; Asia/Shanghai unless an offset is given)."),
          until: str | None = typer.Option(None, help="Before this time."),
          limit: int = typer.Option(100, min=1, max=10_000), user: str | None = AsOpt, party: int | None = PartyOpt,
          db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The audit trail, newest first (auditors: everything; regulators: their market's users)."""

    def go() -> None:
        from openets.core.clock import MARKET_TZ, parse_instant
        from openets.services.audit import read_audit

        reg = _registry(db)
        me = acting(reg, user, party)
        total, rows = read_audit(reg.engine, me, user=user_filter, action=action,
                                 since=parse_instant(since, "--since") if since else None,
                                 until=parse_instant(until, "--until") if until else None, limit=limit)
        out = [{"id": r.id, "at": r.at.astimezone(MARKET_TZ).isoformat(timespec="seconds"),
                "market_at": r.market_at.astimezone(MARKET_TZ).isoformat(timespec="seconds") if r.market_at else None,
                "user": r.user, "role": r.role, "source": r.source, "action": r.action, "answer": r.answer,
                "status": r.status, "target": r.target} for r in rows]
        emit(out, as_json, title=f"audit ({len(rows)} of {total})",
             columns=None if as_json or csv_requested.get() else ["id", "at", "market_at", "user", "role", "source", "action", "answer"])

    run(go)
