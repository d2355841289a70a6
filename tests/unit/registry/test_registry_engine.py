"""The registry engine on an in-memory working set (no database): issuance, transfers, surrenders,
reservations, approvals, and refusals that name their check and change nothing."""

from __future__ import annotations

import pytest

from openets.core.errors import DomainError, NotFound
from openets.registry.engine import Registry
from openets.registry.model import AccountType
from openets.registry.transactions import TxStatus, TxType
from openets.testing.registry_stubs import GOVERNMENT_IDS, NOW, RegistryWorld, company, regulator, rules

ISSUANCE = GOVERNMENT_IDS[AccountType.ISSUANCE]
SURRENDER = GOVERNMENT_IDS[AccountType.SURRENDER]


def refused(code: str, world: RegistryWorld, call: object) -> DomainError:
    """``call()`` raises the DomainError ``code`` and leaves the working set as it was."""
    before = (dict(world.ws.book.positions), len(world.ws.book.lines), len(world.ws.new_txns),
              dict(world.ws.unit_classes))
    totals = {k: (p.total, p.reserved) for k, p in world.ws.book.positions.items()}
    with pytest.raises(DomainError) as info:
        call()  # type: ignore[operator]  # a zero-argument callable
    assert info.value.code == code, info.value
    assert (dict(world.ws.book.positions), len(world.ws.book.lines), len(world.ws.new_txns),
            dict(world.ws.unit_classes)) == before
    assert {k: (p.total, p.reserved) for k, p in world.ws.book.positions.items()} == totals
    return info.value


def test_issue_creates_serials_in_the_issuance_account() -> None:
    w = RegistryWorld()
    reg = w.registry()
    rec = reg.issue(txn_id=1, actor=regulator(), now=NOW, unit_class_id=1, to_account_id=ISSUANCE, quantity=500)
    assert (rec.type, rec.status, rec.ranges, rec.receiver_id) == (TxType.ISSUE, TxStatus.COMPLETED, [(1, 500)], ISSUANCE)
    assert w.total(ISSUANCE) == 500 and w.ws.unit_classes[1].issued == 500 and w.ws.issued == {1: 500}
    again = reg.issue(txn_id=2, actor=regulator(), now=NOW, unit_class_id=1, to_account_id=ISSUANCE, quantity=10)
    assert again.ranges == [(501, 510)]  # serials go on from the issued count
    assert w.ws.new_txns == [rec, again]
    assert [(line.account_id, line.d_total) for line in w.ws.book.lines] == [(ISSUANCE, 500), (ISSUANCE, 10)]


def test_issue_beyond_the_cap_names_within_cap() -> None:
    w = RegistryWorld()
    err = refused("within_cap", w, lambda: w.registry().issue(txn_id=1, actor=regulator(), now=NOW, unit_class_id=1,
                                                                to_account_id=ISSUANCE, quantity=1_000_001))
    assert "exceed its cap 1000000" in err.message


def test_issue_by_a_company_names_actor_authorised() -> None:
    w = RegistryWorld()
    refused("actor_authorised", w, lambda: w.registry().issue(txn_id=1, actor=company(10), now=NOW, unit_class_id=1,
                                                                to_account_id=ISSUANCE, quantity=5))


def test_issue_needing_approval_waits_then_a_second_regulator_approves() -> None:
    w = RegistryWorld(rules(approvals={"issue": "regulator"}))
    reg = w.registry()
    rec = reg.issue(txn_id=1, actor=regulator("reg-1"), now=NOW, unit_class_id=1, to_account_id=ISSUANCE, quantity=50)
    assert rec.status is TxStatus.AWAITING_APPROVAL and w.total(ISSUANCE) == 0
    refused("four_eyes", w, lambda: reg.approve(rec=rec, actor=regulator("reg-1"), now=NOW))
    reg.approve(rec=rec, actor=regulator("reg-2"), now=NOW)
    assert rec.status is TxStatus.COMPLETED and rec.approved_by == "reg-2" and w.total(ISSUANCE) == 50
    assert w.ws.changed_txns == [rec]


def test_transfer_moves_serials_of_the_lowest_block_and_journals_both_sides() -> None:
    w = RegistryWorld()
    w.fund(101, 100)  # serials 1-100
    w.fund(103, 50)  # 101-150 elsewhere
    w.fund(101, 100)  # 151-250: a second, higher block
    rec = w.registry().move(txn_id=5, type=TxType.TRANSFER, actor=company(10), now=NOW, from_account_id=101,
                            unit_class_id=1, quantity=30, to_account_id=102)
    assert (rec.status, rec.sender_id, rec.receiver_id, rec.ranges) == (TxStatus.COMPLETED, 101, 102, [(71, 100)])
    assert (w.total(101), w.total(102)) == (170, 30)  # a split block keeps its first part (its row stays)
    sides = [(line.txn_id, line.account_id, line.d_total) for line in w.ws.book.lines if line.txn_id == 5]
    assert sides == [(5, 101, -30), (5, 102, 30)]


@pytest.mark.parametrize(("actor", "quantity", "to", "code"), [
    (company(11), 10, 102, "actor_authorised"),
    (company(10), 0, 102, "quantity_whole_and_positive"),
    (company(10), 101, 102, "available_balance"),
    (company(10), 10, 101, "receiver_differs"),
    (company(10), 10, ISSUANCE, "receiver_type_allowed"),
])
def test_a_refused_transfer_names_its_check_and_moves_nothing(actor: object, quantity: int, to: int, code: str) -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    refused(code, w, lambda: w.registry().move(txn_id=5, type=TxType.TRANSFER, actor=actor, now=NOW,  # type: ignore[arg-type]
                                               from_account_id=101, unit_class_id=1, quantity=quantity, to_account_id=to))
    assert (w.total(101), w.total(102)) == (100, 0)


def test_a_transfer_to_an_unknown_account_is_not_found() -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    with pytest.raises(NotFound):
        w.registry().move(txn_id=5, type=TxType.TRANSFER, actor=company(10), now=NOW, from_account_id=101,
                          unit_class_id=1, quantity=1, to_account_id=999)


def test_surrender_goes_to_the_markets_surrender_account_under_that_years_rules() -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    reg = w.registry()
    refused("compliance_period_given", w, lambda: reg.move(txn_id=6, type=TxType.SURRENDER, actor=company(10), now=NOW,
                                                           from_account_id=101, unit_class_id=1, quantity=40))
    rec = reg.move(txn_id=7, type=TxType.SURRENDER, actor=company(10), now=NOW, from_account_id=101, unit_class_id=1,
                   quantity=40, compliance_year=2016)
    assert rec.receiver_id == SURRENDER and w.total(SURRENDER) == 40
    assert w.rulebook.lookups[-1][:2] == ("BJ", 2016)


def test_reserve_holds_units_back_and_a_move_out_of_the_reservation_spends_them() -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    reg = w.registry()
    res_rec = reg.reserve(txn_id=8, actor=company(10), now=NOW, account_id=101, unit_class_id=1, quantity=60,
                          kind="order")
    assert res_rec.reservation_id is not None and w.available(101) == 40
    refused("available_balance", w, lambda: reg.move(txn_id=9, type=TxType.TRANSFER, actor=company(10), now=NOW,
                                                     from_account_id=101, unit_class_id=1, quantity=41,
                                                     to_account_id=102))
    reg.move(txn_id=10, type=TxType.TRANSFER, actor=company(10), now=NOW, from_account_id=101, unit_class_id=1,
             quantity=50, to_account_id=102, reservation_id=res_rec.reservation_id)
    res = w.ws.reservations[res_rec.reservation_id]
    assert (res.quantity, res.status, w.total(102), w.available(101)) == (10, "open", 50, 40)
    reg.release(txn_id=11, actor=company(10), now=NOW, reservation_id=res.id)
    assert (res.quantity, res.status, w.available(101)) == (0, "released", 50)


def test_a_freeze_is_released_by_the_regulator_only() -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    reg = w.registry()
    refused("actor_authorised", w, lambda: reg.reserve(txn_id=12, actor=company(10), now=NOW, account_id=101,
                                                       unit_class_id=1, quantity=5, kind="freeze"))
    fr = reg.reserve(txn_id=13, actor=regulator(), now=NOW, account_id=101, unit_class_id=1, quantity=5, kind="freeze")
    assert fr.type is TxType.FREEZE and w.available(101) == 95
    assert fr.reservation_id is not None
    refused("actor_authorised", w, lambda: reg.release(txn_id=14, actor=company(10), now=NOW,
                                                       reservation_id=fr.reservation_id))  # type: ignore[arg-type]
    assert reg.release(txn_id=15, actor=regulator(), now=NOW, reservation_id=fr.reservation_id).type is TxType.UNFREEZE


def test_reversal_puts_the_same_serials_back_once() -> None:
    w = RegistryWorld()
    w.fund(101, 100)
    reg = w.registry()
    s = reg.move(txn_id=16, type=TxType.SURRENDER, actor=company(10), now=NOW, from_account_id=101, unit_class_id=1,
                 quantity=30, compliance_year=2016)
    r = reg.reverse(txn_id=17, actor=regulator(), now=NOW, original=s, already_reversed=False)
    assert (r.reverses_id, r.ranges, w.total(101), w.total(SURRENDER)) == (s.id, s.ranges, 100, 0)
    refused("not_already_reversed", w, lambda: Registry(w.ws).reverse(txn_id=18, actor=regulator(), now=NOW,
                                                                      original=s, already_reversed=True))
