"""Typed transactions: what each type may move, from which accounts, to which, started by whom."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from openets.registry.model import AccountStatus, AccountType

A = AccountType


class TxType(enum.StrEnum):
    ISSUE = "issue"  # 签发
    ALLOCATE = "allocate"  # 分配
    CENTRAL_TRANSFER = "central_transfer"  # between the market's government accounts
    AUCTION_DELIVERY = "auction_delivery"  # 拍卖交付
    TRANSFER = "transfer"  # 转移
    SURRENDER = "surrender"  # 清缴
    CANCEL = "cancel"  # 自愿注销 voluntary cancellation / retirement
    DELETE = "delete"  # 删除 (out of the cap)
    RETURN_EXCESS = "return_excess"  # 多退: over-allocated units clawed back after the true-up
    FORCED_SURRENDER = "forced_surrender"  # 强制扣除: a shortfall taken from the account by the regulator (Shenzhen)
    REVERSAL = "reversal"  # 冲正: a compensating entry
    RESERVE = "reserve"  # 预留 (sell order, auction deposit, hold)
    RELEASE = "release"
    FREEZE = "freeze"  # 冻结 (regulatory or judicial)
    UNFREEZE = "unfreeze"


# What counts as surrendering for a compliance year, in the registry's checks, compliance and reports:
# the company's own surrender and the regulator's forced one (Shenzhen's deduction of the shortfall).
SURRENDER_TYPES: frozenset[TxType] = frozenset({TxType.SURRENDER, TxType.FORCED_SURRENDER})
SURRENDER_TYPE_VALUES: tuple[str, ...] = tuple(sorted(x.value for x in SURRENDER_TYPES))  # for SQL ``IN``


class ReceiverRule(enum.StrEnum):
    ENTERED = "entered"
    MARKET_SURRENDER = "market_surrender"
    MARKET_RETIREMENT = "market_retirement"
    MARKET_DELETION = "market_deletion"
    ORIGINAL_SENDER = "original_sender"


class StartedBy(enum.StrEnum):
    OWNER = "owner"  # an authorised representative of the sending account's party
    REGULATOR = "regulator"  # the regulator of the account's market


@dataclass(frozen=True, slots=True)
class TxSpec:
    senders: frozenset[AccountType]
    receivers: frozenset[AccountType]
    receiver_rule: ReceiverRule
    started_by: StartedBy
    reversible: bool = False


_TRADING = frozenset({A.HOLDING, A.COMPLIANCE, A.EXCHANGE_CLEARING})
_CENTRAL = frozenset({A.ISSUANCE, A.ALLOCATION_RESERVE, A.AUCTION})

SPECS: dict[TxType, TxSpec] = {
    TxType.ISSUE: TxSpec(frozenset(), frozenset({A.ISSUANCE}), ReceiverRule.ENTERED, StartedBy.REGULATOR),
    TxType.ALLOCATE: TxSpec(frozenset({A.ISSUANCE, A.ALLOCATION_RESERVE}), frozenset({A.COMPLIANCE, A.HOLDING}),
                            ReceiverRule.ENTERED, StartedBy.REGULATOR, reversible=True),
    TxType.CENTRAL_TRANSFER: TxSpec(_CENTRAL, _CENTRAL, ReceiverRule.ENTERED, StartedBy.REGULATOR),
    TxType.AUCTION_DELIVERY: TxSpec(frozenset({A.AUCTION}), frozenset({A.COMPLIANCE, A.HOLDING}),
                                    ReceiverRule.ENTERED, StartedBy.REGULATOR),
    TxType.TRANSFER: TxSpec(_TRADING, _TRADING, ReceiverRule.ENTERED, StartedBy.OWNER),
    TxType.SURRENDER: TxSpec(frozenset({A.COMPLIANCE}), frozenset({A.SURRENDER}), ReceiverRule.MARKET_SURRENDER,
                             StartedBy.OWNER, reversible=True),
    TxType.CANCEL: TxSpec(frozenset({A.HOLDING, A.COMPLIANCE}), frozenset({A.RETIREMENT}),
                          ReceiverRule.MARKET_RETIREMENT, StartedBy.OWNER),
    TxType.RETURN_EXCESS: TxSpec(frozenset({A.COMPLIANCE, A.HOLDING}), frozenset({A.ISSUANCE, A.ALLOCATION_RESERVE}),
                                 ReceiverRule.ENTERED, StartedBy.REGULATOR),
    TxType.FORCED_SURRENDER: TxSpec(frozenset({A.COMPLIANCE}), frozenset({A.SURRENDER}), ReceiverRule.MARKET_SURRENDER,
                                    StartedBy.REGULATOR),
    TxType.DELETE: TxSpec(_CENTRAL, frozenset({A.DELETION}), ReceiverRule.MARKET_DELETION, StartedBy.REGULATOR,
                          reversible=True),
    TxType.REVERSAL: TxSpec(frozenset(A), frozenset(A), ReceiverRule.ORIGINAL_SENDER, StartedBy.REGULATOR),
}

# What an account status lets out and in. Reservations count as "out" (they prepare an outflow).
_ANY = frozenset(TxType)
_COMPLIANCE_OUT = frozenset({TxType.SURRENDER, TxType.CANCEL, TxType.REVERSAL, TxType.RELEASE,
                             TxType.FREEZE, TxType.UNFREEZE, TxType.RETURN_EXCESS, TxType.FORCED_SURRENDER})
_REGULATORY = frozenset({TxType.FREEZE, TxType.UNFREEZE, TxType.RELEASE})
STATUS_OUT: dict[AccountStatus, frozenset[TxType]] = {
    AccountStatus.OPEN: _ANY,
    AccountStatus.SOME_RESTRICTED: _COMPLIANCE_OUT,
    AccountStatus.ALL_RESTRICTED: _REGULATORY,
    AccountStatus.SUSPENDED_PARTIAL: _REGULATORY,
    AccountStatus.SUSPENDED: _REGULATORY,
    AccountStatus.REQUESTED: frozenset(),
    AccountStatus.REJECTED: frozenset(),
    AccountStatus.CLOSED: frozenset(),
}
STATUS_IN: dict[AccountStatus, bool] = {
    AccountStatus.OPEN: True,
    AccountStatus.SOME_RESTRICTED: True,
    AccountStatus.ALL_RESTRICTED: False,
    AccountStatus.SUSPENDED_PARTIAL: True,
    AccountStatus.SUSPENDED: False,
    AccountStatus.REQUESTED: False,
    AccountStatus.REJECTED: False,
    AccountStatus.CLOSED: False,
}


class TxStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    REJECTED = "rejected"  # by the approver
    CANCELLED = "cancelled"  # withdrawn by the proposer


@dataclass(slots=True)
class TxRecord:
    """One registry transaction as stored (its lines are in the journal)."""

    id: int
    type: TxType
    status: TxStatus
    market: str
    unit_class_id: int | None
    restriction_id: int
    quantity: int
    actor_user: str
    actor_party: int
    actor_role: str
    at: datetime
    sender_id: int | None = None
    receiver_id: int | None = None
    compliance_year: int | None = None
    reverses_id: int | None = None
    reservation_id: int | None = None
    approved_by: str | None = None
    note: str = ""
    ranges: list[tuple[int, int]] = field(default_factory=list)
