"""`registry verify`: each tampering case of issue 19 item 1, done with raw SQL on a small registry,
detected and named (a stable code and the row concerned); a clean registry verifies; signed
checkpoints say what was appended since and refuse an edited file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from openets.core.errors import DomainError
from openets.ledger.journal import line_digest
from openets.registry.commands import Issue, Release, Reserve, Surrender, Transfer
from openets.services import checkpoints
from openets.services.verification import CHECKS, verify_registry, write_checkpoint
from openets.testing.builders import World, build_world

KEY = b"the regulator's key, kept offline"


@pytest.fixture
def world(engine: Engine, clock) -> World:  # type: ignore[no-untyped-def]
    """Three companies with 10,000 t each; a transfer, a reservation and its release, a surrender,
    and an issuance still awaiting its second regulator."""
    w = build_world(engine, clock, companies=3)
    a, b, c = w.accounts
    uc = w.unit_class.id
    w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=uc, quantity=300))
    w.svc.one(w.companies[1], Transfer(from_account=b.id, to_account=c.id, unit_class=uc, quantity=700))
    r = w.svc.one(w.companies[2], Reserve(account=c.id, unit_class=uc, quantity=100))
    assert r.reservation_id is not None
    w.svc.one(w.companies[2], Release(reservation=r.reservation_id))
    w.svc.one(w.companies[1], Surrender(from_account=b.id, unit_class=uc, quantity=500, compliance_year=2016))
    assert w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=uc, quantity=50)).status.value == \
        "awaiting_approval"
    return w


def _codes(engine: Engine, world: World) -> dict[str, list[str]]:
    """problem code → the subjects it names"""
    out: dict[str, list[str]] = {}
    for p in verify_registry(engine, world.svc.rulebook).problems:
        out.setdefault(p.code, []).append(p.subject)
    return out


def _one(conn, sql: str, **kw: object):  # type: ignore[no-untyped-def]
    return conn.execute(text(sql), kw).one()


def test_clean_registry_verifies(engine: Engine, world: World) -> None:
    r = verify_registry(engine, world.svc.rulebook)
    assert r.ok, r.problems
    assert r.checks == list(CHECKS)
    # 10 transactions: issue, 3 allocations, 2 transfers, reserve, release, surrender, the pending issue
    assert r.transactions == 10
    # issue 1 + allocations 3×2 + transfers 2×2 + reserve 1 + release 1 + surrender 2 (the pending issue none)
    assert r.journal_lines == 1 + 6 + 4 + 1 + 1 + 2


def test_a_invented_issuance_without_transaction_is_named(engine: Engine, world: World) -> None:
    """The attack of issue 19: a correctly chained +1,000,000 t line on a company account, its head,
    block, position and the unit class's issued figure raised, and no transaction row."""
    acc, uc = world.accounts[0].id, world.unit_class.id
    q = 1_000_000
    with engine.begin() as conn:
        count, head = _one(conn, "SELECT journal_count, head_hash FROM accounts WHERE id = :a", a=acc)
        issued = _one(conn, "SELECT issued FROM unit_classes WHERE id = :u", u=uc)[0]
        start, end = issued + 1, issued + q
        line = dict(txn_id=999_999, account_id=acc, account_seq=count + 1, unit_class_id=uc, restriction_id=0,
                    d_total=q, d_reserved=0, serials=f"{start}-{end}", kind="issue", at_us=1_496_282_400_000_000,
                    prev_hash=head)
        digest = line_digest(**line)  # type: ignore[arg-type]
        conn.execute(text("INSERT INTO journal (txn_id, account_id, account_seq, unit_class_id, restriction_id, "
                          "d_total, d_reserved, serials, kind, at_us, prev_hash, hash) VALUES (:txn_id, "
                          ":account_id, :account_seq, :unit_class_id, :restriction_id, :d_total, :d_reserved, "
                          ":serials, :kind, :at_us, :prev_hash, :hash)"), {**line, "hash": digest})
        conn.execute(text("UPDATE accounts SET journal_count = :n, head_hash = :h WHERE id = :a"),
                     {"n": count + 1, "h": digest, "a": acc})
        conn.execute(text('INSERT INTO blocks (account_id, unit_class_id, restriction_id, start, "end") '
                          "VALUES (:a, :u, 0, :s, :e)"), {"a": acc, "u": uc, "s": start, "e": end})
        conn.execute(text("UPDATE positions SET total = total + :q WHERE account_id = :a AND unit_class_id = :u "
                          "AND restriction_id = 0"), {"q": q, "a": acc, "u": uc})
        conn.execute(text("UPDATE unit_classes SET issued = issued + :q WHERE id = :u"), {"q": q, "u": uc})
        row = _one(conn, "SELECT max(seq) FROM journal")[0]
    found = _codes(engine, world)
    # the chain, the replay and the conservation of the unit class cannot tell (that was the bug)…
    assert not any(c.startswith("journal_") for c in found) and "position_differs_from_journal" not in found
    assert "unit_class_not_conserved" not in found
    # …the transactions can, and name the rows
    assert found["line_without_transaction"] == [f"journal rows {row}"]
    assert found["issued_differs_from_transactions"] == [f"unit class {uc}"]
    assert found["position_differs_from_transactions"] == [f"position {acc}/{uc}/0"]
    assert found["block_outside_issuance"] == [f"block {uc}:{start}-{end} of account {acc}"]
    assert found["serials_not_conserved"] == [f"unit class {uc}"]


def _issue_txn(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return _one(conn, "SELECT id, actor_user FROM transactions WHERE type = 'issue' AND status = 'completed'")


@pytest.mark.parametrize(("approver", "code"), [("proposer", "approver_is_proposer"), (None, "approval_missing"),
                                                ("mallory", "approver_not_authorised"),
                                                ("BJ-co-0", "approver_not_authorised")])
def test_b_approver_edited_is_named(engine: Engine, world: World, approver: str | None, code: str) -> None:
    txn, proposer = _issue_txn(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET approved_by = :a WHERE id = :t"),
                     {"a": proposer if approver == "proposer" else approver, "t": txn})
    assert _codes(engine, world) == {code: [f"transaction {txn}"]}


def test_c_quantity_edited_is_named(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        txn, snd, rcv = _one(conn, "SELECT id, sender_id, receiver_id FROM transactions WHERE type = 'transfer' "
                                   "ORDER BY id LIMIT 1")
        conn.execute(text("UPDATE transactions SET quantity = quantity + 500 WHERE id = :t"), {"t": txn})
    uc = world.unit_class.id
    found = _codes(engine, world)
    assert found == {"lines_disagree_with_transaction": [f"transaction {txn}"],
                     "position_differs_from_transactions": [f"position {snd}/{uc}/0", f"position {rcv}/{uc}/0"]}


def test_d_balance_moved_between_accounts_is_named(engine: Engine, world: World) -> None:
    a, b = world.accounts[0].id, world.accounts[2].id
    uc = world.unit_class.id
    with engine.begin() as conn:
        for acc, d in ((a, -1_000), (b, 1_000)):
            conn.execute(text("UPDATE positions SET total = total + :d WHERE account_id = :a AND unit_class_id = :u"),
                         {"d": d, "a": acc, "u": uc})
    found = _codes(engine, world)
    both = [f"position {a}/{uc}/0", f"position {b}/{uc}/0"]
    assert found == {"position_differs_from_journal": both, "position_differs_from_transactions": both}


def test_e_swapped_block_owners_are_named(engine: Engine, world: World) -> None:
    a, b = world.accounts[0].id, world.accounts[1].id
    uc = world.unit_class.id
    with engine.begin() as conn:
        sa = _one(conn, "SELECT min(start) FROM blocks WHERE account_id = :a", a=a)[0]
        sb = _one(conn, "SELECT min(start) FROM blocks WHERE account_id = :a", a=b)[0]
        for acc, start, to in ((a, sa, -1), (b, sb, a), (-1, sa, b)):
            conn.execute(text("UPDATE blocks SET account_id = :to WHERE account_id = :a AND start = :s"),
                         {"to": to, "a": acc, "s": start})
    found = _codes(engine, world)
    assert found.get("blocks_differ_from_journal") == [f"position {a}/{uc}/0", f"position {b}/{uc}/0"], found


def test_f_appended_since_checkpoint_is_counted_and_covered_edits_named(engine: Engine, world: World,
                                                                         tmp_path: Path) -> None:
    cp = tmp_path / "cp.json.gz"
    written = write_checkpoint(engine, world.svc.rulebook, cp, KEY)
    assert written["transactions"] == 10 and written["journal_lines"] == 15
    payload = checkpoints.load(cp, KEY)
    same = verify_registry(engine, world.svc.rulebook, payload)
    assert same.ok and same.since is not None and same.since["transactions"] == {} and same.since["journal_lines"] == {}
    a, b = world.accounts[0], world.accounts[1]
    world.svc.one(world.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=world.unit_class.id,
                                               quantity=42))
    later = verify_registry(engine, world.svc.rulebook, payload)
    assert later.ok, later.problems
    assert later.since is not None
    assert later.since["transactions"] == {"transfer": 1} and later.since["journal_lines"] == {"transfer": 2}
    with engine.begin() as conn:  # an edit of a transaction the checkpoint covers
        first = _one(conn, "SELECT min(id) FROM transactions WHERE type = 'transfer'")[0]
        conn.execute(text("UPDATE transactions SET note = 'edited' WHERE id = :t"), {"t": first})
    edited = verify_registry(engine, world.svc.rulebook, payload)
    assert [(p.code, p.subject) for p in edited.problems] == [("checkpoint_transaction_changed", f"transaction {first}")]


def test_f_nothing_appended_yet_a_table_changed_is_named(engine: Engine, world: World, tmp_path: Path) -> None:
    cp = tmp_path / "cp.json.gz"
    write_checkpoint(engine, world.svc.rulebook, cp, KEY)
    with engine.begin() as conn:  # turn a company's account into an issuance account
        conn.execute(text("UPDATE accounts SET type = 'issuance' WHERE id = :a"), {"a": world.accounts[0].id})
    r = verify_registry(engine, world.svc.rulebook, checkpoints.load(cp, KEY))
    assert ("checkpoint_table_changed", "table accounts") in [(p.code, p.subject) for p in r.problems]


def test_g_edited_or_forged_checkpoint_is_refused(engine: Engine, world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cp = tmp_path / "cp.json.gz"
    write_checkpoint(engine, world.svc.rulebook, cp, KEY)
    with gzip.open(cp, "rt") as fh:
        doc = json.load(fh)
    doc["payload"]["transactions"]["count"] -= 1  # hide a transaction
    forged = tmp_path / "forged.json.gz"
    with gzip.open(forged, "wt") as fh:
        json.dump(doc, fh)
    for path, key in ((forged, KEY), (cp, b"another key of sixteen bytes")):
        with pytest.raises(DomainError) as bad:
            checkpoints.load(path, key)
        assert bad.value.code == "checkpoint_signature_bad"
    monkeypatch.delenv(checkpoints.KEY_ENV, raising=False)
    with pytest.raises(DomainError) as none:
        checkpoints.key_from(None)
    assert none.value.code == "checkpoint_key_missing"
    monkeypatch.setenv(checkpoints.KEY_ENV, KEY.decode())
    assert checkpoints.key_from(None) == KEY


def test_no_checkpoint_of_a_registry_that_does_not_verify(engine: Engine, world: World, tmp_path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE unit_classes SET issued = issued + 1"))
    with pytest.raises(DomainError) as refused:
        write_checkpoint(engine, world.svc.rulebook, tmp_path / "cp.json.gz", KEY)
    assert refused.value.code == "registry_does_not_verify" and not (tmp_path / "cp.json.gz").exists()


def test_h_lowered_last_arrival_is_named(engine: Engine, world: World) -> None:
    """positions.last_in_us lowered (so that an entry dated before its units arrived would pass the
    arrival check's fast path): named, for that position only."""
    c = world.accounts[2].id
    uc = world.unit_class.id
    with engine.begin() as conn:
        conn.execute(text("UPDATE positions SET last_in_us = 0 WHERE account_id = :a AND unit_class_id = :u"),
                     {"a": c, "u": uc})
    assert _codes(engine, world) == {"last_arrival_differs_from_journal": [f"position {c}/{uc}/0"]}
