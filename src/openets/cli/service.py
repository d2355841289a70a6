"""``openets serve`` and ``openets users create | grant | password | revoke``."""

from __future__ import annotations

import sys

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, acting, clock, emit, engine, run
from openets.cli.grants import ActingPartyOpt, PersonOpt, grant
from openets.cli.session import acting_or_bootstrap
from openets.core.actor import Role
from openets.core.settings import export, setting

users = typer.Typer(no_args_is_help=True)


def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), db: str | None = DbOpt,
          workers: int = typer.Option(1, min=1, max=64, help="Worker processes (PostgreSQL; they need one "
                                      "$OPENETS_SECRET to accept each other's tokens).")) -> None:
    """Start the API (OpenAPI documentation at /docs) and the dashboard (/) on the embedded default or
    PostgreSQL. $OPENETS_NOW fixes the market clock (e.g. to browse the demo year in its own time)."""

    def go() -> None:

        import uvicorn

        from openets.api.app import create_app
        from openets.services.database import database_url

        at = clock()  # a malformed $OPENETS_NOW is refused here, before any worker starts
        if workers == 1:
            # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from loopback; the
            # service reads it itself, only when $OPENETS_TRUST_FORWARDED says a proxy sets it
            uvicorn.run(create_app(engine(db), clock=at), host=host, port=port, log_level="info", proxy_headers=False)
            return
        if not setting("secret"):
            raise Failure("several workers need one OPENETS_SECRET (e.g. $(openssl rand -hex 32))")
        export("database_url", database_url(db))  # each worker builds the app from the environment
        uvicorn.run("openets.api.main:app", host=host, port=port, workers=workers, log_level="info",
                    proxy_headers=False)

    run(go)


@users.command()
def create(name: str, role: Role = typer.Option(...), party: int | None = typer.Option(None),
           market: str | None = typer.Option(None, help="For regulators: the market they regulate."),
           person: str | None = PersonOpt, user: str | None = AsOpt, acting_party: int | None = ActingPartyOpt,
           password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Create a user who represents a party (a regulator: its market's registry) and set their password,
    as an administrator or a regulator of that market. On an empty registry, with no acting user, only
    the first administrator: ``openets users create NAME --role administrator --market BJ --person P``."""

    def go() -> None:
        from openets.services.auth import AuthService, check_password
        from openets.services.registry import RegistryService

        svc = RegistryService(engine(db))
        secret = sys.stdin.readline().rstrip("\n") if password_stdin else None
        if secret is not None:  # refused before the user is created, never a user left without it
            acting_or_bootstrap(svc, user, acting_party)  # who asked, for the refusal's audit row
            check_password(secret)
        pid = grant(svc, user, acting_party, name=name, party=party, role=role, market=market, person=person)
        if secret is not None:
            AuthService(svc).set_password(name, secret)
        emit({"user": name, "party": pid, "role": role.value, "password_set": password_stdin}, as_json)

    run(go)


@users.command("grant")
def grant_role(name: str, role: Role = typer.Option(...), party: int | None = typer.Option(None),
               market: str | None = typer.Option(None, help="For regulators: the market they regulate."),
               user: str | None = AsOpt, acting_party: int | None = ActingPartyOpt,
               db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Let an existing user also act for another party or in another role (they then log in naming it),
    as an administrator or a regulator of that market."""

    def go() -> None:
        from openets.services.registry import RegistryService
        from openets.services.user_queries import user_exists

        svc = RegistryService(engine(db))
        if not user_exists(svc.engine, name):
            raise Failure(f"no user {name!r}: create them first (openets users create)")
        pid = grant(svc, user, acting_party, name=name, party=party, role=role, market=market, person=None)
        emit({"user": name, "party": pid, "role": role.value, "market": market}, as_json)

    run(go)


@users.command()
def password(name: str, user: str | None = AsOpt, acting_party: int | None = ActingPartyOpt,
             db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Set a user's password, read from stdin, as the acting user: one's own, or anyone's as an
    administrator."""

    def go() -> None:
        from openets.services.auth import AuthService, check_password
        from openets.services.registry import RegistryService

        svc = RegistryService(engine(db))
        actor = acting(svc, user, acting_party)
        secret = sys.stdin.readline().rstrip("\n")
        check_password(secret)  # set_password checks it too; refused here before anything is looked up
        AuthService(svc).set_password(name, secret, actor=actor)
        emit({"user": name, "password_set": True}, as_json)

    run(go)


@users.command()
def revoke(name: str, user: str | None = AsOpt, acting_party: int | None = ActingPartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Revoke every token and session of a user, as the acting user: oneself, an administrator, or a
    regulator of the user's market (for the company, investor and verifier users it could grant)."""

    def go() -> None:
        from openets.services.auth import AuthService
        from openets.services.registry import RegistryService

        svc = RegistryService(engine(db))
        actor = acting(svc, user, acting_party)
        emit({"user": name, "revoked": AuthService(svc).revoke(name, actor=actor)}, as_json)

    run(go)
