"""Named checks for a registry transaction: each a small pure function returning a reason or None.

They run in order and the first failure stops the transaction (as in the UK ETS registry). The
check's name is the error code the caller sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, from_us, to_us
from openets.registry.model import GOVERNMENT_ACCOUNTS, Account, Restriction, UnitClass, UnitKind
from openets.registry.transactions import SPECS, STATUS_IN, STATUS_OUT, SURRENDER_TYPES, StartedBy, TxType
from openets.rules.loader import RegistryRules


@dataclass(frozen=True, slots=True)
class Ctx:
    type: TxType
    actor: Actor
    now: datetime
    unit_class: UnitClass
    quantity: int
    sender: Account | None
    receiver: Account | None
    restriction: Restriction | None
    available: int  # sender's available balance of this position (0 when no sender)
    from_reserved: int
    rules: RegistryRules
    compliance_year: int | None = None
    market: str | None = None  # the market the transaction is for (surrender)
    already_reversed: bool = False
    reverses: TxType | None = None  # a reversal: the type of the transaction it reverses …
    reverses_year: int | None = None  # … and that transaction's compliance year
    # a surrender under an account limit (flex_key): (kind, year, the limit granted or None, used so far)
    flex: tuple[str, int, int | None, int] | None = None
    arrived_us: int | None = None  # when the units it takes arrived, if after its time (None: not after)


Check = Callable[[Ctx], str | None]
SURRENDERS = SURRENDER_TYPES  # into the market's surrender account, for a year


def quantity_whole_and_positive(c: Ctx) -> str | None:
    if not isinstance(c.quantity, int) or isinstance(c.quantity, bool) or c.quantity <= 0:
        return f"quantity must be a whole positive number of tonnes, got {c.quantity!r}"
    return None


def sender_status_allows(c: Ctx) -> str | None:
    if c.sender and c.type not in STATUS_OUT[c.sender.status]:
        return f"account {c.sender.number} is {c.sender.status}: no {c.type} out of it"
    return None


def receiver_status_allows(c: Ctx) -> str | None:
    if c.receiver and not STATUS_IN[c.receiver.status]:
        return f"account {c.receiver.number} is {c.receiver.status}: it cannot receive units"
    return None


def sender_type_allowed(c: Ctx) -> str | None:
    spec = SPECS.get(c.type)
    if spec and c.sender and c.sender.type not in spec.senders:
        return f"a {c.type} cannot be sent from a {c.sender.type} account"
    return None


def receiver_type_allowed(c: Ctx) -> str | None:
    spec = SPECS.get(c.type)
    if spec and c.receiver and c.receiver.type not in spec.receivers:
        return f"a {c.type} cannot go to a {c.receiver.type} account"
    return None


def receiver_differs(c: Ctx) -> str | None:
    if c.sender and c.receiver and c.sender.id == c.receiver.id:
        return "sender and receiver are the same account"
    return None


def one_market(c: Ctx) -> str | None:
    markets = [m for m in (c.sender and c.sender.market, c.receiver and c.receiver.market, c.market) if m]
    if any(m != markets[0] for m in markets):
        return f"accounts of different markets ({', '.join(sorted(set(markets)))}) in one transaction"
    return None


def unit_class_allowed(c: Ctx) -> str | None:
    account = c.receiver or c.sender
    if account is None:
        return None
    uc = c.unit_class
    if uc.kind is UnitKind.ALLOWANCE and uc.market != account.market:
        return f"{uc.code} allowances belong to market {uc.market}, not {account.market}"
    if uc.kind is UnitKind.OFFSET and uc.standard not in c.rules.accepted_offsets:
        return f"market {account.market} does not accept {uc.standard} credits"
    return None


def actor_authorised(c: Ctx) -> str | None:
    spec = SPECS.get(c.type)
    account = c.sender or c.receiver
    if account is None:
        return None
    if c.type in (TxType.FREEZE, TxType.UNFREEZE) or (spec and spec.started_by is StartedBy.REGULATOR):
        if c.actor.role in (Role.REGULATOR, Role.SYSTEM) and c.actor.market == account.market:
            return None
        return f"{c.actor.describe()} is not a regulator of market {account.market}"
    if c.actor.party_id == account.party_id and c.actor.role not in (Role.AUDITOR,):
        return None
    return f"{c.actor.describe()} does not represent the holder of account {account.number}"


def restriction_allows(c: Ctx) -> str | None:
    r = c.restriction
    # issuing creates restricted units; releasing, freezing and reversing never hand them on
    if r is None or c.type in (TxType.ISSUE, TxType.RELEASE, TxType.FREEZE, TxType.UNFREEZE, TxType.REVERSAL):
        return None
    # a forced surrender takes what the holder could surrender: restricted as a surrender is
    if (TxType.SURRENDER if c.type is TxType.FORCED_SURRENDER else c.type).value not in r.allowed_types:
        return f"these units are restricted ({r.note or 'restriction ' + str(r.id)}): no {c.type}"
    if r.bound_holder is not None:
        # only the bound holder may hold them outside government accounts
        for acc in (c.sender, c.receiver):
            if acc and acc.type not in GOVERNMENT_ACCOUNTS and acc.party_id != r.bound_holder:
                return f"these units are bound to party {r.bound_holder}"
    if c.type in SURRENDERS:
        if r.bound_market is not None and c.market != r.bound_market:
            return f"these units may only be surrendered in market {r.bound_market}"
        if r.bound_year is not None and c.compliance_year != r.bound_year:
            return f"these units may only be surrendered for compliance year {r.bound_year}"
    if r.expires_at is not None and c.now >= r.expires_at:
        return f"these units' permission expired at {r.expires_at.isoformat()}"
    return None


def compliance_period_given(c: Ctx) -> str | None:
    if c.type in SURRENDERS and c.compliance_year is None:
        return f"a {c.type} must name the compliance year it is for"
    return None


def forced_surrender_allowances(c: Ctx) -> str | None:
    """A forced surrender (the regulator deducting a shortfall) takes the market's allowances of
    vintages up to the compliance year: never offsets, never a later vintage (no borrowing by force)."""
    if c.type is not TxType.FORCED_SURRENDER or c.compliance_year is None:
        return None
    uc = c.unit_class
    if uc.kind is not UnitKind.ALLOWANCE or uc.vintage > c.compliance_year:
        return f"a forced surrender for {c.compliance_year} takes allowances of vintages up to it, not {uc.code}"
    return None


def vintage_counts(c: Ctx) -> str | None:
    """Banking and borrowing as rule data: allowances of a later vintage than the compliance year only
    within the market's borrowing, of an earlier one only where it allows banking."""
    if c.type is not TxType.SURRENDER or c.compliance_year is None or c.unit_class.kind is not UnitKind.ALLOWANCE:
        return None
    v, y = c.unit_class.vintage, c.compliance_year
    if any(a <= v <= b and a <= y <= b for a, b in c.rules.periods):  # one compliance period, one surrender
        return None
    if c.rules.borrowing_vintage is not None and v == c.rules.borrowing_vintage > y:
        return None  # within the account's granted limit (within_flex_limit)
    if v > y + c.rules.borrowing:
        return (f"{c.unit_class.code} cannot be surrendered for {y}" +
                (f": borrowing reaches {c.rules.borrowing} year(s) ahead" if c.rules.borrowing else ": no borrowing"))
    if v < y and not c.rules.banking:
        return f"{c.unit_class.code} cannot be surrendered for {y}: earlier vintages are not banked in this market"
    return None


def flex_key(kind: UnitKind, vintage: int, year: int | None, rules: RegistryRules) -> tuple[str, int] | None:
    """The account limit a surrender of allowances of ``vintage`` for ``year`` counts against, if any: ("borrowing", year)
    for the plan's borrowing vintage surrendered for an earlier year; ("carry_over", last banked
    vintage) for a vintage up to ``carry_over_until`` surrendered for a later year."""
    if year is None or kind is not UnitKind.ALLOWANCE:
        return None
    if rules.borrowing_vintage is not None and vintage == rules.borrowing_vintage > year:
        return ("borrowing", year)
    if rules.carry_over_until is not None and vintage <= rules.carry_over_until < year:
        return ("carry_over", rules.carry_over_until)
    return None


def within_flex_limit(c: Ctx) -> str | None:
    """Borrowing and carry-over enforced per account: a surrender counting against a limit needs the
    limit granted (a regulator's decision, computed by the plan's rule) and stays within it."""
    if c.type is not TxType.SURRENDER or c.flex is None:
        return None
    kind, year, limit, used = c.flex
    what = (f"borrowing of {c.unit_class.code} for {year}" if kind == "borrowing"
            else f"carrying vintages up to {year} into {c.compliance_year}")
    if limit is None:
        return f"{what}: no limit granted to account {c.sender.number if c.sender else '?'}"
    if used + c.quantity > limit:
        return f"{what}: limit {limit:,} t, {used:,} t used, {c.quantity:,} t asked"
    return None


def not_before_arrival(c: Ctx) -> str | None:
    """A movement out of a position is not dated before the units it takes arrived in it, by issuance or
    by transfer (e.g. surrendering auctioned units before their delivery): the registry's time runs
    forward for every unit. ``arrived_us`` is found block by block (``Book.arrived_after``)."""
    if c.arrived_us is None or c.sender is None or to_us(c.now) >= c.arrived_us:
        return None
    return (f"units of {c.unit_class.code} arrived in account {c.sender.number} at "
            f"{from_us(c.arrived_us).astimezone(MARKET_TZ).isoformat()}: no {c.type} dated "
            f"{c.now.astimezone(MARKET_TZ).isoformat()}, before that")


def available_balance(c: Ctx) -> str | None:
    if c.sender is None:
        return None
    needed = c.quantity - c.from_reserved
    if needed > c.available:
        return f"account {c.sender.number} has {c.available} t of {c.unit_class.code} available, {needed} t needed"
    return None


def within_cap(c: Ctx) -> str | None:
    if c.type is TxType.ISSUE and c.unit_class.cap is not None and c.quantity > c.unit_class.cap - c.unit_class.issued:
        return (f"issuing {c.quantity} t of {c.unit_class.code} would exceed its cap {c.unit_class.cap} "
                f"({c.unit_class.issued} already issued)")
    return None


def reversal_within_period(c: Ctx) -> str | None:
    """A surrender may be reversed only within its compliance period (the UK registry's valid
    reverse-surrender period): up to the last day the market's registry rules give for its year."""
    if c.type is not TxType.REVERSAL or c.reverses is not TxType.SURRENDER or c.reverses_year is None:
        return None
    until = c.rules.surrender_reversal_until.get(c.reverses_year)
    if until is not None and c.now.astimezone(MARKET_TZ).date() > until:
        return f"a surrender for {c.reverses_year} may be reversed only until {until.isoformat()}"
    return None


def not_already_reversed(c: Ctx) -> str | None:
    if c.type is TxType.REVERSAL and c.already_reversed:
        return "this transaction was already reversed"
    return None


CHECKS: tuple[Check, ...] = (
    quantity_whole_and_positive,
    actor_authorised,
    sender_status_allows,
    receiver_status_allows,
    sender_type_allowed,
    receiver_type_allowed,
    receiver_differs,
    one_market,
    unit_class_allowed,
    compliance_period_given,
    forced_surrender_allowances,
    vintage_counts,
    within_flex_limit,
    restriction_allows,
    not_already_reversed,
    reversal_within_period,
    within_cap,
    not_before_arrival,
    available_balance,
)


def first_failure(ctx: Ctx, checks: tuple[Check, ...] = CHECKS) -> tuple[str, str] | None:
    for check in checks:
        reason = check(ctx)
        if reason is not None:
            return check.__name__, reason
    return None
