"""Bulk import of parties, installations, generating units, accounts, issuances and allocations
from CSV or Excel. Every row is checked first (every bad row named, nothing written); then the rows
are written in chunks of ``chunk_rows``, each chunk one transaction, so other writers wait for one
chunk (well under a second), not for the whole file. Each row is keyed by its natural key (a party's
registration id, or its ref when it has none; an installation's party and name; a unit's
installation and name; an account's number; an issuance's or allocation's client key), so
re-running a file after a crash skips what is there and writes the rest. A file that fits in one
chunk is one transaction (all of it or nothing), without the 0.4 s bound: other writers wait for it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, select

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError
from openets.core.ids import AccountId
from openets.core.quantity import parse_tonnes
from openets.core.text import parse_choice
from openets.registry.commands import Allocate, Issue
from openets.registry.model import GOVERNMENT_ACCOUNTS, AccountType, PartyKind
from openets.services.registry import RegistryService
from openets.services.registry.setup import REGULATOR_PARTIES, authorise_party
from openets.services.tabular import Problems, Row, Schema, read_tables
from openets.storage import tables as t
from openets.storage.db import run_in_transaction

KINDS: dict[str, tuple[str, ...]] = {
    "parties": ("ref", "kind", "name", "name_en", "market", "registration_id", "sector", "region"),
    "installations": ("ref", "party_ref", "name", "county_code", "sector"),
    "generating_units": ("installation_ref", "name", "capacity_mw", "fuel", "cooling", "category"),
    "accounts": ("number", "party_ref", "market", "type", "name"),
    "issuances": ("key", "unit_class", "account", "quantity"),
    "allocations": ("key", "unit_class", "from_account", "account", "quantity"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "parties": ("ref", "kind", "name"),
    "installations": ("ref", "party_ref", "name", "county_code", "sector"),
    "generating_units": ("installation_ref", "name", "capacity_mw", "fuel", "cooling", "category"),
    "accounts": ("number", "party_ref", "market", "type"),
    "issuances": ("key", "unit_class", "account", "quantity"),
    "allocations": ("key", "unit_class", "from_account", "account", "quantity"),
}
# Chinese headers (the file may use either, or both as "编号 / ref")
ZH = {"编号": "ref", "类型": "kind", "名称": "name", "英文名称": "name_en", "市场": "market",
      "统一社会信用代码": "registration_id", "行业": "sector", "地区代码": "region", "企业编号": "party_ref",
      "区县代码": "county_code", "设施编号": "installation_ref", "装机容量": "capacity_mw", "燃料": "fuel",
      "冷却方式": "cooling", "机组类别": "category", "账户号": "number", "账户类型": "type", "业务编号": "key",
      "配额类别": "unit_class", "账户": "account", "转出账户": "from_account", "数量": "quantity"}
SCHEMAS = {k: Schema(KINDS[k], REQUIRED[k], {zh: c for zh, c in ZH.items() if c in KINDS[k]}) for k in KINDS}
ORDER = tuple(KINDS)
# A chunk ends at 2,000 rows or after 0.4 s of writing, whichever comes first: the longest another
# writer then waits. On SQLite the import pauses between chunks for longer than SQLite's busy handler
# sleeps between its polls (100 ms at most), or a waiting writer would keep missing the gap (measured:
# without the pause a 1-tonne issuance waited out a whole 10,000-row import).
DEFAULT_CHUNK_ROWS = 2_000
CHUNK_SECONDS = 0.4
SQLITE_PAUSE_SECONDS = 0.12


def read_file(path: Path, *, kind: str | None = None, encoding: str = "utf-8-sig",
              problems: Problems | None = None) -> dict[str, list[Row]]:
    """The file's rows; with ``problems``, rows bad in themselves are named there for ``check_rows``."""
    return read_tables(path, SCHEMAS, kind=kind, encoding=encoding, problems=problems)


class _Keys:
    """The file's references, resolved to their natural keys (the same on a re-run)."""

    def __init__(self, sheets: dict[str, list[Row]]) -> None:
        self.party = {r.values["ref"]: r.values.get("registration_id") or r.values["ref"]
                      for r in sheets.get("parties", [])}
        self.party_kind = {r.values["ref"]: r.values["kind"] for r in sheets.get("parties", [])}
        self.installation = {r.values["ref"]: (r.values["party_ref"], r.values["name"])
                             for r in sheets.get("installations", [])}
        self.accounts = {r.values["number"] for r in sheets.get("accounts", [])}

    def party_id(self, conn: Connection, ref: str) -> int | None:
        found = conn.execute(select(t.parties.c.id).where(t.parties.c.registration_id == self.party.get(ref, ref))).scalar()
        return None if found is None else int(found)

    def installation_id(self, conn: Connection, ref: str) -> int | None:
        party_ref, name = self.installation[ref]
        pid = self.party_id(conn, party_ref)
        if pid is None:
            return None
        found = conn.execute(select(t.installations.c.id).where(
            t.installations.c.party_id == pid, t.installations.c.name == name)).scalar()
        return None if found is None else int(found)


def check_rows(svc: RegistryService, sheets: dict[str, list[Row]], problems: Problems | None = None,
               actor: Actor | None = None) -> None:
    """Check every row against the file and the database (reads only); name every bad cell under its
    header as written (with those ``read_file`` found), then refuse them all. With ``actor``, each party
    row is also one ``actor`` may register (``authorise_party``): every refused row is named."""
    keys = _Keys(sheets)
    bad = problems if problems is not None else Problems()
    with svc.engine.connect() as conn:
        def known_party(ref: str, what: str = "party") -> str:
            if ref in keys.party_kind:
                return keys.party_kind[ref]
            kind = conn.execute(select(t.parties.c.kind).where(t.parties.c.registration_id == ref)).scalar()
            if kind is None:
                raise DomainError("file_reference", f"{what}: unknown party {ref!r}")
            return str(kind)

        def known_account(number: str, what: str) -> None:
            if number not in keys.accounts and conn.execute(
                    select(t.accounts.c.id).where(t.accounts.c.number == number)).first() is None:
                raise DomainError("file_reference", f"{what}: unknown account {number!r}")

        def unit_class(code: str, what: str) -> None:
            if conn.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == code)).first() is None:
                raise DomainError("file_reference", f"{what}: unknown unit class {code!r}")

        def market(code: str, what: str) -> None:
            try:
                svc.rulebook.market(code)
            except DomainError as exc:
                raise DomainError(exc.code, f"{what}: {exc.message}") from None

        def six_digits(value: str, what: str) -> None:
            if not (len(value) == 6 and value.isdigit()):
                raise DomainError("file_value", f"{what}: {value!r} is not a six-digit GB/T 2260 code")

        def company(ref: str, what: str) -> None:
            if known_party(ref, what) != PartyKind.COMPANY.value:
                raise DomainError("not_a_company", f"{what}: party {ref!r} is not a covered company")

        def installation(ref: str, what: str) -> None:
            if ref not in keys.installation:
                raise DomainError("file_reference", f"{what}: unknown installation {ref!r}")

        def capacity(text: str, what: str) -> None:
            if parse_tonnes(text, what) <= 0:
                raise DomainError("capacity_invalid", f"{what}: capacity must be positive")

        def account_type(text: str, what: str) -> None:
            if parse_choice(AccountType, text, what) in GOVERNMENT_ACCOUNTS:
                raise DomainError("account_type_reserved", f"{what}: {text} accounts are created by the registry itself")

        # each kind's checks, column by column (an optional column left empty is not checked); each
        # check names its column first, as the parsers of core do
        checks: dict[str, dict[str, Callable[[str, str], object]]] = {
            "parties": {"kind": partial(parse_choice, PartyKind), "market": market, "region": six_digits},
            "installations": {"party_ref": company, "county_code": six_digits},
            "generating_units": {"installation_ref": installation, "capacity_mw": capacity},
            "accounts": {"market": market, "type": account_type, "party_ref": known_party},
            "issuances": {"unit_class": unit_class, "account": known_account, "quantity": parse_tonnes},
            "allocations": {"unit_class": unit_class, "from_account": known_account, "account": known_account,
                            "quantity": parse_tonnes},
        }
        refused_rows = 0

        def may_register(row: Row) -> None:
            nonlocal refused_rows
            assert actor is not None
            code = row.values.get("market") or None
            try:
                kind = PartyKind(row.values["kind"])
            except ValueError:
                return  # named by the kind column's check
            if code is not None and code not in svc.rulebook.markets:
                return  # named by the market column's check
            try:
                authorise_party(actor, kind, code)
            except DomainError as exc:
                bad.add(row, "kind" if kind not in REGULATOR_PARTIES else "market", exc.message)
                refused_rows += 1

        unique = {"parties": "ref", "installations": "ref", "accounts": "number", "issuances": "key",
                  "allocations": "key"}
        for kind in ORDER:
            seen: dict[str, str] = {}
            for row in sheets.get(kind, []):
                if kind in unique:
                    col = unique[kind]
                    value = row.values[col]
                    if value in seen:
                        bad.add(row, col, f"{value!r} again (first at {seen[value]})")
                    seen.setdefault(value, row.where)
                for col, check in checks[kind].items():
                    if row.values.get(col):
                        bad.parse(row, col, check)
                if kind == "parties" and actor is not None:
                    may_register(row)
    # only rows the actor may not register: the refusal is theirs (not_authorised), not the file's
    bad.refuse("nothing imported", "not_authorised" if refused_rows and len(bad.lines) == refused_rows else "file_invalid")


def import_rows(svc: RegistryService, actor: Actor, sheets: dict[str, list[Row]], *,
                chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: Callable[[int, int], None] | None = None,
                after_chunk: Callable[[int], None] | None = None, problems: Problems | None = None) -> dict[str, int]:
    """Check every row, then write them in chunks of ``chunk_rows``, one transaction each; rows
    already present (by natural key) are skipped and counted under ``already_present``.
    ``progress(done, total)`` is told after each chunk; ``after_chunk(k)`` too (tests crash there);
    ``problems``: those ``read_file`` found, refused with the rest."""
    actor.require_may_act()
    if chunk_rows < 1:
        raise DomainError("chunk_invalid", f"chunk size must be at least 1 row, not {chunk_rows}")
    # a regulator's party rows are checked row by row in check_rows (which kind, of which market);
    # anyone else who registers nothing at all is refused here, once
    register = [k for k in ("parties", "installations", "generating_units") if sheets.get(k)]
    if register and actor.role not in (Role.REGULATOR, Role.ADMINISTRATOR, Role.SYSTEM):
        raise DomainError("not_authorised", f"{actor.describe()} may not import {', '.join(register)}: "
                          "a regulator or an administrator registers them")
    check_rows(svc, sheets, problems, actor)
    keys = _Keys(sheets)
    counts = {k: 0 for k in ORDER} | {"already_present": 0}
    total = sum(len(sheets.get(k, [])) for k in ORDER)
    pause = SQLITE_PAUSE_SECONDS if svc.engine.dialect.name == "sqlite" else 0.0
    if total <= chunk_rows:  # a file that fits in one chunk is one transaction: all of it lands or nothing
        for kind, used, new in run_in_transaction(svc.engine, partial(_write_whole, svc, actor, keys, sheets)):
            counts[kind] += new
            counts["already_present"] += used - new
        if progress is not None:
            progress(total, total)
        if after_chunk is not None:
            after_chunk(1)
        return counts
    done = chunk = 0
    for kind in ORDER:
        rows = sheets.get(kind, [])
        start = 0
        while start < len(rows):
            part = rows[start:start + chunk_rows]
            used, new = run_in_transaction(svc.engine, partial(_write, svc, actor, keys, kind=kind, rows=part))
            counts[kind] += new
            counts["already_present"] += used - new
            start += used
            done += used
            chunk += 1
            if progress is not None:
                progress(done, total)
            if after_chunk is not None:
                after_chunk(chunk)
            if pause and done < total:
                time.sleep(pause)
    return counts


def _write_whole(svc: RegistryService, actor: Actor, keys: _Keys, sheets: dict[str, list[Row]],
                 conn: Connection) -> list[tuple[str, int, int]]:
    """Every kind's rows in the caller's one transaction (``_write`` may stop a kind early on its clock:
    go on until the kind is done)."""
    out = []
    for kind in ORDER:
        rows = sheets.get(kind, [])
        start = 0
        while start < len(rows):
            used, new = _write(svc, actor, keys, conn, kind=kind, rows=rows[start:])
            out.append((kind, used, new))
            start += used
    return out


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the row in whatever a service refuses."""
    try:
        yield
    except DomainError as exc:
        raise DomainError(exc.code, f"{where}: {exc.message}") from None
    except ValueError as exc:
        raise DomainError("file_value", f"{where}: {exc}") from None


def _write(svc: RegistryService, actor: Actor, keys: _Keys, conn: Connection, *, kind: str,
           rows: list[Row]) -> tuple[int, int]:
    """Write one chunk of one kind: ``rows``, or those written before CHUNK_SECONDS ran out (at least
    one). Returns how many rows it took and how many of them were new."""
    deadline = time.monotonic() + CHUNK_SECONDS
    new = 0
    if kind in ("issuances", "allocations"):
        ops: list[tuple[str, Issue | Allocate]] = []
        for row in rows:
            with _at(row.where):
                ops.append((row.where, _command(conn, kind, row.values)))
        outcomes = svc.submit_in(conn, actor, [op for _, op in ops], all_or_nothing=False)
        for (where, _), outcome in zip(ops, outcomes):
            if outcome.error is not None:  # raising here rolls this chunk back; the earlier ones stay
                raise DomainError(outcome.error.code, f"{where}: {outcome.error.message}")
            new += not outcome.replayed
        return len(rows), new
    for used, row in enumerate(rows, 1):
        v = row.values
        if kind == "parties":
            key = keys.party[v["ref"]]
            if keys.party_id(conn, v["ref"]) is None:
                with _at(row.where):
                    svc.create_party(
                        kind=parse_choice(PartyKind, v["kind"], "kind"), name=v["name"], name_en=v.get("name_en", ""),
                        market=v.get("market") or None, registration_id=key, sector=v.get("sector") or None,
                        region=v.get("region") or None, conn=conn)
                new += 1
        elif kind == "installations":
            if keys.installation_id(conn, v["ref"]) is None:
                pid = keys.party_id(conn, v["party_ref"])
                if pid is None:
                    raise DomainError("file_reference", f"{row.where}: unknown party {v['party_ref']!r}")
                with _at(row.where):
                    svc.add_installation(
                        party_id=pid, name=v["name"], county_code=v["county_code"], sector=v["sector"], conn=conn)
                new += 1
        elif kind == "generating_units":
            iid = keys.installation_id(conn, v["installation_ref"])
            if iid is None:
                raise DomainError("file_reference", f"{row.where}: unknown installation {v['installation_ref']!r}")
            if conn.execute(select(t.generating_units.c.id).where(
                    t.generating_units.c.installation_id == iid, t.generating_units.c.name == v["name"])).first() is None:
                with _at(row.where):
                    svc.add_generating_unit(
                        installation_id=iid, name=v["name"], capacity_mw=parse_tonnes(v["capacity_mw"], "capacity_mw"),
                        fuel=v["fuel"], cooling=v["cooling"], category=v["category"], conn=conn)
                new += 1
        elif conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == v["number"])).first() is None:
            pid = keys.party_id(conn, v["party_ref"])
            if pid is None:
                raise DomainError("file_reference", f"{row.where}: unknown party {v['party_ref']!r}")
            with _at(row.where):
                svc.request_account(
                    actor, market=v["market"], type=parse_choice(AccountType, v["type"], "type"), number=v["number"],
                    name=v.get("name", ""), party_id=pid, conn=conn)
            new += 1
        if time.monotonic() > deadline:
            return used, new
    return len(rows), new


def _command(conn: Connection, kind: str, v: dict[str, str]) -> Issue | Allocate:
    uc = conn.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == v["unit_class"])).scalar()
    if uc is None:
        raise DomainError("file_reference", f"unknown unit class {v['unit_class']!r}")
    to = _account_id(conn, v["account"])
    quantity = parse_tonnes(v["quantity"])
    if kind == "allocations":
        return Allocate(key=v["key"], from_account=_account_id(conn, v["from_account"]), to_account=to,
                        unit_class=uc, quantity=quantity)
    return Issue(key=v["key"], to_account=to, unit_class=uc, quantity=quantity)


def _account_id(conn: Connection, number: str) -> AccountId:
    acc = conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).scalar()
    if acc is None:
        raise DomainError("file_reference", f"unknown account {number!r}")
    return AccountId(int(acc))
