"""Bulk import of parties, installations, generating units, accounts, issuances and allocations
from CSV or Excel. Every row is read and checked first; then everything is written in one
transaction, or nothing is (a bad row anywhere changes nothing)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError
from openets.core.ids import AccountId
from openets.core.quantity import parse_tonnes
from openets.core.text import parse_choice
from openets.registry.commands import Allocate, Issue
from openets.registry.model import AccountType, PartyKind
from openets.registry.transactions import TxType
from openets.services.registry import RegistryService
from openets.services.tabular import Row, Schema, read_tables
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
SCHEMAS = {k: Schema(KINDS[k], REQUIRED[k]) for k in KINDS}
ORDER = tuple(KINDS)


def read_file(path: Path, *, kind: str | None = None, encoding: str = "utf-8-sig") -> dict[str, list[Row]]:
    return read_tables(path, SCHEMAS, kind=kind, encoding=encoding)


def import_rows(svc: RegistryService, actor: Actor, sheets: dict[str, list[Row]]) -> dict[str, int]:
    """Check every row, then write all of them in one transaction."""
    actor.require_may_act()
    register = [k for k in ("parties", "installations", "generating_units") if sheets.get(k)]
    if register and actor.role not in (Role.REGULATOR, Role.ADMINISTRATOR):
        raise DomainError("not_authorised", f"{actor.describe()} may not import {', '.join(register)}: "
                          "a regulator or an administrator registers them")

    def work(conn: Connection) -> dict[str, int]:
        counts = {k: 0 for k in ORDER}
        parties: dict[str, int] = {}
        installations: dict[str, int] = {}

        def party(ref: str, where: str) -> int:
            if ref in parties:
                return parties[ref]
            found = conn.execute(select(t.parties.c.id).where(t.parties.c.registration_id == ref)).scalar()
            if found is None:
                raise DomainError("file_reference", f"{where}: unknown party {ref!r}")
            return int(found)

        def guard(where: str, fn):
            try:
                return fn()
            except DomainError as exc:
                raise DomainError(exc.code, f"{where}: {exc.message}") from None
            except ValueError as exc:
                raise DomainError("file_value", f"{where}: {exc}") from None

        for row in sheets.get("parties", []):
            v = row.values
            if v["ref"] in parties:
                raise DomainError("file_duplicate", f"{row.where}: party ref {v['ref']!r} twice")
            parties[v["ref"]] = guard(row.where, lambda v=v: svc.create_party(
                kind=parse_choice(PartyKind, v["kind"], "kind"), name=v["name"], name_en=v.get("name_en", ""),
                market=v.get("market") or None, registration_id=v.get("registration_id") or None,
                sector=v.get("sector") or None, region=v.get("region") or None, conn=conn))
            counts["parties"] += 1
        for row in sheets.get("installations", []):
            v = row.values
            installations[v["ref"]] = guard(row.where, lambda v=v, row=row: svc.add_installation(
                party_id=party(v["party_ref"], row.where), name=v["name"], county_code=v["county_code"],
                sector=v["sector"], conn=conn))
            counts["installations"] += 1
        for row in sheets.get("generating_units", []):
            v = row.values
            if v["installation_ref"] not in installations:
                raise DomainError("file_reference", f"{row.where}: unknown installation {v['installation_ref']!r}")
            guard(row.where, lambda v=v: svc.add_generating_unit(
                installation_id=installations[v["installation_ref"]], name=v["name"],
                capacity_mw=parse_tonnes(v["capacity_mw"], "capacity_mw"), fuel=v["fuel"], cooling=v["cooling"],
                category=v["category"], conn=conn))
            counts["generating_units"] += 1
        for row in sheets.get("accounts", []):
            v = row.values
            guard(row.where, lambda v=v, row=row: svc.request_account(
                actor, market=v["market"], type=parse_choice(AccountType, v["type"], "type"), number=v["number"],
                name=v.get("name", ""), party_id=party(v["party_ref"], row.where), conn=conn))
            counts["accounts"] += 1
        ops: list[tuple[str, Issue | Allocate]] = []
        for kind, action in (("issuances", TxType.ISSUE), ("allocations", TxType.ALLOCATE)):
            for row in sheets.get(kind, []):
                v = row.values

                def build(v=v, action=action) -> Issue | Allocate:
                    uc = conn.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == v["unit_class"])).scalar()
                    if uc is None:
                        raise DomainError("file_reference", f"unknown unit class {v['unit_class']!r}")
                    to = _account_id(conn, v["account"])
                    quantity = parse_tonnes(v["quantity"])
                    if action is TxType.ALLOCATE:
                        return Allocate(key=v["key"], from_account=_account_id(conn, v["from_account"]), to_account=to,
                                        unit_class=uc, quantity=quantity)
                    return Issue(key=v["key"], to_account=to, unit_class=uc, quantity=quantity)

                ops.append((row.where, guard(row.where, build)))
                counts[kind] += 1
        if ops:
            outcomes = svc.submit_in(conn, actor, [op for _, op in ops], all_or_nothing=False)
            for (where, _), outcome in zip(ops, outcomes):
                if outcome.error is not None:  # raising here rolls the whole import back
                    raise DomainError(outcome.error.code, f"{where}: {outcome.error.message}")
        return counts

    return run_in_transaction(svc.engine, work)


def _account_id(conn: Connection, number: str) -> AccountId:
    acc = conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).scalar()
    if acc is None:
        raise DomainError("file_reference", f"unknown account {number!r}")
    return AccountId(int(acc))
