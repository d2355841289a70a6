"""Registry operations on a real database (SQLite, or PostgreSQL when OPENETS_DATABASE_URL is set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openets.core.errors import DomainError
from openets.registry.commands import (
    Allocate,
    Approve,
    AuctionDelivery,
    CentralTransfer,
    Freeze,
    Issue,
    Reject,
    Release,
    Reserve,
    Reversal,
    Surrender,
    Transfer,
    Unfreeze,
    Withdraw,
)
from openets.registry.model import AccountStatus
from openets.services.journal import verify
from openets.services.queries import RegistryQueries
from openets.testing.builders import World, build_world


@pytest.fixture
def world(engine, clock) -> World:  # type: ignore[no-untyped-def]
    return build_world(engine, clock)


def code(exc: pytest.ExceptionInfo) -> str:  # type: ignore[type-arg]
    return exc.value.code


def bal(world: World, acc) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    rows = RegistryQueries(world.svc.engine).balances(acc.number)
    return (sum(r.total for r in rows), sum(r.reserved for r in rows))


def test_issue_needs_a_second_regulator_and_respects_the_cap(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=5_000_000))
    other = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=5_000_000))
    assert rec.status == "awaiting_approval"
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Approve(txn=rec.id))
    assert code(e) == "four_eyes"
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Approve(txn=rec.id))
    assert code(e) == "approver_not_authorised"
    svc.one(world.reg2, Approve(txn=rec.id))
    with pytest.raises(DomainError) as e:  # both fitted when proposed; together they pass the cap
        svc.one(world.reg2, Approve(txn=other.id))
    assert code(e) == "within_cap"
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=4_000_001))
    assert code(e) == "within_cap"
    svc.one(world.reg2, Reject(txn=other.id))
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=5))
    assert code(e) == "actor_authorised"


def test_transfer_moves_lowest_serials_and_checks_each_rule(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    co_a, co_b = world.companies
    rec = svc.one(co_a, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=2_500))
    assert rec.status == "completed"
    assert bal(world, a) == (7_500, 0) and bal(world, b) == (12_500, 0)
    cases = [
        (co_b, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=1), "actor_authorised"),
        (co_a, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=0),
         "quantity_whole_and_positive"),
        (co_a, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=-5),
         "quantity_whole_and_positive"),
        (co_a, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=7_501),
         "available_balance"),
        (co_a, Transfer(from_account=a.id, to_account=a.id, unit_class=uc.id, quantity=1), "receiver_differs"),
        (co_a, Transfer(from_account=a.id, to_account=world.issuance.id, unit_class=uc.id, quantity=1),
         "receiver_type_allowed"),
        (co_a, Transfer(from_account=a.id, to_account=99_999, unit_class=uc.id, quantity=1), "not_found"),
        (co_a, Surrender(from_account=a.id, unit_class=uc.id, quantity=1), "compliance_period_given"),
    ]
    for actor, op, expected in cases:
        with pytest.raises(DomainError) as e:
            world.svc.one(actor, op)
        assert code(e) == expected, op
    assert bal(world, a) == (7_500, 0)  # nothing refused changed anything


def test_status_limits_in_and_out(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    svc.set_account_status(world.reg, a.number, AccountStatus.SOME_RESTRICTED)
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=1))
    assert code(e) == "sender_status_allows"
    svc.one(world.companies[0], Surrender(from_account=a.id, unit_class=uc.id, quantity=10,
                                   compliance_year=2016))  # compliance outflows still allowed
    svc.set_account_status(world.reg, b.number, AccountStatus.SUSPENDED)
    svc.set_account_status(world.reg, a.number, AccountStatus.OPEN)
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=1))
    assert code(e) == "receiver_status_allows"
    with pytest.raises(DomainError) as e:
        svc.set_account_status(world.reg, a.number, AccountStatus.CLOSED)
    assert code(e) == "account_not_empty"


def test_account_opening_is_approved_by_another_regulator_user(world: World) -> None:
    svc = world.svc
    acc = svc.request_account(world.companies[0], market="BJ", type="holding")  # type: ignore[arg-type]
    assert acc.status == "requested"
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Transfer(from_account=world.accounts[0].id, to_account=acc.id,
                                       unit_class=world.unit_class.id, quantity=1))
    assert code(e) == "receiver_status_allows"
    with pytest.raises(DomainError) as e:
        svc.decide_account(world.companies[1], acc.number, approve=True)
    assert code(e) == "not_authorised"
    assert svc.decide_account(world.reg, acc.number, approve=True).status == "open"


def test_restricted_units_only_surrender_by_their_buyer_for_their_year(world: World) -> None:
    """Shanghai's auctioned units (沪发改公告〔2017〕3号): compliance-only, for 2016, by the buyer."""
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    buyer = world.companies[0]
    rid = svc.create_restriction(world.reg, allowed_types=["surrender"], bound_holder=buyer.party_id,
                                 bound_market="BJ", bound_year=2016, note="auction units 2016")
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=500,
                                restriction=rid))
    svc.one(world.reg2, Approve(txn=rec.id))
    with pytest.raises(DomainError) as e:  # the allocation itself is not an allowed type of these units
        svc.one(world.reg, Allocate(from_account=world.issuance.id, to_account=a.id, unit_class=uc.id,
                              quantity=500, restriction=rid))
    assert code(e) == "restriction_allows"
    rid_b = svc.create_restriction(world.reg, allowed_types=["allocate", "surrender"], bound_holder=buyer.party_id)
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=5,
                                restriction=rid_b))
    svc.one(world.reg2, Approve(txn=rec.id))
    with pytest.raises(DomainError) as e:  # bound to the buyer: cannot be delivered to anyone else
        svc.one(world.reg, Allocate(from_account=world.issuance.id, to_account=b.id, unit_class=uc.id,
                              quantity=5, restriction=rid_b))
    assert code(e) == "restriction_allows"
    svc.one(world.reg, Allocate(from_account=world.issuance.id, to_account=a.id, unit_class=uc.id,
                          quantity=5, restriction=rid_b))
    # a restriction that also allows delivery: delivered, then only surrendered for 2016
    rid2 = svc.create_restriction(world.reg, allowed_types=["allocate", "surrender"], bound_market="BJ",
                                  bound_year=2016)
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=500,
                                restriction=rid2))
    svc.one(world.reg2, Approve(txn=rec.id))
    svc.one(world.reg, Allocate(from_account=world.issuance.id, to_account=a.id, unit_class=uc.id,
                          quantity=500, restriction=rid2))
    for op, expected in [
        (Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=1, restriction=rid2),
         "restriction_allows"),
        (Surrender(from_account=a.id, unit_class=uc.id, quantity=1, restriction=rid2, compliance_year=2017),
         "restriction_allows"),
    ]:
        with pytest.raises(DomainError) as e:
            svc.one(buyer, op)
        assert code(e) == expected
    svc.one(buyer, Surrender(from_account=a.id, unit_class=uc.id, quantity=500, restriction=rid2,
                      compliance_year=2016))


def test_restriction_expiry(engine, clock) -> None:  # type: ignore[no-untyped-def]
    world = build_world(engine, clock)
    svc, uc = world.svc, world.unit_class
    rid = svc.create_restriction(world.reg, allowed_types=["allocate", "transfer"],
                                 expires_at=clock.now() + timedelta(days=1))
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=10, restriction=rid))
    svc.one(world.reg2, Approve(txn=rec.id))
    clock.at = clock.at + timedelta(days=2)
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Allocate(from_account=world.issuance.id, to_account=world.accounts[0].id,
                              unit_class=uc.id, quantity=10, restriction=rid))
    assert code(e) == "restriction_allows"


def test_reservations_freeze_and_reserved_settlement(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    co = world.companies[0]
    order = svc.one(co, Reserve(account=a.id, unit_class=uc.id, quantity=4_000, kind="order"))
    assert bal(world, a) == (10_000, 4_000)
    with pytest.raises(DomainError) as e:
        svc.one(co, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=6_001))
    assert code(e) == "available_balance"
    # the sell order fills 1,500 t: settled out of the reservation
    svc.one(co, Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=1_500,
                   reservation=order.reservation_id))
    assert bal(world, a) == (8_500, 2_500)
    freeze = svc.one(world.reg, Freeze(account=a.id, unit_class=uc.id, quantity=6_000))
    with pytest.raises(DomainError) as e:
        svc.one(co, Unfreeze(reservation=freeze.reservation_id))
    assert code(e) == "actor_authorised"
    with pytest.raises(DomainError) as e:
        svc.one(co, Freeze(account=a.id, unit_class=uc.id, quantity=1))
    assert code(e) == "actor_authorised"
    svc.one(co, Release(reservation=order.reservation_id))
    svc.one(world.reg, Unfreeze(reservation=freeze.reservation_id))
    assert bal(world, a) == (8_500, 0)


def test_reversal_returns_the_same_serials_once(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a = world.accounts[0]
    s = svc.one(world.companies[0], Surrender(from_account=a.id, unit_class=uc.id, quantity=3_000,
                                       compliance_year=2016))
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Reversal(txn=s.id))
    assert code(e) == "actor_authorised"
    # the market's rules ask a second regulator for a reversal: a proposal, the units held back meanwhile
    r = svc.one(world.reg, Reversal(txn=s.id))
    assert r.status.value == "awaiting_approval"
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Reversal(txn=s.id))
    assert code(e) == "not_already_reversed"  # a pending proposal counts: one reversal per transaction
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Approve(txn=r.id))
    assert code(e) == "four_eyes"
    assert bal(world, a) == (7_000, 0)
    r = svc.one(world.reg2, Approve(txn=r.id))
    assert r.status.value == "completed" and r.approved_by == world.reg2.user
    assert sorted(r.ranges) == sorted(s.ranges)
    assert bal(world, a) == (10_000, 0)
    from sqlalchemy import update

    from openets.services.verification import verify_registry
    from openets.storage import tables as tb

    assert verify_registry(svc.engine, svc.rulebook).problems == []  # verify checks reversals' approvers now
    with svc.engine.begin() as c:  # the approver erased: named
        c.execute(update(tb.transactions).where(tb.transactions.c.id == r.id).values(approved_by=None))
    assert [p.code for p in verify_registry(svc.engine, svc.rulebook).problems] == ["approval_missing"]
    with svc.engine.begin() as c:
        c.execute(update(tb.transactions).where(tb.transactions.c.id == r.id).values(approved_by=world.reg2.user))
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Reversal(txn=s.id))
    assert code(e) == "not_already_reversed"
    t = svc.one(world.companies[0], Transfer(from_account=a.id, to_account=world.accounts[1].id,
                                       unit_class=uc.id, quantity=1))
    with pytest.raises(DomainError) as e:
        svc.one(world.reg, Reversal(txn=t.id))
    assert code(e) == "not_reversible"


def test_a_rejected_or_withdrawn_reversal_does_not_block_a_new_one(world: World) -> None:
    """Issue 15: the unique index on reverses_id counted every proposal, so a rejected one blocked the
    reversal for ever; now only a live one (awaiting approval or completed) counts."""
    svc, uc = world.svc, world.unit_class
    a = world.accounts[0]
    s = svc.one(world.companies[0], Surrender(from_account=a.id, unit_class=uc.id, quantity=3_000,
                                              compliance_year=2016))
    first = svc.one(world.reg, Reversal(txn=s.id))
    svc.one(world.reg2, Reject(txn=first.id))  # the second regulator says no
    assert bal(world, a) == (7_000, 0)  # the units held back for it are released back into the surrender account
    second = svc.one(world.reg, Reversal(txn=s.id))  # a new proposal is accepted
    assert second.status.value == "awaiting_approval"
    svc.one(world.reg, Withdraw(txn=second.id))  # its proposer takes it back
    third = svc.one(world.reg2, Reversal(txn=s.id))
    with pytest.raises(DomainError) as e:  # while one is live, no other
        svc.one(world.reg, Reversal(txn=s.id))
    assert code(e) == "not_already_reversed"
    done = svc.one(world.reg, Approve(txn=third.id))
    assert done.status.value == "completed" and sorted(done.ranges) == sorted(s.ranges)
    assert bal(world, a) == (10_000, 0)
    with pytest.raises(DomainError) as e:
        svc.one(world.reg2, Reversal(txn=s.id))
    assert code(e) == "not_already_reversed"
    from sqlalchemy import func, select

    from openets.storage import tables as tb

    with svc.engine.connect() as c:
        statuses = sorted(c.execute(select(tb.transactions.c.status).where(tb.transactions.c.reverses_id == s.id)).scalars())
        assert statuses == ["cancelled", "completed", "rejected"]
        assert c.execute(select(func.count()).select_from(tb.transactions)
                         .where(tb.transactions.c.reverses_id == s.id)).scalar() == 3


def test_idempotency_same_key_one_effect_other_payload_refused(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    op = Transfer(key="k-1", from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=100)
    first = svc.submit(world.companies[0], [op])[0]
    second = svc.submit(world.companies[0], [op])[0]
    assert second.replayed and second.record is not None and second.record.id == first.record.id  # type: ignore[union-attr]
    assert bal(world, a) == (9_900, 0)
    with pytest.raises(DomainError) as e:
        svc.submit(world.companies[0], [Transfer(key="k-1", from_account=a.id, to_account=b.id,
                                           unit_class=uc.id, quantity=101)])
    assert code(e) == "idempotency_conflict"
    # the key is per (party, operation): another party may use the same key
    svc.one(world.companies[1], Transfer(key="k-1", from_account=b.id, to_account=a.id, unit_class=uc.id,
                                   quantity=100))
    assert bal(world, a) == (10_000, 0)


def test_batch_all_or_nothing_and_partial(world: World) -> None:
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    co = world.companies[0]
    ops = [Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=6_000),
           Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id, quantity=6_000)]
    with pytest.raises(DomainError):
        svc.submit(co, ops)
    assert bal(world, a) == (10_000, 0)
    out = svc.submit(co, ops, all_or_nothing=False)
    assert [o.ok for o in out] == [True, False] and out[1].error.code == "available_balance"  # type: ignore[union-attr]
    assert bal(world, a) == (4_000, 0)


def test_balance_as_of_history_trace_totals_and_journal(world: World, clock) -> None:  # type: ignore[no-untyped-def]
    svc, uc = world.svc, world.unit_class
    a, b = world.accounts
    before = clock.now()
    clock.at = clock.at + timedelta(hours=1)
    t = svc.one(world.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=uc.id,
                                       quantity=1_000))
    clock.at = clock.at + timedelta(hours=1)
    s = svc.one(world.companies[1], Surrender(from_account=b.id, unit_class=uc.id, quantity=11_000,
                                       compliance_year=2016))
    q = RegistryQueries(svc.engine)
    assert [r.total for r in q.balances(a.number, as_of=before)] == [10_000]
    assert [r.total for r in q.balances(a.number)] == [9_000]
    assert q.balances(b.number) == []
    serial = t.ranges[0][0]
    steps = q.trace(uc.code, serial)
    assert [x["type"] for x in steps] == ["issue", "allocate", "transfer", "surrender"]
    assert steps[-1]["to_account"] == "BJ-SURRENDER" and steps[-1]["txn"] == s.id
    hist = q.history(b.number)
    assert hist[0]["type"] == "surrender" and hist[0]["change"] == -11_000 or hist[0]["change"] < 0
    tot = {x.unit_class: x for x in q.totals()}[uc.code]
    assert (tot.issued, tot.surrendered, tot.conserved) == (1_000_000, 11_000, True)
    assert q.block_problems() == []
    assert verify(svc.engine).ok


def test_offsets_only_where_the_market_accepts_them(world: World) -> None:
    from openets.registry.model import UnitKind

    svc = world.svc
    ccer = svc.create_unit_class(world.reg, kind=UnitKind.OFFSET, market="BJ", vintage=2015, standard="CCER",
                                 project_id="001", project_type="wind", location="110105", cap=1_000)
    phcer = svc.create_unit_class(world.reg, kind=UnitKind.OFFSET, market="BJ", vintage=2016, standard="PHCER",
                                  project_id="GD-9", project_type="inclusion", location="440100")
    rec = svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=ccer.id, quantity=1_000))
    svc.one(world.reg2, Approve(txn=rec.id))
    with pytest.raises(DomainError) as e:  # Beijing accepts CCER and its forestry credits, not Guangdong's PHCER
        svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=phcer.id, quantity=10))
    assert code(e) == "unit_class_allowed"


def test_no_rule_set_outside_validity(world: World) -> None:
    svc = world.svc
    uc = svc.create_unit_class(world.reg, kind="allowance", market="BJ", vintage=2030, cap=10)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as e:  # Beijing's pilot rule set governs 2013–2020 only
        svc.one(world.reg, Issue(to_account=world.issuance.id, unit_class=uc.id, quantity=1))
    assert code(e) == "no_rule_set"


def test_time_is_recorded_in_utc(world: World, clock) -> None:  # type: ignore[no-untyped-def]
    rec = world.svc.one(world.companies[0], Transfer(from_account=world.accounts[0].id,
                                               to_account=world.accounts[1].id, unit_class=world.unit_class.id,
                                               quantity=1))
    assert rec.at == datetime(2017, 6, 1, 2, 0, tzinfo=UTC)


def test_no_surrender_dated_before_its_units_arrived(world: World) -> None:
    """The allocation arrived at the clock's moment; a surrender dated one hour earlier (a simulation
    running its clock back) is refused, and nothing moves; at the moment itself it goes."""
    from datetime import timedelta

    svc, uc, a = world.svc, world.unit_class, world.accounts[0]
    arrived = svc.clock.now()
    svc.clock.at = arrived - timedelta(hours=1)  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[0], Surrender(from_account=a.id, unit_class=uc.id, quantity=1, compliance_year=2016))
    assert code(e) == "not_before_arrival"
    assert bal(world, a) == (10_000, 0)
    svc.clock.at = arrived  # type: ignore[attr-defined]
    svc.one(world.companies[0], Surrender(from_account=a.id, unit_class=uc.id, quantity=1, compliance_year=2016))
    assert bal(world, a) == (9_999, 0)


def _done(world: World, rec):  # type: ignore[no-untyped-def]
    return world.svc.one(world.reg2, Approve(txn=rec.id)) if rec.status.value == "awaiting_approval" else rec


def test_the_arrival_check_is_per_serial_block_and_covers_transfers(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """Serials: allocations take the upper part of issuance's block (blocks.take), so A holds
    990,001–1,000,000 and C 970,001–980,000, both since T0. At T2 = T0 + 2 h A transfers 100 t to C: C
    gets 999,901–1,000,000, and its last_in_us is T2. Back at T1 = T0 + 1 h (a simulation's clock):
    C moving 50 t takes 979,951–980,000 (there since T0): allowed — the position-level check refused it;
    C moving 10,050 t takes its whole T0 block and 999,951–1,000,000 (arrived at T2 by transfer):
    refused, by transfer or by surrender; the same at T2 goes."""
    from datetime import timedelta

    world = build_world(engine, clock, companies=3)
    svc, uc = world.svc, world.unit_class
    a, _b, c = world.accounts
    t0 = clock.now()
    clock.at = t0 + timedelta(hours=2)
    moved = svc.one(world.companies[0], Transfer(from_account=a.id, to_account=c.id, unit_class=uc.id, quantity=100))
    assert moved.ranges == [(999_901, 1_000_000)]
    clock.at = t0 + timedelta(hours=1)
    small = svc.one(world.companies[2], Transfer(from_account=c.id, to_account=a.id, unit_class=uc.id, quantity=50))
    assert small.ranges == [(979_951, 980_000)]
    for op in (Transfer(from_account=c.id, to_account=a.id, unit_class=uc.id, quantity=10_000),
               Surrender(from_account=c.id, unit_class=uc.id, quantity=10_000, compliance_year=2016)):
        with pytest.raises(DomainError) as e:  # 9,950 t left of the T0 block + 50 t of the T2 one
            svc.one(world.companies[2], op)
        assert code(e) == "not_before_arrival"
        assert "arrived in account BJ-C00002 at 2017-06-01T12:00:00+08:00" in e.value.message
    assert bal(world, c) == (10_050, 0)
    clock.at = t0 + timedelta(hours=2)
    svc.one(world.companies[2], Transfer(from_account=c.id, to_account=a.id, unit_class=uc.id, quantity=10_000))
    assert bal(world, c) == (50, 0)


def test_auctioned_units_are_not_surrendered_before_their_delivery(engine) -> None:  # type: ignore[no-untyped-def]
    """The demo's case (issue 15): Shanghai's auction closes 10:30 on the deadline day and delivers then;
    a surrender dated 10:00 would take the delivered serials (the lowest) — refused; at 10:31 it goes."""
    from openets.core.clock import MARKET_TZ, FixedClock

    clock = FixedClock(datetime(2017, 6, 30, 9, 0, tzinfo=MARKET_TZ))
    world = build_world(engine, clock, companies=2)
    svc, uc, b = world.svc, world.unit_class, world.accounts[1]
    auction = svc.account("BJ-AUCTION")
    _done(world, svc.one(world.reg, CentralTransfer(from_account=world.issuance.id, to_account=auction.id,
                                                    unit_class=uc.id, quantity=1_000)))
    clock.at = datetime(2017, 6, 30, 10, 30, tzinfo=MARKET_TZ)
    _done(world, svc.one(world.reg, AuctionDelivery(from_account=auction.id, to_account=b.id, unit_class=uc.id,
                                                    quantity=500)))
    clock.at = datetime(2017, 6, 30, 10, 0, tzinfo=MARKET_TZ)
    with pytest.raises(DomainError) as e:
        svc.one(world.companies[1], Surrender(from_account=b.id, unit_class=uc.id, quantity=10_500,
                                              compliance_year=2016))
    assert code(e) == "not_before_arrival"
    assert bal(world, b) == (10_500, 0)
    clock.at = datetime(2017, 6, 30, 10, 31, tzinfo=MARKET_TZ)
    svc.one(world.companies[1], Surrender(from_account=b.id, unit_class=uc.id, quantity=10_500, compliance_year=2016))
    assert bal(world, b) == (0, 0)


def test_an_approved_issue_or_deletion_is_dated_at_its_approval(engine) -> None:  # type: ignore[no-untyped-def]
    """The national market (CEA) has issues and deletions approved by a second regulator. An issue
    proposed on 1 June 2022 (02:00 UTC) and approved a day later (2 June, 02:00 UTC), and a deletion
    proposed on 2 June and approved on 3 June, are each dated at their approval, as their journal
    entries are (stored too): the proposal's time is not the act's."""
    from sqlalchemy import text

    from openets.core.clock import FixedClock, to_us
    from openets.registry.commands import Delete

    day1, day2, day3 = (datetime(2022, 6, d, 2, tzinfo=UTC) for d in (1, 2, 3))
    clock = FixedClock(day1)
    w = build_world(engine, clock, market="CEA", vintage=2021, companies=0, issue=0)
    issue = w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=w.unit_class.id, quantity=1_000))
    assert issue.status == "awaiting_approval" and issue.at == day1
    clock.at = day2
    done = w.svc.one(w.reg2, Approve(txn=issue.id))
    assert done.status == "completed" and done.at == day2
    delete = w.svc.one(w.reg, Delete(from_account=w.issuance.id, unit_class=w.unit_class.id, quantity=1))
    assert delete.status == "awaiting_approval" and delete.at == day2
    clock.at = day3
    deleted = w.svc.one(w.reg2, Approve(txn=delete.id))
    assert deleted.status == "completed" and deleted.at == day3
    with engine.connect() as c:
        stored = dict(c.execute(text("SELECT id, at_us FROM transactions WHERE id IN (:a, :b)"),
                                {"a": issue.id, "b": delete.id}).all())
        entries = dict(c.execute(text("SELECT txn_id, max(at_us) FROM journal WHERE txn_id IN (:a, :b) "
                                      "GROUP BY txn_id"), {"a": issue.id, "b": delete.id}).all())
    assert stored == {issue.id: to_us(day2), delete.id: to_us(day3)} == entries
