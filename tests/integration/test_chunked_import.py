"""Issue 19 item 10: a large ``registry import`` commits in bounded chunks (each one transaction),
idempotent by the rows' natural keys, so a crash then a re-run completes without duplicates and other
writers get the lock between chunks. The whole file is still checked before anything is written.
Row counts stay small: the chunk size is a parameter."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, select

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.errors import DomainError
from openets.registry.commands import Allocate, Approve, Issue
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services import imports
from openets.services.imports import import_rows
from openets.services.registry import RegistryService
from openets.services.tabular import Row
from openets.storage import tables as t

N = 7  # rows per kind: with chunks of 3, three chunks per kind (3 + 3 + 1)


def _world(engine: Engine, clock) -> RegistryService:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    bj = svc.registry_party("BJ")
    svc.add_user(SYSTEM_SETUP, name="li", party_id=bj, role=Role.REGULATOR, market="BJ", person="P-1")
    svc.add_user(SYSTEM_SETUP, name="wang", party_id=bj, role=Role.REGULATOR, market="BJ", person="P-2")
    svc.create_unit_class(svc.actor("li"), kind=UnitKind.ALLOWANCE, market="BJ", vintage=2016, cap=5_000_000)
    return svc


def _sheets(p: str, n: int = N) -> dict[str, list[Row]]:
    """One file's rows; every key carries the prefix ``p`` so two imports can sit in one database."""
    def rows(kind: str, make) -> list[Row]:  # type: ignore[no-untyped-def]
        return [Row(f"{kind} row {i + 2}", make(i)) for i in range(n)]

    return {
        "parties": rows("parties", lambda i: {"ref": f"{p}P{i}", "kind": "company", "name": f"{p}企业{i}",
                                              "market": "BJ", "region": "110105"}),
        "installations": rows("installations", lambda i: {"ref": f"{p}I{i}", "party_ref": f"{p}P{i}",
                                                          "name": f"{p}厂{i}", "county_code": "110105",
                                                          "sector": "power"}),
        "generating_units": rows("generating_units", lambda i: {"installation_ref": f"{p}I{i}", "name": f"{p}U{i}",
                                                                "capacity_mw": "300", "fuel": "coal",
                                                                "cooling": "wet", "category": "300MW"}),
        "accounts": rows("accounts", lambda i: {"number": f"BJ-{p}{i}", "party_ref": f"{p}P{i}", "market": "BJ",
                                                "type": "compliance"}),
        "issuances": rows("issuances", lambda i: {"key": f"{p}k{i}", "unit_class": "BEA-2016",
                                                  "account": "BJ-ISSUANCE", "quantity": str(i + 1)}),
    }


def _contents(engine: Engine, p: str) -> list[tuple[object, ...]]:
    """What an import of prefix ``p`` left, with the prefix taken out (ids and times left out)."""
    def plain(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(v.replace(p, "~") if isinstance(v, str) else v for v in row)

    with engine.connect() as conn:
        rows = [("party", *r) for r in conn.execute(select(
            t.parties.c.registration_id, t.parties.c.kind, t.parties.c.name, t.parties.c.market, t.parties.c.region)
            .where(t.parties.c.registration_id.like(f"{p}%")))]
        rows += [("installation", *r) for r in conn.execute(select(
            t.parties.c.registration_id, t.installations.c.name, t.installations.c.county_code)
            .join(t.parties, t.parties.c.id == t.installations.c.party_id).where(t.installations.c.name.like(f"{p}%")))]
        rows += [("unit", *r) for r in conn.execute(select(
            t.installations.c.name, t.generating_units.c.name, t.generating_units.c.capacity_mw)
            .join(t.installations, t.installations.c.id == t.generating_units.c.installation_id)
            .where(t.generating_units.c.name.like(f"{p}%")))]
        rows += [("account", *r) for r in conn.execute(select(
            t.accounts.c.number, t.parties.c.registration_id, t.accounts.c.type, t.accounts.c.status)
            .join(t.parties, t.parties.c.id == t.accounts.c.party_id).where(t.accounts.c.number.like(f"BJ-{p}%")))]
        rows += [("issuance", *r) for r in conn.execute(select(
            t.idempotency.c.key, t.transactions.c.type, t.transactions.c.status, t.transactions.c.quantity)
            .join(t.transactions, t.transactions.c.id == t.idempotency.c.txn_id).where(t.idempotency.c.key.like(f"{p}%")))]
    return sorted((plain(r) for r in rows), key=repr)


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "SQLITE_PAUSE_SECONDS", 0.0)  # the pause is for other writers; none here


def test_an_import_in_chunks_equals_a_one_shot_import(engine, clock, no_pause) -> None:  # type: ignore[no-untyped-def]
    svc = _world(engine, clock)
    li = svc.actor("li")
    once = import_rows(svc, li, _sheets("aa-"), chunk_rows=10_000)
    chunks: list[int] = []
    seen: list[tuple[int, int]] = []
    chunked = import_rows(svc, li, _sheets("bb-"), chunk_rows=3, after_chunk=chunks.append,
                          progress=lambda done, total: seen.append((done, total)))
    assert once == chunked == {"parties": N, "installations": N, "generating_units": N, "accounts": N,
                               "issuances": N, "allocations": 0, "already_present": 0}
    assert len(chunks) == 5 * 3  # five kinds, 7 rows each in chunks of 3 + 3 + 1
    assert seen[-1] == (5 * N, 5 * N) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    expected = _contents(engine, "aa-")
    assert len(expected) == 5 * N
    assert _contents(engine, "bb-") == expected


def test_a_crash_after_chunk_k_then_a_rerun_completes_without_duplicates(engine, clock, no_pause) -> None:  # type: ignore[no-untyped-def]
    svc = _world(engine, clock)
    li = svc.actor("li")
    import_rows(svc, li, _sheets("aa-"), chunk_rows=10_000)

    def crash(k: int) -> None:
        if k == 8:  # parties (3 chunks), installations (3), then 2 chunks of generating units
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        import_rows(svc, li, _sheets("bb-"), chunk_rows=3, after_chunk=crash)
    partial = _contents(engine, "bb-")
    assert len(partial) == N + N + 6  # the 8 committed chunks stayed: 7 + 7 + 3 + 3 rows
    again = import_rows(svc, li, _sheets("bb-"), chunk_rows=3)
    # the re-run skips the 20 rows that are there and writes the other 15
    assert again["already_present"] == 20
    assert (again["generating_units"], again["accounts"], again["issuances"]) == (1, N, N)
    assert _contents(engine, "bb-") == _contents(engine, "aa-")  # no duplicates, nothing missing
    third = import_rows(svc, li, _sheets("bb-"), chunk_rows=3)  # a third run finds everything there
    assert third["already_present"] == 5 * N and sum(v for k, v in third.items() if k != "already_present") == 0


def test_bad_rows_refuse_the_whole_file_before_any_write(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = _world(engine, clock)
    sheets = _sheets("bb-")
    sheets["parties"][5] = Row("parties row 7", {**sheets["parties"][5].values, "kind": "emperor"})
    sheets["installations"][1] = Row("installations row 3", {**sheets["installations"][1].values,
                                                             "county_code": "11"})
    sheets["issuances"][6] = Row("issuances row 8", {**sheets["issuances"][6].values, "account": "BJ-NONE"})
    before = _contents(engine, "bb-")
    with pytest.raises(DomainError) as refused:
        import_rows(svc, svc.actor("li"), sheets, chunk_rows=2)
    text = refused.value.message
    assert refused.value.code == "file_invalid" and text.startswith("4 problems, nothing imported: ")
    # installations row 7 names the party of the bad parties row 7: not a company as the file has it
    for where in ("parties row 7", "installations row 3", "installations row 7", "issuances row 8"):
        assert where in text, text
    assert "BJ-NONE" in text and "'11'" in text
    assert before == _contents(engine, "bb-") == []


def test_another_writer_moves_a_tonne_between_chunks(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = _world(engine, clock)
    li, wang = svc.actor("li"), svc.actor("wang")
    co = svc.create_party(kind=PartyKind.COMPANY, name="甲", registration_id="R1", market="BJ")
    svc.request_account(li, market="BJ", type=AccountType.COMPLIANCE, number="BJ-A", party_id=co)
    svc.decide_account(wang, "BJ-A", approve=True)
    uc = svc.unit_class("BEA-2016").id
    svc.one(wang, Approve(txn=svc.one(li, Issue(to_account=svc.account("BJ-ISSUANCE").id, unit_class=uc,
                                                  quantity=1_000)).id))
    waited: list[float] = []
    committed_at: list[float] = []

    def writer() -> None:
        time.sleep(imports.SQLITE_PAUSE_SECONDS + 0.03)  # arrive while the next chunk holds the lock
        t0 = time.monotonic()
        svc.one(li, Allocate(key="one-tonne", from_account=svc.account("BJ-ISSUANCE").id,
                             to_account=svc.account("BJ-A").id, unit_class=uc, quantity=1))
        committed_at.append(time.monotonic())
        waited.append(committed_at[0] - t0)

    thread = threading.Thread(target=writer)
    # 12 chunks of 10 parties (about 0.1 s of writing each, with the 0.12 s pause between them on SQLite)
    import_rows(svc, li, {"parties": _sheets("cc-", 120)["parties"]}, chunk_rows=10,
                after_chunk=lambda k: thread.start() if k == 1 else None)
    finished = time.monotonic()
    thread.join(timeout=30)
    assert waited, "the writer did not commit"
    if engine.dialect.name == "sqlite":  # one write lock for the database: it got in between two chunks
        assert committed_at[0] < finished  # it did not wait for the whole import
    # (PostgreSQL locks rows: the writer is never behind the import, which may even finish first)
    assert waited[0] < 1.0, waited
    with engine.connect() as conn:
        moved = conn.execute(select(t.transactions.c.quantity).join(
            t.idempotency, t.idempotency.c.txn_id == t.transactions.c.id).where(t.idempotency.c.key == "one-tonne"))
        assert moved.scalar_one() == 1
