"""Each named whole-registry check of `registry.audit`: a passing and a failing case, by hand."""

from __future__ import annotations

from openets.registry import audit
from openets.registry.audit import Representation, TxRow


def tx(id: int = 5, type: str = "transfer", status: str = "completed", quantity: int = 30, sender: int | None = 1,
       receiver: int | None = 2, reservation: int | None = None, approved_by: str | None = None,
       serials: str = "11-40", actor: str = "co") -> TxRow:
    return TxRow(id, type, status, "BJ", 7, 0, quantity, sender, receiver, reservation, actor, 3, approved_by,
                 serials, None, 0)


def test_expected_lines_of_each_shape() -> None:
    # a transfer: −30 out of account 1, +30 into account 2, the same serials on both
    assert audit.expected_lines(tx()) == [(1, 7, 0, -30, 0, "11-40", "transfer"), (2, 7, 0, 30, 0, "11-40", "transfer")]
    # settling an order's reservation (id 4, not its own): the sender's reserved figure falls by 30 too
    assert audit.expected_lines(tx(reservation=4))[0] == (1, 7, 0, -30, -30, "11-40", "transfer")
    # waited for approval under its own id (5): the hold, then the move out of it
    assert audit.expected_lines(tx(reservation=5))[0] == (1, 7, 0, 0, 30, "", "approval")
    # rejected after waiting: the hold and its release, no units moved
    assert audit.expected_lines(tx(status="rejected", reservation=5)) == [
        (1, 7, 0, 0, 30, "", "approval"), (1, 7, 0, 0, -30, "", "approval_release")]
    assert audit.expected_lines(tx(type="issue", sender=None, serials="1-30")) == [(2, 7, 0, 30, 0, "1-30", "issue")]
    assert audit.expected_lines(tx(type="issue", status="awaiting_approval")) == []
    assert audit.expected_lines(tx(type="freeze", receiver=None, serials="")) == [(1, 7, 0, 0, 30, "", "freeze")]
    assert audit.expected_lines(tx(type="emperor")) is None


def test_lines_agree_with_transaction() -> None:
    t = tx()
    lines = audit.expected_lines(t)
    assert lines is not None
    assert audit.lines_agree_with_transaction(t, lines, [8, 9]) is None
    p = audit.lines_agree_with_transaction(tx(quantity=530), lines, [8, 9])  # quantity edited 30 → 530
    assert p is not None and p.code == "lines_disagree_with_transaction" and p.subject == "transaction 5"
    assert "-30 t" in p.detail and "-530 t" in p.detail
    unknown = audit.lines_agree_with_transaction(tx(type="emperor"), [], [])
    assert unknown is not None and unknown.code == "transaction_type_unknown"


def test_approval_agrees() -> None:
    reps = {"reg-2": [Representation(1, "regulator", "BJ")], "sh": [Representation(9, "regulator", "SH")],
            "co-2": [Representation(3, "company", None)]}
    issue = tx(type="issue", sender=None, actor="reg-1")
    assert audit.approval_agrees(issue._replace(approved_by="reg-2"), "regulator", reps) is None
    assert audit.approval_agrees(issue, None, reps) is None  # no approval needed
    codes = {ap: getattr(audit.approval_agrees(issue._replace(approved_by=ap), "regulator", reps), "code", None)
             for ap in (None, "reg-1", "sh", "nobody")}
    assert codes == {None: "approval_missing", "reg-1": "approver_is_proposer", "sh": "approver_not_authorised",
                     "nobody": "approver_not_authorised"}
    # approved by the proposer's own party (party 3): another representative of it
    assert audit.approval_agrees(tx(approved_by="co-2"), "party", reps) is None
    assert audit.approval_agrees(tx(status="awaiting_approval"), "regulator", reps) is None


def test_issuance_contiguous() -> None:
    a, b = tx(1, "issue", serials="1-100", quantity=100), tx(2, "issue", serials="101-150", quantity=50)
    assert audit.issuance_contiguous(7, [a, b]) == []
    gap = tx(2, "issue", serials="102-151", quantity=50)  # serial 101 skipped
    assert [(p.code, p.subject) for p in audit.issuance_contiguous(7, [a, gap])] == [
        ("issuance_not_contiguous", "transaction 2")]


def test_blocks_within_issuance() -> None:
    # 150 issued: 1-100 with account 1, 101-150 with account 2
    assert audit.blocks_within_issuance(7, [(1, 100, 1, 0), (101, 150, 2, 0)], 150) == []
    bad = audit.blocks_within_issuance(7, [(1, 100, 1, 0), (90, 150, 2, 0), (151, 160, 3, 0)], 150)
    assert [(p.code, p.subject) for p in bad] == [
        ("serials_overlap", "block 7:90-150 of account 2"),
        ("block_outside_issuance", "block 7:151-160 of account 3"),
        ("serials_not_conserved", "unit class 7")]  # 100 + 61 + 10 = 171 held, 150 issued


def test_positions_agree_with_transactions() -> None:
    txns = [tx(1, "issue", sender=None, receiver=1, quantity=100, serials="1-100"), tx(2, quantity=30),
            tx(3, status="awaiting_approval", quantity=50)]
    flows = audit.transaction_flows(txns)
    assert flows == {(1, 7, 0): 70, (2, 7, 0): 30}  # 100 − 30, and 30; the pending one moves nothing
    assert audit.positions_agree_with_transactions(flows, {(1, 7, 0): 70, (2, 7, 0): 30}) == []
    moved = audit.positions_agree_with_transactions(flows, {(1, 7, 0): 60, (2, 7, 0): 40})
    assert [p.subject for p in moved] == ["position 1/7/0", "position 2/7/0"]


def test_unit_class_figures() -> None:
    ok = audit.unit_class_figures(7, 150, {"issued": 150, "surrendered": 20}, {"held": 150, "surrendered": 20})
    assert ok == []
    bad = audit.unit_class_figures(7, 1_000_150, {"issued": 150, "surrendered": 20},
                                   {"held": 1_000_150, "surrendered": 10, "cancelled": 5})
    assert [p.code for p in bad] == ["issued_differs_from_transactions", "surrendered_differs_from_transactions",
                                     "cancelled_differs_from_transactions"]
