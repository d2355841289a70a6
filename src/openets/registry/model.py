"""Registry records: small, typed, immutable where they can be."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from openets.core.ids import AccountId, AccountNumber, PartyId, TxId, UnitClassCode, UnitClassId


class PartyKind(enum.StrEnum):
    COMPANY = "company"  # 控排企业 covered company
    INVESTOR = "investor"  # 投资机构/个人
    VERIFIER = "verifier"  # 第三方核查机构
    EXCHANGE = "exchange"  # 交易所
    REGULATOR = "regulator"  # 主管部门
    REGISTRY = "registry"  # 注册登记机构 (holds the market's government accounts)


@dataclass(frozen=True, slots=True)
class Party:
    id: PartyId
    kind: PartyKind
    name: str
    name_en: str = ""
    market: str | None = None
    registration_id: str | None = None  # 统一社会信用代码 for companies
    sector: str | None = None
    region: str | None = None  # GB/T 2260 code


@dataclass(frozen=True, slots=True)
class Installation:
    """A site (设施) of a covered company; allocation and MRV work per installation."""

    id: int
    party_id: PartyId
    name: str
    county_code: str  # GB/T 2260 six-digit administrative code
    sector: str


@dataclass(frozen=True, slots=True)
class GeneratingUnit:
    """A power generating unit (机组); the national power allocation works per unit."""

    id: int
    installation_id: int
    name: str
    capacity_mw: int
    fuel: str  # coal, gas, coal_gangue …
    cooling: str  # water, air
    category: str  # benchmark category, e.g. "300MW_subcritical"


class AccountType(enum.StrEnum):
    ISSUANCE = "issuance"  # 配额发放账户: new units are created here
    ALLOCATION_RESERVE = "allocation_reserve"  # 配额储备
    AUCTION = "auction"  # 拍卖账户
    HOLDING = "holding"  # 一般持有账户 (investors, companies)
    COMPLIANCE = "compliance"  # 履约账户 of a covered company: may surrender
    SURRENDER = "surrender"  # 清缴账户 of a market: surrendered units end here
    RETIREMENT = "retirement"  # 注销账户: voluntary cancellation
    DELETION = "deletion"  # 删除账户: units taken out of the cap
    EXCHANGE_CLEARING = "exchange_clearing"  # 交易所结算账户


GOVERNMENT_ACCOUNTS = frozenset(
    {AccountType.ISSUANCE, AccountType.ALLOCATION_RESERVE, AccountType.AUCTION,
     AccountType.SURRENDER, AccountType.RETIREMENT, AccountType.DELETION}
)
TERMINAL_ACCOUNTS = frozenset({AccountType.SURRENDER, AccountType.RETIREMENT, AccountType.DELETION})


class AccountStatus(enum.StrEnum):
    REQUESTED = "requested"  # opening requested, awaiting the regulator
    REJECTED = "rejected"
    OPEN = "open"
    SOME_RESTRICTED = "some_restricted"  # only compliance outflows (surrender, cancel, reversal)
    ALL_RESTRICTED = "all_restricted"  # nothing in or out
    SUSPENDED_PARTIAL = "suspended_partial"  # may receive, not send
    SUSPENDED = "suspended"  # nothing in or out
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Account:
    id: AccountId
    number: AccountNumber
    market: str
    type: AccountType
    party_id: PartyId
    status: AccountStatus
    name: str = ""


class UnitKind(enum.StrEnum):
    ALLOWANCE = "allowance"  # 配额
    OFFSET = "offset"  # 核证减排量 (CCER, PHCER, FFCER, VCS …)


@dataclass(frozen=True, slots=True)
class UnitClass:
    """Units that are interchangeable: allowances of one market and vintage (``BEA-2016``), or
    offset credits of one standard, project and vintage (``CCER:001:2015``)."""

    id: UnitClassId
    code: UnitClassCode
    kind: UnitKind
    market: str  # the market whose registry holds them
    vintage: int
    standard: str | None = None  # CCER, PHCER, FFCER, VCS …
    project_id: str | None = None
    project_type: str | None = None
    location: str | None = None  # GB/T 2260 code of the project site
    cap: int | None = None  # most units that may ever be issued (allowances: the cap of that vintage)
    issued: int = 0


@dataclass(frozen=True, slots=True)
class Restriction:
    """What restricted units may do, as data: e.g. Shanghai's auctioned allowances may only be
    surrendered by their buyer for the 2016 compliance year (沪发改公告〔2017〕3号)."""

    id: int
    allowed_types: frozenset[str]
    bound_holder: PartyId | None = None  # party id
    bound_market: str | None = None
    bound_year: int | None = None
    expires_at: datetime | None = None
    note: str = ""


UNRESTRICTED = 0


@dataclass(slots=True)
class Reservation:
    id: int
    account_id: AccountId
    unit_class_id: UnitClassId
    restriction_id: int
    quantity: int
    kind: str  # order, deposit, approval, freeze, hold
    status: str = "open"  # open, released, consumed
    txn_id: TxId | None = None
    meta: dict[str, str] = field(default_factory=dict)
