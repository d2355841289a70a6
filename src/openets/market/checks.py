"""Named trading-rule checks: each a small pure function returning a sentence for people or None,
as registry/checks.py does. The check's name is the reason code a refused order (or block trade)
carries, so a caller sees *which* rule refused it.

The national market's rule (生态环境部公告2021年第21号, other-markets.md): a listed agreement order
(挂牌协议) is under 100,000 t; a block agreement trade (大宗协议) is at least 100,000 t, in the
afternoon session only, within ±30 % of the previous close. The values come from the market's
trading rule set (``listed_max``, ``block_min``, ``block_band``, ``block_sessions``); a market
without ``listed_max`` (the pilots) has no upper size for listed orders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openets.core.clock import MARKET_TZ
from openets.market.rules import TradingRules, band, in_session


@dataclass(frozen=True, slots=True)
class Proposed:
    """What a check judges: the market's rules and one proposed order or block trade."""

    rules: TradingRules
    quantity: int
    at: datetime
    price: int | None = None  # fen; None for market and select orders (no price of their own)
    reference: int | None = None  # fen: the previous close, the band's centre


Check = Callable[[Proposed], str | None]


# -- listed agreement orders (挂牌协议) ------------------------------------------------------------------
def listed_too_large(p: Proposed) -> str | None:
    """A listed order is below ``listed_max`` (national market: < 100,000 t); larger is a block trade."""
    cap = p.rules.listed_max
    if cap is not None and p.quantity >= cap:
        return f"a listed order is below {cap:,} t ({p.quantity:,} t asked): trade it as a block trade"
    return None


# -- block agreement trades (大宗协议) --------------------------------------------------------------------
def block_too_small(p: Proposed) -> str | None:
    if p.quantity < p.rules.block_min:
        return f"block trades are at least {p.rules.block_min:,} t ({p.quantity:,} t asked)"
    return None


def quantity_not_in_lots(p: Proposed) -> str | None:
    if p.quantity % p.rules.lot:
        return f"{p.quantity:,} t is not a whole number of {p.rules.lot}-t lots"
    return None


def block_outside_band(p: Proposed) -> str | None:
    if p.reference is None or p.price is None:
        return "a block trade needs a price and a previous close to set its band"
    low, high = band(p.reference, p.rules.block_band, p.rules.tick)
    if not low <= p.price <= high:
        return f"price {p.price} outside the block band {low}–{high} (±{p.rules.block_band * 100:.0f} % of {p.reference})"
    return None


def block_outside_session(p: Proposed) -> str | None:
    if not in_session(p.rules, p.at, block=True):
        hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in p.rules.block_sessions)
        local = p.at.astimezone(MARKET_TZ)
        return f"outside the block-trading session ({hours} on trading days; it is {local:%Y-%m-%d %H:%M})"
    return None


LISTED_CHECKS: tuple[Check, ...] = (listed_too_large,)
BLOCK_CHECKS: tuple[Check, ...] = (block_too_small, quantity_not_in_lots, block_outside_band, block_outside_session)


def first_failure(checks: Sequence[Check], p: Proposed) -> tuple[str, str] | None:
    """(reason code, sentence) of the first check that fails, in order; None when all pass."""
    for check in checks:
        why = check(p)
        if why is not None:
            return check.__name__, why
    return None


def check_block(rules: TradingRules, *, price: int, quantity: int, reference: int, at: datetime) -> str | None:
    """A block agreement trade between two named parties: size, lots, band, session. The sentence
    of the first failure, or None."""
    hit = first_failure(BLOCK_CHECKS, Proposed(rules, quantity, at, price, reference))
    return hit[1] if hit else None


def split_listed(rules: TradingRules, quantity: int) -> list[int]:
    """A quantity cut into listed-order slices, each in whole lots and below ``listed_max``, largest
    first (for an agent that would otherwise place a refused listed order)."""
    cap = rules.listed_max
    if cap is None or quantity < cap:
        return [quantity]
    step = (cap - 1) // rules.lot * rules.lot
    if step <= 0:
        return [quantity]  # a lot as large as the cap: nothing smaller exists; the check will say so
    full, rest = divmod(quantity, step)
    return [step] * full + ([rest] if rest else [])
