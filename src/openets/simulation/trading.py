"""Stage 4, trading: each market's exchange opened 90 days before the surrender deadline with the
scenario's starting reference price, cash deposited, then the trading days before the deadline, each
with the T+1 delivery at the open, the agents' orders in batches (more of them as the deadline nears
where the scenario gives a ``rush``), block agreement trades in the afternoon where the market's
rules have them, and the close."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.market.rules import TradingRules, is_trading_day
from openets.services import sanctioning
from openets.services.compliance import ComplianceService
from openets.services.exchange import open_exchange
from openets.services.sim_queries import SimulationQueries
from openets.simulation.abatement import rush_weights
from openets.simulation.agents import Economy, agent_order, block_trades, listed_slices
from openets.simulation.state import Market, Progress, at


def deadline(m: Market) -> date:
    """The market's surrender deadline for the year, as a market-time date."""
    return ComplianceService(m.svc).deadlines(m.spec.code, m.spec.year)[0].astimezone(MARKET_TZ).date()


def _open(m: Market) -> list[date]:
    """Open the market's exchange, deposit the agents' cash; the trading days, oldest first."""
    # 90 days before the deadline, but not before the year's compliance rules were published (the
    # national 2023 plan came out on 15 Oct 2024, 77 days before its deadline)
    published = m.svc.rulebook.lookup_at(m.spec.code, m.spec.year, m.clock.now(), "compliance").valid_from
    m.clock.at = at(max(deadline(m) - timedelta(days=90), published), 10)
    ex = m.exchange = open_exchange(m.svc, m.uc.code)
    ex.reference = int(m.spec.price_yuan * 100)
    ex._rebuild()  # the book's band follows the reference just set (no public way to ask for it yet)
    party = ex.ensure_exchange_party()
    if m.spec.year == m.first_year:  # a market's next year keeps its exchange operator
        m.svc.add_user(SYSTEM_SETUP, name=f"{m.spec.code.lower()}-exchange", party_id=party, role=Role.EXCHANGE,
                       market=m.spec.code)
    # cash: enough for what each company may need to buy, twice over; investors more
    for c in m.companies:  # (their bids go up to what a tonne is worth to them: the penalty at most)
        ex.deposit(c.actor, max(c.obligation - c.allocated, 1000) * int(m.spec.price_yuan * 100) * 5)
    for c in m.investors:
        ex.deposit(c.actor, 200_000 * int(m.spec.price_yuan * 100) * 3)
    assert ex.trading is not None  # open_exchange always passes the market's trading rules
    return _days(m, ex.trading)


def _days_after_allocation(m: Market, queries: SimulationQueries) -> None:
    """Refuse, before any exchange opens, trading days that start before the year's last allocation run
    was issued: the registry would refuse the first trades (units dated before they arrived); said in the
    scenario's own terms, not as the registry's refusal of one transfer."""
    issued = queries.last_issued(m.spec.code, m.spec.year)
    if issued is None:
        return
    allocated = issued.astimezone(MARKET_TZ).date()
    days = _trading_days(m)
    if days[0] <= allocated:
        fit = len([d for d in days if d > allocated])
        raise DomainError("trading_days_too_many", f"{m.spec.code} {m.spec.year}: trading_days = {m.spec.trading_days} "
                          f"start on {days[0]}, before the year's allocation was in ({allocated}; it follows the "
                          f"set-up on `starts`, MRV and the true-up); {fit} fit between it and the deadline "
                          f"({deadline(m)}): give at most {fit} or an earlier `starts`")


def _days(m: Market, rules: TradingRules) -> list[date]:
    """The scenario's trading days: the last ``trading_days`` trading days before the deadline, oldest first."""
    days: list[date] = []
    d = deadline(m) - timedelta(days=1)
    while len(days) < m.spec.trading_days:
        if is_trading_day(rules, d):
            days.append(d)
        d -= timedelta(days=1)
    return sorted(days)


def _trading_days(m: Market) -> list[date]:
    """The market's trading days under the trading rules in force at the clock's date."""
    from openets.services.rulebook import trading_rules

    today = m.clock.now().astimezone(MARKET_TZ).date()
    return _days(m, trading_rules(m.svc.rulebook.lookup(m.spec.code, m.spec.year, today, "trading")))


def first_trading_day(m: Market) -> date:
    """The first of the market's trading days (the rules in force at the clock's date), for the stages
    before trading to finish before it: units allocated after it could not have been traded on it (the
    registry refuses an entry dated before its units arrived)."""
    return _trading_days(m)[0]


def trade(markets: list[Market], progress: Progress, queries: SimulationQueries) -> None:
    for m in markets:  # every market's days checked before any exchange opens
        _days_after_allocation(m, queries)
    calendars = {m.spec.code: _open(m) for m in markets}
    total = sum(m.spec.trading_days * m.spec.orders_per_day for m in markets)
    tick = progress.stage("trading (all markets)", total)
    for m in markets:
        days = calendars[m.spec.code]
        rng, ex, mid0 = m.rng, m.ex, int(m.spec.price_yuan * 100)
        cs = ComplianceService(m.svc)
        law = sanctioning.governing(m.svc.rulebook, m.spec.code, m.spec.year, cs.deadlines(m.spec.code, m.spec.year)[0])
        eco = m.economy = Economy.of(m, cs.compliance_rules(m.spec.code, m.spec.year), rng,
                                     None if law is None else law.surrender)
        weights = rush_weights(len(days), Fraction(m.spec.rush))
        owed = Fraction(0)  # orders the rush's rounding still owes (so the day's counts add up to the year's)
        for n, day in enumerate(days):
            m.clock.at = at(day, 10, 45)
            ex.settle_due()  # T+1: yesterday's trades delivered at the open
            ref = ex.reference or mid0
            urgency = (n + 1) / len(days)  # short companies bid up as the deadline nears
            # what each agent holds this morning (day orders: none open)
            held = queries.vintage_holdings(m.uc.id, total=True)
            reqs = []
            owed += m.spec.orders_per_day * weights[n]
            share = weights[n] / sum(weights[n:])  # of what is left to buy, what today's orders buy
            today = int(owed)
            owed -= today
            for _ in range(today):
                one = agent_order(m, rng, ref, urgency, len(days) - n, held, eco, share)
                if one is not None:  # a national order of 100,000 t or more: several listed slices
                    reqs.extend(listed_slices(m, one))
            for i in range(0, len(reqs), 2000):
                ex.submit_many(reqs[i:i + 2000])
            m.orders += len(reqs)  # the orders placed (slices counted one by one)
            tick(today)
            if ex.trading is not None and ex.trading.block_min:  # the afternoon: block agreement trades
                opens = ex.trading.block_sessions[-1][0]  # half an hour into the (last) block session
                m.clock.at = at(day, opens.hour, opens.minute) + timedelta(minutes=30)
                block_trades(m, ref, held, eco, most=max(1, int(2 * weights[n] + Fraction(1, 2))),  # ~two a day, more in a rush
                             last_days=len(days) - n <= 2)
            m.clock.at = at(day, 15, 5)
            ex.close_day()
        m.clock.at = at(deadline(m), 9, 0)
        ex.settle_due()
