"""The analytic answer of a lab (:mod:`.economics` applied to the lab file and its what-ifs): per year
the competitive price, total abatement, least cost and the cost without trading — with the penalty as
a ceiling, banking (Hotelling), a banking limit, a defended price floor and an offset cap. Exact
fractions; where a combination is approximated, the function says how."""

from __future__ import annotations

from fractions import Fraction

from openets.simulation.economics import Firm, Year, alone_cost, equilibrium, exact_sum, hotelling
from openets.simulation.labfile import Lab


class LabModel:
    def __init__(self, lab: Lab) -> None:
        self.lab, self.h = lab, lab.head
        self.penalty = Fraction(self.h.penalty_yuan)
        self.rate = Fraction(self.h.discount_rate)
        self.floor = None if self.h.price_floor_yuan is None else Fraction(self.h.price_floor_yuan)
        self.offset_share = Fraction(self.h.offset_cap)
        self.offset_price = Fraction(self.h.offset_price_yuan or 0)

    def answer(self) -> tuple[list[Fraction], list[Fraction], list[Fraction], list[Fraction]]:
        """Per year: the analytic price, total abatement, least cost, and the cost without trading."""
        n = len(self.h.years)
        if self.offset_share:  # (a floor with offsets is not modelled: the offsets' answer)
            return self._analytic_offsets()
        no_trade = [exact_sum(alone_cost(f, self.penalty) for f in self.lab.firms_of(t)) for t in range(n)]
        if n == 1:
            e = equilibrium(self.lab.firms_of(0), penalty=self.penalty)
            prices, abated, least = [e.price], [e.total_abatement], [e.least_cost]
        else:
            path = hotelling([Year(y, tuple(self.lab.firms_of(t))) for t, y in enumerate(self.h.years)], self.rate)
            prices, abated, least = path.prices, [exact_sum(a.values()) for a in path.abatement], path.least_cost
            if self.h.bank_limit_t is not None:
                prices, abated, least = self._bank_capped(path.bank, prices, abated, least)
        if self.floor is not None:
            # a defended floor: where the market price would be below it, every firm abates to the
            # floor (the reserve buys what the firms do not need) — per year, on the path without the
            # floor (exact for one year; over several, a floor that binds early changes the banking
            # path, which this leaves out)
            for t in range(n):
                if prices[t] < self.floor:
                    firms = self.lab.firms_of(t)
                    prices[t] = self.floor
                    abated[t] = exact_sum(f.curve.abatement(self.floor) for f in firms)
                    # the firms' least net cost: abating to the floor, less what the reserve pays for
                    # the tonnes that frees beyond the cap's need
                    required = exact_sum(f.curve.bau - f.allocation for f in firms)
                    least[t] = (exact_sum(f.curve.cost(f.curve.abatement(self.floor)) for f in firms)
                                - self.floor * max(abated[t] - required, Fraction(0)))
        return prices, abated, least, no_trade

    def _bank_capped(self, banks: list[Fraction], prices: list[Fraction], abated: list[Fraction],
                     least: list[Fraction]) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
        """A banking limit of L t a firm: where the Hotelling path's market bank exceeds N × L, the bank
        is N × L and each year clears on its own with what comes in from the year before and what goes
        out to the next (an approximation: the limit's effect on the later years' own banking choice
        and the firms' uneven banks are left out)."""
        cap = Fraction(self.h.bank_limit_t or 0) * len(self.lab.firms)
        if all(b <= cap for b in banks[:-1]):
            return prices, abated, least
        held = [min(b, cap) for b in banks[:-1]] + [Fraction(0)]
        out_p, out_a, out_l = [], [], []
        for t in range(len(self.h.years)):
            incoming = held[t - 1] if t else Fraction(0)
            e = equilibrium(self.lab.firms_of(t), penalty=self.penalty, offsets=incoming - held[t])
            out_p.append(e.price)
            out_a.append(e.total_abatement)
            out_l.append(e.least_cost)
        return out_p, out_a, out_l

    def _analytic_offsets(self) -> tuple[list[Fraction], list[Fraction], list[Fraction], list[Fraction]]:
        """With an offset cap s used in full at offset price po: a firm holding h allowances emits
        h / (1 − s) (offsets cover the rest), so the market's abatement is Σ BAU − Σ allocation / (1 − s)
        and each firm abates until its MAC is m = (1 − s) p + s po: solve for m on the allocations
        scaled by 1 / (1 − s), then p = (m − s po) / (1 − s). Offsets dearer than that price are not
        used (the plain answer). Several years: each year so (the banking path is left out: an
        approximation, stated)."""
        s, po = self.offset_share, self.offset_price
        prices, abated, least, no_trade = [], [], [], []
        for t in range(len(self.h.years)):
            firms = self.lab.firms_of(t)
            scaled = [Firm(f.firm_id, f.sector, f.curve, f.allocation / (1 - s)) for f in firms]
            m_pen = (1 - s) * self.penalty + s * po  # abating a tonne past this costs more than not covering it
            e = equilibrium(scaled, penalty=m_pen)
            p = (e.price - s * po) / (1 - s)
            share = s
            if p <= po:  # offsets dearer than allowances: not used
                e, share = equilibrium(firms, penalty=self.penalty), Fraction(0)
                p = e.price
            emitted = exact_sum(f.curve.bau - e.abatement[f.firm_id] for f in firms)
            prices.append(p)
            abated.append(e.total_abatement)
            least.append(exact_sum(f.curve.cost(e.abatement[f.firm_id]) for f in firms) + po * share * emitted
                         + self.penalty * (1 - share) * e.shortfall)
            alone = Fraction(0)
            for f in scaled:  # each firm on its own: abate to what its allocation and offsets cover, or up to m_pen
                a = min(f.gap, f.curve.abatement(m_pen))
                alone += (f.curve.cost(a) + s * po * (f.curve.bau - a)
                          + self.penalty * max((1 - s) * (f.curve.bau - a) - (1 - s) * f.allocation, Fraction(0)))
            no_trade.append(alone)
        return prices, abated, least, no_trade
