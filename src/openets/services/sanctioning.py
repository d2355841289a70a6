"""The national market's sanctions in a consequences decision. The rule set in force on the deadline
day — the day the failure to surrender happens — decides: Decree 775 (国务院令第775号) for a deadline
from 1 May 2024, the 2021 Measures before it (``compliance/sanctions.py``). So the 2021–2022 period
(deadline 31 Dec 2023) falls under the Measures and 2023 (deadline 31 Dec 2024) under the Decree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openets.compliance.rules import ComplianceRules
from openets.compliance.sanctions import Sanctions, month_before, surrender_fine
from openets.core.clock import MARKET_TZ
from openets.rules.loader import RuleBook
from openets.services import rulebook


def governing(book: RuleBook, market: str, year: int, deadline: datetime) -> Sanctions | None:
    """The sanctions governing a failure at ``deadline``; None for a market whose rule sets state none
    (the pilots: their compliance section fines). A market that has them but none for that date is
    an error naming what is missing, never a silent fallback."""
    if not any(rs.market == market and "sanctions" in rs.raw for rs in book.rule_sets):
        return None
    return rulebook.sanctions(book, market, year, deadline)


@dataclass(frozen=True, slots=True)
class Decided:
    company: str
    shortfall: int
    amount_fen: int
    basis: str


def surrender_fines(rule: Sanctions, late: list[tuple[str, int]], deadline: datetime,
                    price: Callable[[date, date], Decimal], compliance: ComplianceRules, *,
                    multiplier: Decimal | None, fixed_fen: int | None) -> list[Decided]:
    """One fine per company short at the deadline. ``price_multiple`` (Decree 775 Art. 24): the multiple
    decided (else the rule's stated default) × ``price`` over the month before the deadline × the
    shortfall. ``fixed`` (the Measures): the amount decided; where none is, the default the market's
    compliance section states with its source (2019–2020: 20,000 yuan, unverified), else refused."""
    s = rule.surrender
    if not late:
        return []
    if s.kind == "price_multiple":
        start, end = month_before(deadline.astimezone(MARKET_TZ).date())
        avg = price(start, end)
        got = [(c, surrender_fine(q, s, price_fen=avg, multiple=multiplier)) for c, q in late]
        return [Decided(c, f.shortfall, f.amount_fen, f"{f.basis}, {start}–{end}; {rule_name(multiplier)}")
                for c, f in got]
    stated = compliance.default_fixed_fine if fixed_fen is None else None
    amount = fixed_fen if fixed_fen is not None else (stated[0] if stated is not None else None)
    note = f"; the stated default ({stated[1]})" if stated is not None else ""
    return [Decided(c, f.shortfall, f.amount_fen, f.basis + note)
            for c, f in ((c, surrender_fine(q, s, amount_fen=amount)) for c, q in late)]


def rule_name(multiplier: Decimal | None) -> str:
    return "the multiple decided" if multiplier is not None else "the rule's stated default multiple"
