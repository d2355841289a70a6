"""``openets registry …``: every command takes --json and --db; value-moving ones --as and --key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, clock, emit, engine, run
from openets.cli.grants import ActingPartyOpt, PersonOpt, grant
from openets.core.actor import Role
from openets.core.clock import parse_instant
from openets.core.ids import AccountId, UnitClassId
from openets.core.quantity import parse_tonnes
from openets.core.text import check_text
from openets.registry.commands import (
    Approve,
    Cancel,
    Command,
    Delete,
    Freeze,
    Issue,
    Reject,
    Release,
    Reserve,
    Reversal,
    Surrender,
    Unfreeze,
    Withdraw,
    command,
)
from openets.registry.model import AccountStatus, AccountType, PartyKind, UnitKind

if TYPE_CHECKING:  # the CLI imports services lazily (start-up time)
    from openets.registry.transactions import TxRecord
    from openets.services.registry import RegistryService

app = typer.Typer(no_args_is_help=True)
# approve, issue … are commands of their own, not a kind of transfer: the parser refuses them
Move = Literal["transfer", "allocate", "central_transfer", "auction_delivery", "return_excess"]
HoldKind = Literal["hold", "order", "deposit"]  # registry.commands.Reserve.kind
KeyOpt = typer.Option(None, "--key", help="Idempotency key: a repeat with the same key has no second effect.")


def _svc(db: str | None) -> RegistryService:
    from openets.services.registry import RegistryService

    # the market clock ($OPENETS_NOW where set), as the market's commands: an entry is dated on the
    # clock the exchange and compliance judge it by (the arrival check compares the two)
    return RegistryService(engine(db), clock=clock())


def _txn_view(rec: TxRecord, svc: RegistryService) -> dict[str, object]:
    from openets.services.queries import RegistryQueries

    numbers = RegistryQueries(svc.engine).account_numbers((rec.sender_id, rec.receiver_id))
    return {"txn": rec.id, "type": rec.type.value, "status": rec.status.value, "market": rec.market,
            "quantity": rec.quantity, "from": numbers.get(rec.sender_id or 0),
            "to": numbers.get(rec.receiver_id or 0), "actor": rec.actor_user,
            "approved_by": rec.approved_by, "serials": [list(r) for r in rec.ranges], "at": rec.at.isoformat()}


def _move(db: str | None, user: str | None, party: int | None, op_builder: Callable[[RegistryService], Command],
          as_json: bool) -> None:
    def go() -> None:
        svc = _svc(db)
        actor = acting(svc, user, party)
        op = op_builder(svc)
        outcome = svc.submit(actor, [op])[0]
        assert outcome.record is not None  # submit raises a refusal; a replay returns the first transaction
        view = _txn_view(outcome.record, svc)
        view["replayed"] = outcome.replayed
        emit(view, as_json, title="transaction")

    run(go)


@app.command()
def init(user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
         as_csv: bool = CsvOpt) -> None:
    """Create or upgrade the schema (Alembic) and the markets' government accounts: on a new database
    (no users yet) without an acting user, afterwards as an administrator."""

    def go() -> None:
        from openets.cli.session import administering
        from openets.services.database import upgrade
        from openets.services.registry import RegistryService

        eng = engine(db)
        svc = RegistryService(eng)
        administering(svc, user, party, "initialise or upgrade the registry")
        upgrade(eng)
        created = svc.init_markets()
        emit({"database": str(eng.url.render_as_string(hide_password=True)), "accounts_created": len(created)},
             as_json, title="registry initialised")

    run(go)


@app.command("add-party")
def add_party(kind: PartyKind = typer.Option(...), name: str = typer.Option(...), name_en: str = "",
              market: str | None = None, registration_id: str | None = None, sector: str | None = None,
              region: str | None = None, user: str | None = AsOpt, party: int | None = PartyOpt,
              db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Register a party: covered company (控排企业), investor, verifier, exchange — as an administrator
    (any party) or a regulator (company, investor, verifier parties of its own market)."""

    def go() -> None:
        for what, value in (("--name", name), ("--name-en", name_en), ("--market", market),
                            ("--registration-id", registration_id), ("--sector", sector), ("--region", region)):
            if value is not None:
                check_text(value, what)
        svc = _svc(db)
        emit({"party": svc.register_party(acting(svc, user, party), kind=kind, name=name, name_en=name_en,
                                          market=market, registration_id=registration_id, sector=sector,
                                          region=region)}, as_json)

    run(go)


@app.command("add-user")
def add_user(name: str, role: Role = typer.Option(...), party: int | None = typer.Option(None),
             market: str | None = typer.Option(None, help="For regulators: the market they regulate."),
             person: str | None = PersonOpt, user: str | None = AsOpt, acting_party: int | None = ActingPartyOpt,
             db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Make a user an authorised representative of a party (a regulator: of its market's registry), as an
    administrator (any role) or a regulator (company, investor, verifier users of its market)."""

    def go() -> None:
        pid = grant(_svc(db), user, acting_party, name=name, party=party, role=role, market=market, person=person)
        emit({"user": name, "party": pid, "role": role.value, "market": market, "person": person}, as_json)

    run(go)


@app.command("open-account")
def open_account(market: str = typer.Option(...), type: AccountType = typer.Option(AccountType.HOLDING),
                 number: str | None = None, name: str = "", for_party: int | None = typer.Option(None),
                 user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
                 as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Request an account; the market's regulator approves it with `approve-account`."""

    def go() -> None:
        for what, value in (("--market", market), ("--number", number), ("--name", name)):
            if value is not None:
                check_text(value, what)
        svc = _svc(db)
        acc = svc.request_account(acting(svc, user, party), market=market, type=type, number=number,
                                  name=name, party_id=for_party)
        emit(acc, as_json, title="account requested")

    run(go)


@app.command("approve-account")
def approve_account(numbers: list[str], reject: bool = False, note: str = "", user: str | None = AsOpt,
                    party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Approve (or --reject) account opening requests; the approver differs from the requester."""

    def go() -> None:
        svc = _svc(db)
        actor = acting(svc, user, party)
        emit([svc.decide_account(actor, n, approve=not reject, note=note) for n in numbers], as_json,
             title="accounts")

    run(go)


@app.command("set-status")
def set_status(number: str, status: AccountStatus, note: str = "", user: str | None = AsOpt,
               party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Restrict, suspend, reopen or close an account (regulator)."""

    def go() -> None:
        svc = _svc(db)
        emit(svc.set_account_status(acting(svc, user, party), number, status, note), as_json)

    run(go)


@app.command("create-unit-class")
def create_unit_class(market: str = typer.Option(...), vintage: int = typer.Option(...),
                      kind: UnitKind = typer.Option(UnitKind.ALLOWANCE), cap: str | None = None,
                      standard: str | None = None, project_id: str | None = None, project_type: str | None = None,
                      location: str | None = None, user: str | None = AsOpt, party: int | None = PartyOpt,
                      db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Define allowances of a market and vintage (with their cap) or offset credits of a project."""

    def go() -> None:
        svc = _svc(db)
        emit(svc.create_unit_class(acting(svc, user, party), kind=kind, market=market, vintage=vintage,
                                   cap=parse_tonnes(cap) if cap is not None else None, standard=standard,
                                   project_id=project_id, project_type=project_type, location=location), as_json)

    run(go)


@app.command("create-restriction")
def create_restriction(allowed: list[str] = typer.Option(..., help="Transaction types still allowed."),
                       holder: int | None = None, market: str | None = None, year: int | None = None,
                       expires: str | None = None, note: str = "", user: str | None = AsOpt,
                       party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Define what restricted units may do (e.g. only surrender, by their buyer, for 2016)."""

    def go() -> None:
        svc = _svc(db)
        rid = svc.create_restriction(acting(svc, user, party), allowed_types=allowed, bound_holder=holder,
                                     bound_market=market, bound_year=year,
                                     expires_at=parse_instant(expires) if expires else None, note=note)
        emit({"restriction": rid}, as_json)

    run(go)


def _ids(svc: RegistryService, account: str, unit_class: str) -> tuple[AccountId, UnitClassId]:
    return svc.account(account).id, svc.unit_class(unit_class).id


@app.command()
def issue(unit_class: str, quantity: str, to: str = typer.Option(..., help="The issuance account."),
          restriction: int = 0, key: str | None = KeyOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
          db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Issue new units into an issuance account (never beyond the cap)."""

    def build(svc: RegistryService) -> Command:
        to_id, uc = _ids(svc, to, unit_class)
        return Issue(key=key, to_account=to_id, unit_class=uc, quantity=parse_tonnes(quantity), restriction=restriction)

    _move(db, user, party, build, as_json)


@app.command()
def transfer(unit_class: str, quantity: str, from_: str = typer.Option(..., "--from"),
             to: str = typer.Option(...), type: Move = typer.Option("transfer", help="The kind of move."),
             restriction: int = 0, reservation: int | None = None, key: str | None = KeyOpt,
             user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
             as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Move units between accounts (lowest serials first)."""

    def build(svc: RegistryService) -> Command:
        frm, uc = _ids(svc, from_, unit_class)
        return command(type, key=key, from_account=frm, to_account=svc.account(to).id, unit_class=uc,
                       quantity=parse_tonnes(quantity), restriction=restriction, reservation=reservation)

    _move(db, user, party, build, as_json)


@app.command()
def surrender(unit_class: str, quantity: str, from_: str = typer.Option(..., "--from"),
              year: int = typer.Option(..., help="Compliance year the surrender is for."), restriction: int = 0,
              key: str | None = KeyOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
              db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Surrender (清缴) units for a compliance year into the market's surrender account."""

    def build(svc: RegistryService) -> Command:
        frm, uc = _ids(svc, from_, unit_class)
        return Surrender(key=key, from_account=frm, unit_class=uc, quantity=parse_tonnes(quantity),
                         compliance_year=year, restriction=restriction)

    _move(db, user, party, build, as_json)


@app.command()
def cancel(unit_class: str, quantity: str, from_: str = typer.Option(..., "--from"), delete: bool = False,
           restriction: int = 0, key: str | None = KeyOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Cancel (retire) units voluntarily, or --delete them from a government account (regulator)."""

    def build(svc: RegistryService) -> Command:
        frm, uc = _ids(svc, from_, unit_class)
        return (Delete if delete else Cancel)(key=key, from_account=frm, unit_class=uc,
                                              quantity=parse_tonnes(quantity), restriction=restriction)

    _move(db, user, party, build, as_json)


@app.command()
def reserve(unit_class: str, quantity: str, account: str = typer.Option(...), kind: HoldKind = "hold",
            restriction: int = 0, key: str | None = KeyOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Hold units back (a sell order, an auction deposit); `release` gives them back."""

    def build(svc: RegistryService) -> Command:
        acc, uc = _ids(svc, account, unit_class)
        return Reserve(key=key, account=acc, unit_class=uc, quantity=parse_tonnes(quantity), kind=kind,
                       restriction=restriction)

    _move(db, user, party, build, as_json)


@app.command()
def freeze(unit_class: str, quantity: str, account: str = typer.Option(...), note: str = "", restriction: int = 0,
           key: str | None = KeyOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Freeze units in an account (regulator, e.g. a judicial freeze 司法冻结)."""

    def build(svc: RegistryService) -> Command:
        acc, uc = _ids(svc, account, unit_class)
        return Freeze(key=key, account=acc, unit_class=uc, quantity=parse_tonnes(quantity), note=note,
                      restriction=restriction)

    _move(db, user, party, build, as_json)


@app.command()
def release(reservation: int, quantity: str | None = None, key: str | None = KeyOpt, user: str | None = AsOpt,
            party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Release a reservation, or unfreeze a freeze (regulator)."""
    _move(db, user, party, lambda svc: Release(key=key, reservation=reservation,
                                               quantity=parse_tonnes(quantity) if quantity else None), as_json)


@app.command()
def unfreeze(reservation: int, quantity: str | None = None, key: str | None = KeyOpt, user: str | None = AsOpt,
             party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Unfreeze frozen units (regulator)."""
    _move(db, user, party, lambda svc: Unfreeze(key=key, reservation=reservation,
                                                quantity=parse_tonnes(quantity) if quantity else None), as_json)


@app.command()
def approve(txn: int, reject: bool = False, withdraw: bool = False, key: str | None = KeyOpt,
            user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Approve a transaction awaiting a second person (or --reject it, or --withdraw your own)."""
    decision = Withdraw if withdraw else Reject if reject else Approve
    _move(db, user, party, lambda svc: decision(key=key, txn=txn), as_json)


@app.command()
def reverse(txn: int, note: str = "", key: str | None = KeyOpt, user: str | None = AsOpt,
            party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Reverse an allocation, surrender or deletion by a compensating entry (regulator)."""
    _move(db, user, party, lambda svc: Reversal(key=key, txn=txn, note=note), as_json)


@app.command()
def balance(account: str, as_of: str | None = typer.Option(None, "--as-of", help="ISO date/time (Asia/Shanghai "
                                                                                "if no zone)."),
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Balances of an account by unit class: total, reserved, available — now or as of a past time."""

    def go() -> None:
        from openets.services.queries import RegistryQueries

        rows = RegistryQueries(engine(db)).balances(account, as_of=parse_instant(as_of) if as_of else None)
        emit(rows, as_json, title=f"balances of {account}" + (f" as of {as_of}" if as_of else ""),
             columns=["unit_class", "restriction_id", "total", "reserved", "available"])

    run(go)


@app.command()
def holdings(party: int = typer.Option(..., help="Party id."), db: str | None = DbOpt,
             as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Everything a party holds, account by account."""

    def go() -> None:
        from openets.services.queries import RegistryQueries

        emit(RegistryQueries(engine(db)).holdings(party), as_json, title=f"holdings of party {party}",
             columns=["account", "unit_class", "restriction_id", "total", "reserved", "available"])

    run(go)


LimitKind = Literal["borrowing", "carry_over"]  # services.flexibility.KINDS


def _limit_view(x: Any) -> dict[str, Any]:
    return {"company": x.company, "account": x.account, "kind": x.kind, "year": x.year, "quantity": x.quantity,
            "basis": x.basis}


@app.command("grant-limit")
def grant_limit(company: str = typer.Option(..., help="The company's unified social credit code (registration id)."),
                market: str = typer.Option(...), year: int = typer.Option(..., help="borrowing: the year borrowed "
                                                                                   "for; carry_over: the plan's year."),
                kind: LimitKind = typer.Option(..., help="borrowing or carry_over."), user: str | None = AsOpt,
                party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
                as_csv: bool = CsvOpt) -> None:
    """Grant a company's compliance account its borrowing or carry-over limit, computed from the plan's
    rule (a regulator of the market; granted once, the same answer again); the registry refuses
    surrenders beyond it."""

    def go() -> None:
        from openets.services.flexibility import FlexibilityService
        from openets.services.registry import RegistryService

        check_text(company, "--company")
        check_text(market, "--market")
        svc = RegistryService(engine(db), clock=clock())
        got = FlexibilityService(svc).grant(acting(svc, user, party), kind, market, year, company)
        emit(_limit_view(got), as_json, title="limit")

    run(go)


@app.command()
def limits(account: str, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The borrowing and carry-over limits granted to an account (kind, year, tonnes, how it was computed)."""

    def go() -> None:
        from openets.services.flexibility import FlexibilityService

        check_text(account, "ACCOUNT")
        emit([_limit_view(x) for x in FlexibilityService(_svc(db)).limits(account)], as_json,
             title=f"limits of {account}", columns=["kind", "year", "quantity", "basis"])

    run(go)


@app.command("purge-keys")
def purge_keys(older_than_days: int = typer.Option(30, "--older-than-days", help="At least 7."),
               user: str | None = AsOpt, party: int | None = PartyOpt,
               db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Forget idempotency keys older than N days (≥ 7), as an administrator. Transactions and the journal
    are never purged."""

    def go() -> None:
        svc = _svc(db)
        emit({"purged": svc.purge_idempotency_keys(acting(svc, user, party), older_than_days=older_than_days)},
             as_json)

    run(go)


@app.command()
def history(account: str, limit: int = typer.Option(50, min=1, max=100_000), db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """An account's journal lines, newest first."""

    def go() -> None:
        from openets.services.queries import RegistryQueries

        emit(RegistryQueries(engine(db)).history(account, limit=limit), as_json, title=f"history of {account}")

    run(go)


@app.command()
def trace(unit_class: str, serial: int, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Follow one tonne from issuance to surrender or cancellation."""

    def go() -> None:
        from openets.services.queries import RegistryQueries

        steps = RegistryQueries(engine(db)).trace(unit_class, serial)
        if not steps:
            raise Failure(f"serial {serial} of {unit_class} was never issued")
        emit(steps, as_json, title=f"{unit_class} #{serial}",
             columns=["txn", "type", "to_account", "serials", "actor", "at"])

    run(go)


@app.command()
def totals(db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Per unit class: issued, in circulation, surrendered, cancelled, deleted — and whether they add up."""

    def go() -> None:
        from openets.services.queries import RegistryQueries

        emit([{**_as_dict(x), "conserved": x.conserved} for x in RegistryQueries(engine(db)).totals()], as_json,
             title="totals")

    run(go)


def _as_dict(x: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(x)


# journal, backup and bulk-import commands: registered on `app` by this import (after the ones above,
# so `--help` lists them in the same order)
from openets.cli import registry_admin  # noqa: E402,F401
