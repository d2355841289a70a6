"""Every named registry check, failing and passing, on in-memory contexts (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.registry import checks as c
from openets.registry.checks import CHECKS, first_failure
from openets.registry.model import AccountStatus, AccountType, UnitKind
from openets.registry.transactions import TxType
from openets.testing.registry_stubs import (
    NOW,
    account,
    allowance,
    company,
    ctx,
    offset,
    regulator,
    restriction,
    rules,
)


def fails(check: c.Check, context: c.Ctx) -> str:
    """``check`` refuses ``context``, and is the first check to (so a caller sees its name as the code)."""
    reason = check(context)
    assert reason, f"{check.__name__} passed {context}"
    assert first_failure(context) == (check.__name__, reason)
    return reason


def passes(check: c.Check, context: c.Ctx) -> None:
    assert check(context) is None


def test_the_stub_context_passes_every_check() -> None:
    assert first_failure(ctx()) is None


# -- quantity_whole_and_positive -------------------------------------------------------------------
@pytest.mark.parametrize("quantity", [0, -5, True, 2.5])
def test_quantity_whole_and_positive(quantity: object) -> None:
    assert "whole positive" in fails(c.quantity_whole_and_positive, ctx(quantity=quantity))
    passes(c.quantity_whole_and_positive, ctx(quantity=1))


# -- actor_authorised ------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", [company(11), company(10, role=Role.AUDITOR), regulator()])
def test_actor_authorised_owner_moves_refuses_others(actor: object) -> None:
    assert "does not represent" in fails(c.actor_authorised, ctx(actor=actor))
    passes(c.actor_authorised, ctx(actor=company(10)))


def test_actor_authorised_regulator_moves() -> None:
    central: dict[str, Any] = dict(type=TxType.ALLOCATE, sender=account(1, type=AccountType.ISSUANCE, party=1),
                   receiver=account(101, type=AccountType.COMPLIANCE, party=10))
    assert "not a regulator of market BJ" in fails(c.actor_authorised, ctx(actor=company(1), **central))
    fails(c.actor_authorised, ctx(actor=regulator(market="SH"), **central))
    passes(c.actor_authorised, ctx(actor=regulator(), **central))
    passes(c.actor_authorised, ctx(actor=Actor("system", 1, Role.SYSTEM, "BJ"), **central))


def test_actor_authorised_freeze_is_the_regulators() -> None:
    assert "not a regulator" in fails(c.actor_authorised, ctx(type=TxType.FREEZE, receiver=None))
    passes(c.actor_authorised, ctx(type=TxType.FREEZE, receiver=None, actor=regulator()))


# -- sender_status_allows / receiver_status_allows -------------------------------------------------
def test_sender_status_allows() -> None:
    suspended = account(101, party=10, status=AccountStatus.SUSPENDED)
    assert "no transfer out of it" in fails(c.sender_status_allows, ctx(sender=suspended))
    some = account(101, type=AccountType.COMPLIANCE, party=10, status=AccountStatus.SOME_RESTRICTED)
    fails(c.sender_status_allows, ctx(sender=some))
    # some_restricted still lets compliance outflows out
    passes(c.sender_status_allows, ctx(type=TxType.SURRENDER, sender=some, compliance_year=2016))
    passes(c.sender_status_allows, ctx())


def test_receiver_status_allows() -> None:
    closed = account(102, party=11, status=AccountStatus.ALL_RESTRICTED)
    assert "cannot receive" in fails(c.receiver_status_allows, ctx(receiver=closed))
    passes(c.receiver_status_allows, ctx(receiver=account(102, party=11, status=AccountStatus.SUSPENDED_PARTIAL)))


# -- sender_type_allowed / receiver_type_allowed / receiver_differs / one_market -------------------
def test_sender_type_allowed() -> None:
    # a regulator may start nothing from an issuance account by transfer: the type's senders are the trading ones
    issuance = account(1, type=AccountType.ISSUANCE, party=10)
    assert "cannot be sent from a issuance account" in fails(c.sender_type_allowed, ctx(sender=issuance))
    passes(c.sender_type_allowed, ctx(sender=account(101, type=AccountType.COMPLIANCE, party=10)))


def test_receiver_type_allowed() -> None:
    issuance = account(1, type=AccountType.ISSUANCE, party=1)
    assert "cannot go to a issuance account" in fails(c.receiver_type_allowed, ctx(receiver=issuance))
    passes(c.receiver_type_allowed, ctx(receiver=account(102, type=AccountType.EXCHANGE_CLEARING, party=11)))


def test_receiver_differs() -> None:
    same = account(101, party=10)
    assert fails(c.receiver_differs, ctx(sender=same, receiver=same)) == "sender and receiver are the same account"
    passes(c.receiver_differs, ctx())


def test_one_market() -> None:
    assert "different markets (BJ, SH)" in fails(c.one_market, ctx(receiver=account(102, party=11, market="SH")))
    surrender: dict[str, Any] = dict(type=TxType.SURRENDER, sender=account(101, type=AccountType.COMPLIANCE, party=10),
                     receiver=account(4, type=AccountType.SURRENDER, party=1), compliance_year=2016)
    fails(c.one_market, ctx(market="SH", **surrender))
    passes(c.one_market, ctx(market="BJ", **surrender))


# -- unit_class_allowed ----------------------------------------------------------------------------
def test_unit_class_allowed() -> None:
    assert "belong to market SH, not BJ" in fails(c.unit_class_allowed, ctx(unit_class=allowance(market="SH")))
    assert "does not accept VCS" in fails(c.unit_class_allowed, ctx(unit_class=offset(standard="VCS")))
    passes(c.unit_class_allowed, ctx(unit_class=offset(standard="CCER")))
    passes(c.unit_class_allowed, ctx(unit_class=offset(standard="VCS"), rules=rules(accepted_offsets=("VCS",))))


# -- compliance_period_given / vintage_counts ------------------------------------------------------
def _surrender(**kw: Any) -> c.Ctx:
    fields: dict[str, Any] = dict(type=TxType.SURRENDER, sender=account(101, type=AccountType.COMPLIANCE, party=10),
                                     receiver=account(4, type=AccountType.SURRENDER, party=1), market="BJ",
                                     compliance_year=2016)
    fields.update(kw)
    return ctx(**fields)


def test_compliance_period_given() -> None:
    assert "name the compliance year" in fails(c.compliance_period_given, _surrender(compliance_year=None))
    passes(c.compliance_period_given, _surrender())
    passes(c.compliance_period_given, ctx())  # only surrenders are for a year


def test_vintage_counts_borrowing() -> None:
    later = allowance(vintage=2017)
    assert "no borrowing" in fails(c.vintage_counts, _surrender(unit_class=later))
    passes(c.vintage_counts, _surrender(unit_class=later, rules=rules(borrowing=1)))
    assert "borrowing reaches 1 year" in fails(c.vintage_counts, _surrender(unit_class=allowance(vintage=2018),
                                                                              rules=rules(borrowing=1)))


def test_vintage_counts_within_one_compliance_period() -> None:
    # the national first period 2019–2020 is surrendered at once: a 2020 allowance counts for 2019, a
    # 2021 one does not (no blanket year of borrowing)
    period = rules(periods=((2019, 2020),))
    passes(c.vintage_counts, _surrender(unit_class=allowance(vintage=2020), compliance_year=2019, rules=period))
    assert "no borrowing" in fails(c.vintage_counts, _surrender(unit_class=allowance(vintage=2021),
                                                                compliance_year=2020, rules=period))


def test_vintage_counts_banking() -> None:
    earlier = allowance(vintage=2015)
    assert "not banked" in fails(c.vintage_counts, _surrender(unit_class=earlier, rules=rules(banking=False)))
    passes(c.vintage_counts, _surrender(unit_class=earlier))
    passes(c.vintage_counts, _surrender(unit_class=offset(vintage=2010), rules=rules(banking=False)))  # offsets: other rules


# -- restriction_allows ----------------------------------------------------------------------------
def test_restriction_allows_types() -> None:
    only_surrender = restriction(allowed=("surrender",), note="auction 2017")
    assert "restricted (auction 2017): no transfer" in fails(c.restriction_allows, ctx(restriction=only_surrender))
    passes(c.restriction_allows, ctx(restriction=restriction(allowed=("transfer",))))
    for kind in (TxType.ISSUE, TxType.RELEASE, TxType.FREEZE, TxType.UNFREEZE, TxType.REVERSAL):
        passes(c.restriction_allows, ctx(type=kind, restriction=only_surrender))


def test_restriction_allows_bound_holder() -> None:
    bound = restriction(bound_holder=10)
    assert "bound to party 10" in fails(c.restriction_allows, ctx(restriction=bound))  # the receiver is party 11
    passes(c.restriction_allows, ctx(restriction=bound, receiver=account(103, party=10)))
    # government accounts may hold them
    passes(c.restriction_allows, _surrender(restriction=restriction(bound_holder=10)))


def test_restriction_allows_bound_market_and_year() -> None:
    assert "only be surrendered in market SH" in fails(c.restriction_allows,
                                                       _surrender(restriction=restriction(bound_market="SH")))
    assert "for compliance year 2017" in fails(c.restriction_allows, _surrender(restriction=restriction(bound_year=2017)))
    passes(c.restriction_allows, _surrender(restriction=restriction(bound_market="BJ", bound_year=2016)))


def test_restriction_allows_expiry() -> None:
    assert "expired" in fails(c.restriction_allows, ctx(restriction=restriction(expires_at=NOW)))
    passes(c.restriction_allows, ctx(restriction=restriction(expires_at=NOW + timedelta(seconds=1))))


# -- not_already_reversed / within_cap / available_balance -----------------------------------------
def test_not_already_reversed() -> None:
    reversal: dict[str, Any] = dict(type=TxType.REVERSAL, actor=regulator(), sender=account(4, type=AccountType.SURRENDER, party=1),
                    receiver=account(101, type=AccountType.COMPLIANCE, party=10))
    assert fails(c.not_already_reversed, ctx(already_reversed=True, **reversal)) == "this transaction was already reversed"
    passes(c.not_already_reversed, ctx(**reversal))


_REVERSE_SURRENDER: dict[str, Any] = dict(
    type=TxType.REVERSAL, actor=regulator(), sender=account(4, type=AccountType.SURRENDER, party=1),
    receiver=account(101, type=AccountType.COMPLIANCE, party=10), reverses=TxType.SURRENDER, reverses_year=2016)


def test_reversal_within_period() -> None:
    # NOW is 1 June 2017 10:00 in Beijing: a 2016 surrender may be reversed until 31 May → refused; until 1 June → allowed
    window = rules(surrender_reversal_until={2016: date(2017, 5, 31)})
    assert fails(c.reversal_within_period, ctx(rules=window, **_REVERSE_SURRENDER)) == \
        "a surrender for 2016 may be reversed only until 2017-05-31"
    passes(c.reversal_within_period, ctx(rules=rules(surrender_reversal_until={2016: date(2017, 6, 1)}),
                                         **_REVERSE_SURRENDER))
    passes(c.reversal_within_period, ctx(**_REVERSE_SURRENDER))  # no window stated for the year
    passes(c.reversal_within_period, ctx(rules=window, **{**_REVERSE_SURRENDER, "reverses": TxType.ALLOCATE}))


def test_within_cap() -> None:
    issue: dict[str, Any] = dict(type=TxType.ISSUE, actor=regulator(), sender=None, available=0,
                 receiver=account(1, type=AccountType.ISSUANCE, party=1))
    assert "would exceed its cap 100 (95 already issued)" in fails(
        c.within_cap, ctx(unit_class=allowance(cap=100, issued=95), quantity=6, **issue))
    passes(c.within_cap, ctx(unit_class=allowance(cap=100, issued=95), quantity=5, **issue))
    passes(c.within_cap, ctx(unit_class=offset(), quantity=10**9, **issue))  # no cap


def test_available_balance() -> None:
    assert "has 100 t of BJA-2016 available, 101 t needed" in fails(c.available_balance, ctx(quantity=101))
    passes(c.available_balance, ctx(quantity=100))
    passes(c.available_balance, ctx(quantity=150, from_reserved=50))  # the reserved part is not counted twice


def test_forced_surrender_takes_allowances_up_to_the_year() -> None:
    forced: dict[str, Any] = dict(type=TxType.FORCED_SURRENDER, actor=regulator())
    passes(c.forced_surrender_allowances, _surrender(**forced))  # BJA-2016 for 2016
    passes(c.forced_surrender_allowances, _surrender(unit_class=allowance(vintage=2015), **forced))
    assert fails(c.forced_surrender_allowances, _surrender(unit_class=allowance(vintage=2017), **forced)) == \
        "a forced surrender for 2016 takes allowances of vintages up to it, not BJA-2017"
    assert "not CCER:001:2015" in fails(c.forced_surrender_allowances, _surrender(unit_class=offset(), **forced))
    passes(c.actor_authorised, _surrender(**forced))  # the regulator, not the holder, starts it
    assert fails(c.actor_authorised, _surrender(type=TxType.FORCED_SURRENDER)) is not None  # the holder cannot
    # restricted units go as a surrender would
    passes(c.restriction_allows, _surrender(restriction=restriction(allowed=("surrender",)), **forced))


def test_not_before_arrival() -> None:
    """NOW is 1 June 2017 10:00 in Beijing; units that arrived at 10:00:00.000001 cannot leave at 10:00."""

    assert "no surrender dated 2017-06-01T10:00:00+08:00, before that" in fails(
        c.not_before_arrival, _surrender(arrived_us=to_us(NOW) + 1))
    passes(c.not_before_arrival, _surrender(arrived_us=to_us(NOW)))  # the same moment: after it
    passes(c.not_before_arrival, _surrender())  # not loaded


def test_flex_key_and_within_flex_limit() -> None:
    """National 2021–2022: 2023 allowances for 2022 count against the account's borrowing for 2022;
    2023–2024: vintages up to 2024 for 2025 against its carry-over. Limit 10,000, 6,000 used: 4,000 more
    pass, 4,001 do not; no limit granted: refused."""
    borrowing, carry = rules(borrowing_vintage=2023), rules(carry_over_until=2024)
    assert c.flex_key(UnitKind.ALLOWANCE, 2023, 2022, borrowing) == ("borrowing", 2022)
    assert c.flex_key(UnitKind.ALLOWANCE, 2023, 2023, borrowing) is None  # its own year
    assert c.flex_key(UnitKind.ALLOWANCE, 2022, 2021, borrowing) is None  # not the plan's vintage
    assert c.flex_key(UnitKind.ALLOWANCE, 2024, 2025, carry) == ("carry_over", 2024)
    assert c.flex_key(UnitKind.ALLOWANCE, 2024, 2024, carry) is None
    assert c.flex_key(UnitKind.ALLOWANCE, 2025, 2026, carry) is None  # a vintage after the limited ones
    assert c.flex_key(UnitKind.OFFSET, 2024, 2025, carry) is None
    passes(c.within_flex_limit, _surrender(quantity=4_000, flex=("borrowing", 2022, 10_000, 6_000)))
    assert fails(c.within_flex_limit, _surrender(quantity=4_001, flex=("borrowing", 2022, 10_000, 6_000))) == \
        "borrowing of BJA-2016 for 2022: limit 10,000 t, 6,000 t used, 4,001 t asked"
    assert "no limit granted to account" in fails(c.within_flex_limit, _surrender(flex=("carry_over", 2024, None, 0)))
    passes(c.within_flex_limit, _surrender())  # no limit concerned


# one failing context per named check: a check added to CHECKS without a case here fails this test
_ISSUE: dict[str, Any] = dict(type=TxType.ISSUE, actor=regulator(), sender=None, available=0,
              receiver=account(1, type=AccountType.ISSUANCE, party=1))
EXAMPLES: dict[str, c.Ctx] = {
    "quantity_whole_and_positive": ctx(quantity=0),
    "actor_authorised": ctx(actor=company(11)),
    "sender_status_allows": ctx(sender=account(101, party=10, status=AccountStatus.SUSPENDED)),
    "receiver_status_allows": ctx(receiver=account(102, party=11, status=AccountStatus.SUSPENDED)),
    "sender_type_allowed": ctx(sender=account(1, type=AccountType.ISSUANCE, party=10)),
    "receiver_type_allowed": ctx(receiver=account(1, type=AccountType.ISSUANCE, party=1)),
    "receiver_differs": ctx(receiver=account(101, party=10)),
    "one_market": ctx(receiver=account(102, party=11, market="SH")),
    "unit_class_allowed": ctx(unit_class=offset(standard="VCS")),
    "compliance_period_given": _surrender(compliance_year=None),
    "vintage_counts": _surrender(unit_class=allowance(vintage=2017)),
    "forced_surrender_allowances": _surrender(type=TxType.FORCED_SURRENDER, actor=regulator(),
                                              unit_class=allowance(vintage=2017)),
    "within_flex_limit": _surrender(flex=("borrowing", 2016, 5, 0)),
    "restriction_allows": ctx(restriction=restriction(allowed=("surrender",))),
    "not_already_reversed": ctx(type=TxType.REVERSAL, actor=regulator(), already_reversed=True,
                                sender=account(4, type=AccountType.SURRENDER, party=1),
                                receiver=account(101, type=AccountType.COMPLIANCE, party=10)),
    "reversal_within_period": ctx(rules=rules(surrender_reversal_until={2016: date(2017, 5, 31)}),
                                  **_REVERSE_SURRENDER),
    "within_cap": ctx(unit_class=allowance(cap=5), quantity=6, **_ISSUE),
    "not_before_arrival": _surrender(arrived_us=to_us(NOW) + 1),
    "available_balance": ctx(quantity=101),
}


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_each_named_check_is_the_code_of_its_refusal(check: c.Check) -> None:
    assert check.__name__ in EXAMPLES, f"add a failing example for {check.__name__}"
    fails(check, EXAMPLES[check.__name__])
