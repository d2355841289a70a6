"""The analytic model a simulated allowance market is checked against (policy-lab.md): firms with
marginal abatement cost (MAC) curves and allocations → the competitive price, each firm's abatement,
the least total cost, the cost without trading and the gain from trading (Montgomery 1972); the
penalty as a price ceiling; several years with banking and no borrowing (Hotelling: the price grows at
the discount rate while a bank is held; Rubin 1996).

Pure and exact: every quantity is a ``Fraction`` (yuan, tonnes), so a hand-computed case is met to the
last digit; :func:`yuan` and :func:`tonnes` round a result for display (half up, to the fen and to
0.01 t). A MAC curve is linear (``MAC(a) = k·a``) or piecewise linear through points
``(tonnes abated, yuan per tonne)`` with both strictly increasing (a step is two close points); no
firm abates more than its business-as-usual emissions, nor past a curve's last point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from openets.core.errors import DomainError

F = Fraction


def exact_sum(xs: Iterable[Fraction | int]) -> Fraction:
    """Σ xs, exactly the Fraction ``sum(xs, F(0))`` gives, but over one common denominator: the lcm
    of the terms' denominators, then one reduction. ``sum`` adds term by term and reduces after each
    addition, a gcd of ever longer numbers: 1,000 firms' abatements at an exact price (denominators
    of thousands of digits) took 0.5 s that way, 0.01 s this way (measured)."""
    terms = list(xs)
    if not terms:
        return F(0)
    d = math.lcm(*(x.denominator for x in terms))
    return F(sum(x.numerator * (d // x.denominator) for x in terms), d)


@dataclass(frozen=True, slots=True)
class Mac:
    """A marginal abatement cost curve, yuan per tonne for the a-th tonne abated: ``slope`` (linear
    through 0) or ``points`` (piecewise linear; (0, 0) is added in front unless the first point is at
    0 t), and the firm's business-as-usual emissions ``bau``: no firm abates more than it emits."""

    bau: Fraction
    slope: Fraction | None = None
    points: tuple[tuple[Fraction, Fraction], ...] = ()

    def __post_init__(self) -> None:
        if (self.slope is None) == (not self.points):
            raise DomainError("mac_invalid", "a MAC curve has a slope or points, one of the two")
        if self.slope is not None and self.slope <= 0:
            raise DomainError("mac_invalid", f"a MAC slope is positive, got {self.slope}")
        pts = self._pts()
        for (a0, m0), (a1, m1) in zip(pts, pts[1:]):
            if not (a1 > a0 and m1 > m0):
                raise DomainError("mac_invalid", "MAC points rise in tonnes and in yuan, one after another")
        if pts and (pts[0][0] < 0 or pts[0][1] < 0):
            raise DomainError("mac_invalid", "MAC points are not negative")

    def _pts(self) -> tuple[tuple[Fraction, Fraction], ...]:
        if self.points and self.points[0][0] != 0:
            return ((F(0), F(0)), *self.points)
        return self.points

    @property
    def most(self) -> Fraction:
        """The most this firm can abate."""
        return self.bau if self.slope is not None else min(self.bau, self._pts()[-1][0])

    def mac(self, a: Fraction) -> Fraction:
        """The cost of the a-th tonne abated (beyond ``most``: the curve's last value)."""
        a = min(max(a, F(0)), self.most)
        if self.slope is not None:
            return self.slope * a
        pts = self._pts()
        for (a0, m0), (a1, m1) in zip(pts, pts[1:]):
            if a <= a1:
                return m0 + (m1 - m0) * (a - a0) / (a1 - a0)
        return pts[-1][1]

    def abatement(self, p: Fraction) -> Fraction:
        """How much the firm abates at price p: the most a with MAC(a) ≤ p (within ``most``)."""
        if p <= 0:
            return F(0)
        if self.slope is not None:
            return min(p / self.slope, self.bau)
        pts = self._pts()
        if p < pts[0][1]:
            return F(0)
        for (a0, m0), (a1, m1) in zip(pts, pts[1:]):
            if p <= m1:
                return min(a0 + (a1 - a0) * (p - m0) / (m1 - m0), self.bau)
        return self.most

    def cost(self, a: Fraction) -> Fraction:
        """The total cost of abating a tonnes: the area under the curve from 0 to a."""
        a = min(max(a, F(0)), self.most)
        if self.slope is not None:
            return self.slope * a * a / 2
        total, pts = F(0), self._pts()
        for (a0, m0), (a1, _m1) in zip(pts, pts[1:]):
            if a <= a0:
                break
            hi = min(a, a1)
            total += (m0 + self.mac(hi)) * (hi - a0) / 2  # a trapezium
        return total

    def breakpoints(self) -> list[Fraction]:
        """The prices where the firm's abatement bends (its supply of abatement is linear between)."""
        if self.slope is not None:
            return [self.slope * self.bau]
        return [m for a, m in self._pts()] + [self.mac(self.most)]


@dataclass(frozen=True, slots=True)
class Firm:
    firm_id: str
    sector: str
    curve: Mac
    allocation: Fraction  # tonnes this year (benchmark × output already applied: see intensity_allocation)

    @property
    def gap(self) -> Fraction:
        """What it must abate (or buy) to comply without trading: BAU − allocation, at least 0."""
        return max(self.curve.bau - self.allocation, F(0))


def intensity_allocation(benchmark: Decimal, output: Decimal) -> int:
    """Rate-based allocation as in the national market: benchmark (t per unit of output) × output, in
    whole tonnes rounded half up (a stated rule of this lab; allocation rule sets have their own)."""
    return int((benchmark * output).to_integral_value(rounding=ROUND_HALF_UP))


def solve_price(terms: Sequence[tuple[Mac, Fraction]], target: Fraction) -> Fraction | None:
    """The least price p with Σ curve.abatement(scale × p) = target, exactly; None if the curves
    cannot abate that much at any price. Each firm's abatement is continuous and piecewise linear in
    the price, so the sum is too: find the breakpoints' interval and interpolate."""
    if target <= 0:
        return F(0)

    def supply(p: Fraction) -> Fraction:
        return exact_sum(c.abatement(s * p) for c, s in terms)

    bps = sorted({bp / s for c, s in terms for bp in c.breakpoints() if bp > 0})
    lo_p, lo_q = F(0), F(0)
    for bp in bps:
        q = supply(bp)
        if q >= target:  # linear between lo_p and bp
            return lo_p + (bp - lo_p) * (target - lo_q) / (q - lo_q)
        lo_p, lo_q = bp, q
    return None


@dataclass(frozen=True, slots=True)
class Equilibrium:
    price: Fraction  # yuan per tonne
    abatement: dict[str, Fraction]  # per firm, tonnes
    required: Fraction  # Σ BAU − Σ allocation − offsets (tonnes the market must abate; ≤ 0: none)
    shortfall: Fraction  # tonnes not covered (the penalty binds: price = penalty)
    least_cost: Fraction  # Σ abatement cost + penalty × shortfall, yuan
    no_trade_cost: Fraction  # each firm alone: abate its own gap up to the penalty, pay it on the rest
    penalty_binds: bool
    total_abatement: Fraction  # Σ abatement
    firms: tuple[Firm, ...] = field(default=(), repr=False, compare=False)

    @property
    def net_cost(self) -> dict[str, Fraction]:
        """Per firm: abatement cost + (what it still lacks) × price; the shortfall is spread pro rata
        over net buyers' cost at the same price, so who pays whom nets out in the total. (Computed when
        asked: at an exact price each term is a long fraction, 6 s for 1,000 firms, which a lab run
        does not need.)"""
        p, abated = self.price, self.abatement
        return {f.firm_id: f.curve.cost(abated[f.firm_id]) + p * (f.curve.bau - abated[f.firm_id] - f.allocation)
                for f in self.firms}

    @property
    def gain(self) -> Fraction:
        """The gain from trading: what trading saves against each firm meeting its own gap."""
        return self.no_trade_cost - self.least_cost


def alone_cost(f: Firm, penalty: Fraction | None) -> Fraction:
    """A firm's cost without trading: it abates its gap, or up to where abating costs more than the
    penalty and pays the penalty on the rest."""
    a = f.gap if penalty is None else min(f.gap, f.curve.abatement(penalty))
    if a < f.gap and penalty is None:
        raise DomainError("cap_unreachable", f"firm {f.firm_id} cannot abate its gap and there is no penalty")
    return f.curve.cost(a) + (penalty or F(0)) * (f.gap - a)


def equilibrium(firms: Sequence[Firm], *, penalty: Fraction | None = None, offsets: Fraction = F(0)) -> Equilibrium:
    """The competitive equilibrium of one year (Montgomery): each firm abates until its MAC equals the
    price, and the price makes total abatement what the cap requires. With a penalty per tonne the
    price never exceeds it: firms pay it on what abating at that price does not cover."""
    required = exact_sum(f.curve.bau - f.allocation for f in firms) - offsets
    terms = [(f.curve, F(1)) for f in firms]
    p = solve_price(terms, required)
    binds = p is None or (penalty is not None and p > penalty)
    if binds:
        if penalty is None:
            raise DomainError("cap_unreachable", f"the firms cannot abate {required} t at any price and there is no penalty")
        p = penalty
    assert p is not None
    abated = {f.firm_id: f.curve.abatement(p) for f in firms}
    total = exact_sum(abated.values())
    shortfall = max(required - total, F(0)) if binds else F(0)
    least = exact_sum(f.curve.cost(abated[f.firm_id]) for f in firms) + p * shortfall
    no_trade = exact_sum(alone_cost(f, penalty) for f in firms)
    return Equilibrium(p, abated, required, shortfall, least, no_trade, binds, total, tuple(firms))


@dataclass(frozen=True, slots=True)
class Year:
    """One year of a banking horizon: the firms with that year's BAU, curves and allocations."""

    year: int
    firms: tuple[Firm, ...]


@dataclass(frozen=True, slots=True)
class Path:
    prices: list[Fraction]  # per year
    abatement: list[dict[str, Fraction]]  # per year, per firm
    bank: list[Fraction]  # market bank at each year's end (≥ 0: no borrowing)
    least_cost: list[Fraction]  # per year, undiscounted yuan


def hotelling(years: Sequence[Year], rate: Fraction) -> Path:
    """Several years, unlimited banking, no borrowing: the price grows at ``rate`` while the market
    holds a bank (p_t = p_0 (1 + r)^t) and the bank is empty at the end (a tonne is worth nothing
    after the horizon). Where the no-borrowing constraint binds at year k (the bank would go below 0),
    the years up to k are a segment of their own ending with an empty bank, and the rest is solved
    after it: of every candidate end, the one needing the highest starting price binds."""
    n = len(years)
    prices: list[Fraction] = [F(0)] * n
    start = 0
    while start < n:
        best: tuple[Fraction, int] | None = None
        for end in range(start, n):
            terms = [(f.curve, (1 + rate) ** (t - start)) for t in range(start, end + 1) for f in years[t].firms]
            need = exact_sum(f.curve.bau - f.allocation for t in range(start, end + 1) for f in years[t].firms)
            p0 = solve_price(terms, need)
            if p0 is None:
                raise DomainError("cap_unreachable", f"the firms cannot meet the caps of {years[start].year}–{years[end].year}")
            if best is None or p0 >= best[0]:  # ties: the later end (a longer segment with the same price)
                best = (p0, end)
        assert best is not None
        p0, end = best
        for t in range(start, end + 1):
            prices[t] = p0 * (1 + rate) ** (t - start)
        start = end + 1
    abatement, bank, least = [], [], []
    held = F(0)
    for t, y in enumerate(years):
        a = {f.firm_id: f.curve.abatement(prices[t]) for f in y.firms}
        held += exact_sum(f.allocation - f.curve.bau + a[f.firm_id] for f in y.firms)
        abatement.append(a)
        bank.append(held)
        least.append(exact_sum(f.curve.cost(a[f.firm_id]) for f in y.firms))
    return Path(prices, abatement, bank, least)


def yuan(x: Fraction) -> Decimal:
    """Yuan to the fen, half up (display and reports)."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def tonnes(x: Fraction) -> Decimal:
    """Tonnes to 0.01 t, half up (display and reports)."""
    return yuan(x)
