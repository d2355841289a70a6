"""A lab run (``openets lab run``): the lab file's firms as economic agents (:mod:`.lab_agents`) trading
through the real exchange (the order log, the matching core, settlement in the registry under the
market's trading rules: band, sessions, tick, fees, T+0/T+1), year by year; at each year's end they abate
what they lack (up to the penalty), surrender in the registry, and bank the rest where the market's
registry rules allow banking. Beside every year: the analytic model's answer (:mod:`.economics`).

By default the lab's registry is a SQLite database in memory (a file on tmpfs, deleted at the end): the
same schema, code and transactions as the durable one without a disk's fsync per commit, which a
throw-away experiment does not need; ``url`` runs it on any database instead (the determinism test
compares the two).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from sqlalchemy import Connection

from openets.core.actor import SYSTEM_SETUP, Actor, Role
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.core.ids import AccountId, PartyId, UnitClassId
from openets.market.checks import split_listed
from openets.market.rules import is_trading_day
from openets.registry.commands import Allocate, Approve, Cancel, Issue, Surrender
from openets.registry.model import Account, AccountType, PartyKind, UnitClass, UnitKind
from openets.rules.loader import RuleBook
from openets.services.database import make_engine, run_in_transaction, upgrade
from openets.services.exchange import ExchangeService, OrderRequest, OrderStatus, open_exchange
from openets.services.registry import RegistryService
from openets.services.rulebook import default_rulebook, trading_rules
from openets.services.sim_queries import SimulationQueries
from openets.simulation.economics import Mac, tonnes, yuan
from openets.simulation.lab_agents import Agent, Investor, block_deals
from openets.simulation.lab_analytic import LabModel
from openets.simulation.labfile import Lab
from openets.simulation.state import at

MONTH = 20  # trading days in "the last trading month" whose VWAP is the year's price
# one batch a day: an agent counts its open orders as done, so a fill read mid-day would not change
# its next quote (measured: the same trades with two batches a day, ~20 % slower)
BATCHES_PER_DAY = 1


@dataclass
class LabYear:
    year: int
    price_yuan: Decimal | None  # VWAP of the last MONTH trading days' trades (none there: the last day that traded)
    analytic_price_yuan: Decimal
    abatement_t: int
    analytic_abatement_t: Decimal
    cost_yuan: Decimal  # abatement + net purchases at market (fees included) + penalties
    least_cost_yuan: Decimal
    no_trade_cost_yuan: Decimal
    efficiency: Decimal | None  # (no trade − cost) ÷ (no trade − least), 4 decimals
    compliance_rate: Decimal  # share of firms that surrendered all they emitted
    banked_t: int
    orders: int
    trades: int
    volume_t: int
    firms: list[dict[str, object]] = field(default_factory=list)
    daily_vwap_fen: list[int | None] = field(default_factory=list)  # each trading day's VWAP (None: no trade)
    reserve_t: int = 0  # bought by the price floor's reserve this year
    cancelled_t: int = 0  # cancelled at the year's end: beyond the banking limit
    offsets_t: int = 0  # offsets surrendered (bought outside the allowance market at the lab's offset price)
    bau_t: int = 0  # the firms' emissions without abatement (an ensemble's shocks move it)
    blocks: int = 0  # block agreements (大宗协议) made this year; not in the listed tape nor its VWAP
    block_t: int = 0
    investors: list[dict[str, object]] = field(default_factory=list)  # each investor's holding and P&L at the year's end
    quiet_days: int = 0  # no trade in the last month: trading days from the last day that traded to the year's end


@dataclass
class LabResult:
    name: str
    market: str
    years: list[LabYear]
    seconds: float
    digest: str  # sha256 of every trade (buyer, seller, price, tonnes, in order) and the final holdings: determinism


def _d(x: Fraction, places: str = "0.0001") -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def scratch_db() -> Path:
    """A throw-away SQLite file in memory: on /dev/shm (tmpfs, RAM) where the system has it, else in the
    temporary folder. (SQLite's own ``:memory:`` databases are one per connection, or one shared
    connection per thread, which the registry's reader and writer connections cannot share.)"""
    shm = Path("/dev/shm")
    folder = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    return folder / f"openets-lab-{uuid.uuid4().hex}.db"


class LabRunner:
    def __init__(self, lab: Lab, *, url: str | None = None, seed: int | None = None,
                 on_day: Callable[[int], None] | None = None) -> None:
        self.lab, self.h = lab, lab.head
        self.seed = self.h.seed if seed is None else seed
        self.scratch = None if url else scratch_db()
        self.engine = make_engine(url or f"sqlite:///{self.scratch}")
        self.on_day = on_day or (lambda n: None)
        self.model = LabModel(lab)  # the lab's inputs as exact fractions, and its analytic answer
        self.penalty, self.rate, self.floor = self.model.penalty, self.model.rate, self.model.floor
        # the floor in fen, rounded up: a floor of 40.555 yuan is defended at 40.56, never below it (-int(-x),
        # used before, truncated towards zero: 40.55)
        self.floor_fen = None if self.floor is None else math.ceil(self.floor * 100)
        self.offset_share, self.offset_price = self.model.offset_share, self.model.offset_price
        self.reserve: Agent | None = None  # the floor's buyer (not a covered firm)
        self.investors: list[Investor] = []  # the lab file's [investors]: non-covered holders with a view
        self.blocks = [0, 0]  # this year's block trades: count, tonnes
        self.queries = SimulationQueries(self.engine)
        self.digest = hashlib.sha256()

    # -- analytic ----------------------------------------------------------------------------------------
    def analytic(self) -> tuple[list[Fraction], list[Fraction], list[Fraction], list[Fraction]]:
        """Per year: the analytic price, total abatement, least cost, and the cost without trading."""
        return self.model.answer()

    # -- the world -----------------------------------------------------------------------------------------
    def _set_up(self, svc: RegistryService) -> tuple[Actor, Actor, list[Agent]]:
        market = self.h.market
        svc.init_markets()
        party = svc.registry_party(market)
        for n in (1, 2):
            svc.add_user(SYSTEM_SETUP, name=f"lab-{market.lower()}-reg-{n}", party_id=party, role=Role.REGULATOR, market=market)
        r1, r2 = svc.actor(f"lab-{market.lower()}-reg-1"), svc.actor(f"lab-{market.lower()}-reg-2")

        def open_account(c: Connection, kind: PartyKind, name: str, name_en: str, reg: str, sector: str, user: str,
                         role: Role, type: AccountType) -> tuple[int, Actor, Account]:
            """A party, its user and its account, opened by the first regulator: (party id, actor, account)."""
            pid = svc.create_party(kind=kind, name=name, name_en=name_en, market=market, registration_id=reg,
                                   sector=sector, conn=c)
            svc.add_user(SYSTEM_SETUP, name=user, party_id=pid, role=role, conn=c)
            actor = Actor(user, PartyId(pid), role)
            acc = svc.request_account(actor, market=market, type=type, number=f"{reg}-A", conn=c)
            svc.decide_account(r1, acc.number, approve=True, conn=c)
            return pid, actor, acc

        def work(c: Connection) -> list[Agent]:
            out = []
            for i, f in enumerate(self.lab.firms):
                pid, actor, acc = open_account(c, PartyKind.COMPANY, f"{f.firm_id}", f.firm_id, f"LAB{i:06d}", f.sector,
                                               f"lab-{i:06d}", Role.COMPANY, AccountType.COMPLIANCE)
                out.append(Agent(f.firm_id, f.sector, f.curve(), f.bau, actor, acc.id, acc.number, pid,
                                 slice_t=max(1, f.bau // 200), offset_share=self.offset_share,
                                 offset_price=self.offset_price, bank_limit=self.h.bank_limit_t))
            if self.floor is not None:
                pid, actor, acc = open_account(c, PartyKind.COMPANY, "LAB-RESERVE", "price floor reserve", "LABRESERVE",
                                               "reserve", "lab-reserve", Role.COMPANY, AccountType.COMPLIANCE)
                self.reserve = Agent("LAB-RESERVE", "reserve", Mac(Fraction(1), slope=Fraction(1)), 0, actor, acc.id,
                                     acc.number, pid)
            if (inv := self.lab.investors) is not None:
                for j in range(inv.count):
                    pid, actor, acc = open_account(c, PartyKind.INVESTOR, f"LAB-INV-{j:03d}", f"investor {j}",
                                                   f"LABINV{j:03d}", "investor", f"lab-inv-{j:03d}", Role.INVESTOR,
                                                   AccountType.HOLDING)
                    self.investors.append(Investor(f"INV{j:03d}", "investor", Mac(Fraction(1), slope=Fraction(1)), 0,
                                                   actor, acc.id, acc.number, pid, cash_fen=int(inv.cash_yuan * 100)))
            return out

        return r1, r2, run_in_transaction(self.engine, work)

    def _allocate(self, svc: RegistryService, r1: Actor, r2: Actor, t: int, agents: list[Agent]) -> UnitClass:
        year = self.h.years[t]
        amounts = [self.lab.allocation(f, t) for f in self.lab.firms]
        uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market=self.h.market, vintage=year, cap=sum(amounts))
        issuance = svc.account(f"{self.h.market}-ISSUANCE")
        if sum(amounts):
            rec = svc.one(r1, Issue(key=f"lab-{year}-cap", to_account=issuance.id, unit_class=uc.id, quantity=sum(amounts)))
            if rec.status.value == "awaiting_approval":
                svc.one(r2, Approve(txn=rec.id))
        share = self.h.pre_allocation
        now = [int(q * share) for q in amounts]  # rounded down: the true-up gives the rest
        self._give(svc, r1, issuance.id, uc.id, agents, now)
        for a, q, n in zip(agents, amounts, now):
            a.pending = q - n
            a.paid_fen = 0
        return uc

    def _give(self, svc: RegistryService, r1: Actor, issuance: AccountId, uc: UnitClassId, agents: list[Agent],
              amounts: list[int]) -> None:
        moves = [Allocate(from_account=issuance, to_account=a.account_id, unit_class=uc, quantity=q)
                 for a, q in zip(agents, amounts) if q > 0]
        for i in range(0, len(moves), 1000):
            svc.submit(r1, moves[i:i + 1000])
        for a, q in zip(agents, amounts):
            a.position += q

    def _days(self, rulebook: RuleBook, year: int) -> list[date]:
        """The year's last ``trading_days`` trading days (the compliance rush is at the end), on the
        calendar of the trading rules in force at the year's end."""
        rules = trading_rules(rulebook.lookup(self.h.market, year, date(year, 12, 31), "trading"))
        days: list[date] = []
        d = date(year, 12, 31)
        while len(days) < self.h.trading_days and d.year == year:
            if is_trading_day(rules, d):
                days.append(d)
            d -= timedelta(days=1)
        return sorted(days)

    # -- a year of trading -------------------------------------------------------------------------------
    def _trade(self, clock: FixedClock, ex: ExchangeService, agents: list[Agent], rng: random.Random,
               days: list[date], bank: Fraction, reserve_q: int = 0) -> tuple[int, list[tuple[int, int, int]]]:
        by_order: dict[int, Agent] = {}
        last = 0
        orders = 0
        tape: list[tuple[int, int, int]] = []  # (day index, price fen, tonnes)
        per_batch = max(1, self.h.orders_per_day // BATCHES_PER_DAY)
        traders = [*agents, *self.investors]  # the firms alone without investors: the same draws as before
        for n, day in enumerate(days):
            clock.at = at(day, 10, 0)
            ex.settle_due()
            window = self.reserve is not None and n == len(days) - 1  # the last day: sell to the floor's reserve
            for b in range(BATCHES_PER_DAY + window):
                clock.at = at(day, 10, 0) + timedelta(minutes=10 * b)
                ref = ex.reference or 1
                low, high = ex.rules.band_low or 1, ex.rules.band_high or ref * 2
                reqs: list[OrderRequest] = []
                who: list[Agent] = []
                if self.reserve is not None and self.floor_fen is not None and b == 0:
                    # the floor's reserve bids first each day, at the floor (within the band: a floor
                    # above today's band is bid at the band's top, and the close climbs towards it)
                    floor_fen = min(self.floor_fen, high)
                    low = max(low, floor_fen)
                    for qty in self._lots(ex, reserve_q):
                        reqs.append(OrderRequest(self.reserve.actor, self.reserve.number, "buy", qty, floor_fen))
                        who.append(self.reserve)
                if b == BATCHES_PER_DAY:  # the floor window: every firm sells what abating to the floor frees
                    assert self.floor is not None and self.floor_fen is not None
                    floor_fen = min(self.floor_fen, high)
                    for a in agents:
                        spare = min(a.position - a.open_sell,
                                    a.position + a.pending - a.bau + int(a.curve.abatement(self.floor)))
                        for qty in self._lots(ex, spare):
                            reqs.append(OrderRequest(a.actor, a.number, "sell", qty, floor_fen))
                            who.append(a)
                for i in self.investors:  # its view of the year's price, discounted over the days left (simple interest)
                    i.view_now = i.view_year / (1 + self.rate * Fraction(len(days) - 1 - n, 250))
                for _ in range(per_batch if low <= high and b < BATCHES_PER_DAY else 0):
                    for _try in range(3):
                        a = traders[rng.randrange(len(traders))]
                        q = a.quote(rng, ref, low, high, self.penalty, bank)
                        if q is not None:
                            side, qty, price = q
                            if side == "buy":
                                a.open_buy += qty
                            else:
                                a.open_sell += qty
                            reqs.append(OrderRequest(a.actor, a.number, side, qty, price))
                            who.append(a)
                            break
                placed = ex.submit_many(reqs) if reqs else []
                orders += len(reqs)
                for a, r, p in zip(who, reqs, placed):
                    if r.side == "buy":
                        a.open_buy -= r.quantity
                    else:
                        a.open_sell -= r.quantity
                    if p.order_id:
                        by_order[p.order_id] = a
                        if p.status == OrderStatus.OPEN:  # its remaining: the quantity less every fill read below
                            a.orders[p.order_id] = [r.side == "buy", r.quantity]
                for tr in self.queries.trades_after(ex.instrument, last):
                    last = tr.id
                    if tr.buy_order == 0:  # a block trade: booked when it was agreed (below)
                        continue
                    buyer, seller = by_order[tr.buy_order], by_order[tr.sell_order]
                    buyer.position += tr.quantity
                    seller.position -= tr.quantity
                    buyer.paid_fen += tr.price_fen * tr.quantity + tr.buyer_fee_fen
                    seller.paid_fen -= tr.price_fen * tr.quantity - tr.seller_fee_fen
                    for ag, oid in ((buyer, tr.buy_order), (seller, tr.sell_order)):
                        if oid in ag.orders:
                            ag.orders[oid][1] -= tr.quantity
                    tape.append((n, tr.price_fen, tr.quantity))
                    self.digest.update(f"{buyer.firm_id},{seller.firm_id},{tr.price_fen},{tr.quantity};".encode())
                for a in set(who):  # what may still fill: the open orders' remaining tonnes
                    a.orders = {k: v for k, v in a.orders.items() if v[1] > 0}
                    a.open_buy = sum(v[1] for v in a.orders.values() if v[0])
                    a.open_sell = sum(v[1] for v in a.orders.values() if not v[0])
            last = self._block_trades(clock, ex, day, agents, bank, last)
            clock.at = at(day, 15, 5)
            ex.close_day()
            for a in [*traders, *([] if self.reserve is None else [self.reserve])]:  # day orders: the close cancelled what was left
                a.orders.clear()
                a.open_buy = a.open_sell = 0
            self.on_day(1)
        return orders, tape

    def _block_trades(self, clock: FixedClock, ex: ExchangeService, day: date, agents: list[Agent], bank: Fraction,
                      last: int) -> int:
        """The day's block agreements (``lab_agents.block_deals``) through the exchange's block path (size,
        block band and session checked there; delivery versus payment at once), in the block session;
        booked to both firms with the fees the trade row carries. Returns the last trade id read."""
        rules = ex.trading
        if rules is None or not rules.block_min or not rules.block_sessions or ex.reference is None:
            return last
        start = rules.block_sessions[0][0]
        clock.at = at(day, start.hour, start.minute) + timedelta(minutes=10)
        made: dict[int, tuple[Agent, Agent]] = {}
        for buyer, seller, q, price in block_deals(agents, rules, ex.reference, self.penalty, bank):
            try:
                made[ex.block_trade(seller.actor, seller.number, buyer.actor, buyer.number, price_fen=price, quantity=q)] = (buyer, seller)
            except DomainError:
                continue  # units or cash not there (still to be delivered T+1): no agreement today
        if not made:
            return last
        for tr in self.queries.trades_after(ex.instrument, last):
            last = tr.id
            if tr.id in made:
                buyer, seller = made[tr.id]
                buyer.position += tr.quantity
                seller.position -= tr.quantity
                buyer.paid_fen += tr.price_fen * tr.quantity + tr.buyer_fee_fen
                seller.paid_fen -= tr.price_fen * tr.quantity - tr.seller_fee_fen
                self.blocks[0] += 1
                self.blocks[1] += tr.quantity
                self.digest.update(f"block:{buyer.firm_id},{seller.firm_id},{tr.price_fen},{tr.quantity};".encode())
        return last

    def _investors(self, uc: UnitClassId, price: Decimal) -> list[dict[str, object]]:
        """Each investor at the year's end: what it holds (checked against the registry), its cash spent
        (bought − sold, fees included, since the start) and its P&L marking what it holds at the year's
        price: holding × price − net spent."""
        if not self.investors:
            return []
        held = self.queries.vintage_holdings(uc, total=True)
        out: list[dict[str, object]] = []
        for i in self.investors:
            if held.get(i.account_id, 0) != i.position:
                raise RuntimeError(f"lab: {i.firm_id} holds {held.get(i.account_id, 0)} t in the registry, its agent counts {i.position}")
            hold = i.carried + i.position
            out.append({"investor_id": i.firm_id, "holding_t": hold, "net_bought_fen": i.paid_fen,
                        "pnl_yuan": str((Decimal(hold) * price - Decimal(i.paid_fen) / 100).quantize(Decimal("0.01")))})
        return out

    @staticmethod
    def _lots(ex: ExchangeService, q: int) -> list[int]:
        """q tonnes as listed orders, each below the market's listed maximum (larger is a block trade)."""
        if q <= 0:
            return []
        return split_listed(ex.trading, q) if ex.trading is not None else [q]

    # -- the run -------------------------------------------------------------------------------------------
    def run(self) -> LabResult:
        t0 = time.perf_counter()
        upgrade(self.engine)
        if self.scratch is None and (users := self.queries.users()):
            # the lab sets up its own registry: on one in use (a second run, or a real registry) it would add its
            # users, parties and units to it, and it failed half-way on the second run ("lab-cea-reg-1 already
            # represents party 1")
            raise DomainError("lab_database_in_use", f"--db {self.engine.url.render_as_string()}: the lab runs on a "
                                                     f"database of its own, and this one has {users} users already; "
                                                     "name a new file (or leave --db out)")
        rulebook = default_rulebook()
        rulebook.market(self.h.market)  # an unknown market is named before anything runs
        years = self.h.years
        calendars = [self._days(rulebook, y) for y in years]
        if any(not d for d in calendars):
            raise DomainError("lab_invalid", f"{self.h.market} has no trading day in one of the years {years}")
        clock = FixedClock(at(calendars[0][0], 9))  # each year is set up on its first trading day, before the open
        svc = RegistryService(self.engine, clock=clock, rulebook=rulebook)
        r1, r2, agents = self._set_up(svc)
        prices, abatements, least, no_trade = self.analytic()
        out: list[LabYear] = []
        reference: int | None = int(self.h.start_price_yuan * 100) if self.h.start_price_yuan else None
        vintages: list[UnitClassId] = []
        for t in range(len(years)):
            rng = random.Random(self.seed * 1000 + t)
            days = calendars[t]
            clock.at = at(days[0], 9)
            uc = self._allocate(svc, r1, r2, t, agents)
            vintages.append(uc.id)
            ex = open_exchange(svc, uc.code)
            if self.floor_fen is not None and (reference or ex.reference or 0) < self.floor_fen:
                # a floor above the reference: the regulator's floor is the price the year opens at (a
                # reserve bid outside the band could not trade, and without trades the band never moves)
                reference = self.floor_fen
            if reference is not None:
                ex.reference = reference
                ex._rebuild()  # the book's band follows the reference just set (as the year runner does)
            if t == 0:
                for a in agents:  # cash for every tonne it might buy at the penalty, twice over
                    ex.deposit(a.actor, a.bau * int(self.h.penalty_yuan * 100) * 2 + 10**6)
                for i in self.investors:
                    ex.deposit(i.actor, i.cash_fen)
                if self.reserve is not None and self.floor_fen is not None:  # every allowance of every year, at the floor, twice
                    allowances = sum(self.lab.allocation(f, y) for f in self.lab.firms for y in range(len(years)))
                    ex.deposit(self.reserve.actor, allowances * self.floor_fen * 2 + 10**6)
            reserve_before = 0 if self.reserve is None else self.reserve.position
            reserve_q = sum(self.lab.allocation(f, t) for f in self.lab.firms)
            # a tonne kept past this year is worth next year's expected price, discounted (rational
            # expectations: the analytic path); in the last year, or without banking, nothing
            bank = prices[t + 1] / (1 + self.rate) if t + 1 < len(years) else Fraction(0)
            if self.floor is not None:  # a tonne can always be sold to the floor's reserve
                bank = max(bank, self.floor)
            if (inv := self.lab.investors) is not None:
                for i in self.investors:  # this year's instrument: what it held of earlier vintages is carried
                    i.carried, i.position = i.carried + i.position, 0
                    i.view_year = (Fraction(inv.view_yuan[t]) if inv.view_yuan is not None
                                   else prices[t] * (1 + Fraction(inv.view_premium or 0)))
                    i.slice_t = max(1, int(Fraction(i.cash_fen, 100) / i.view_year / 50))  # ~1/50 of its cash an order
            self.blocks = [0, 0]
            n_orders, tape = self._trade(clock, ex, agents, rng, days, bank, reserve_q)
            reference = ex.reference
            clock.at = at(days[-1], 15, 30)
            ex.settle_due()
            if any(a.pending for a in agents):  # the true-up, after the last trading day, before surrender
                self._give(svc, r1, svc.account(f"{self.h.market}-ISSUANCE").id, uc.id, agents, [a.pending for a in agents])
                for a in agents:
                    a.pending = 0
            out.append(self._close_year(svc, t, agents, vintages, bank, n_orders, tape, len(days),
                                        prices[t], abatements[t], least[t], no_trade[t]))
            out[-1].bau_t = sum(a.bau for a in agents)
            if self.reserve is not None:
                out[-1].reserve_t = self.reserve.position - reserve_before
            out[-1].blocks, out[-1].block_t = self.blocks
            out[-1].investors = self._investors(uc.id, out[-1].price_yuan or yuan(prices[t]))
        for a in agents:
            self.digest.update(f"{a.firm_id}:{a.position};".encode())
        self.engine.dispose()
        if self.scratch is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.scratch}{suffix}").unlink(missing_ok=True)
        return LabResult(self.h.name, self.h.market, out, time.perf_counter() - t0, self.digest.hexdigest())

    def _close_year(self, svc: RegistryService, t: int, agents: list[Agent], vintages: list[UnitClassId],
                    bank: Fraction, n_orders: int, tape: list[tuple[int, int, int]], n_days: int, price: Fraction,
                    abated: Fraction, least: Fraction, no_trade: Fraction) -> LabYear:
        """Abate, surrender in the registry (oldest vintage first), bank the rest; the year's figures."""
        year = self.h.years[t]
        held = [self.queries.vintage_holdings(v, total=True) for v in vintages]
        cost, total_a, compliant, firms, total_offsets, cancelled = Fraction(0), 0, 0, [], 0, 0
        for a in agents:
            in_registry = sum(h.get(a.account_id, 0) for h in held)
            if in_registry != a.position:  # the agents' books against the registry's: settlement is whole
                raise RuntimeError(f"lab: {a.firm_id} holds {in_registry} t in the registry, its agent counts {a.position}")
            abate, short, offsets = a.abatement(self.penalty, bank)
            owe = a.bau - abate - short - offsets  # offsets are surrendered outside this registry: counted here
            ops: list[Surrender | Cancel] = []
            left = owe
            # beyond the banking limit (into a next year): cancelled, the newest vintages kept
            drop = (max(a.position - owe - self.h.bank_limit_t, 0)
                    if self.h.bank_limit_t is not None and t + 1 < len(self.h.years) else 0)
            for v, h in zip(vintages, held):
                q = min(left, h.get(a.account_id, 0))
                if q > 0:
                    ops.append(Surrender(key=f"lab-{year}-{a.account_id}-{v}", from_account=a.account_id,
                                         unit_class=v, quantity=q, compliance_year=year))
                    left -= q
                k = min(drop, h.get(a.account_id, 0) - max(q, 0))
                if k > 0:
                    ops.append(Cancel(key=f"lab-{year}-{a.account_id}-{v}-over", from_account=a.account_id,
                                      unit_class=v, quantity=k))
                    drop -= k
                    cancelled += k
            a.position -= sum(o.quantity for o in ops if isinstance(o, Cancel))
            if ops:
                svc.submit(a.actor, ops)
            a.position -= owe
            c = a.curve.cost(Fraction(abate)) + Fraction(a.paid_fen, 100) + self.penalty * short + self.offset_price * offsets
            total_offsets += offsets
            cost += c
            total_a += abate
            compliant += short == 0
            firms.append({"firm_id": a.firm_id, "sector": a.sector, "abatement_t": abate, "shortfall_t": short,
                          "offsets_t": offsets, "net_bought_fen": a.paid_fen, "cost_yuan": str(yuan(c)), "banked_t": a.position})
        days_pq: list[list[int]] = [[0, 0] for _ in range(n_days)]
        for d, p, q in tape:
            days_pq[d][0] += p * q
            days_pq[d][1] += q
        daily = [None if q == 0 else (pq + q // 2) // q for pq, q in days_pq]  # fen, half up
        month = [(p, q) for d, p, q in tape if d >= n_days - MONTH]
        quiet = 0
        if not month and tape:
            # nothing traded in the last month: the market cleared earlier (every firm's marginal tonne
            # worth the same, no gain from trade left, e.g. all at a binding penalty) — the price is then
            # the last trading day's VWAP, as an exchange's close stands on a day without trades;
            # ``quiet_days`` says how many trading days before the year's end that day was
            last_day = tape[-1][0]
            month, quiet = [(p, q) for d, p, q in tape if d == last_day], n_days - 1 - last_day
        vol = sum(q for _, q in month)
        vwap = Decimal(sum(p * q for p, q in month)) / vol / 100 if vol else None
        gain = no_trade - least
        return LabYear(
            year, None if vwap is None else vwap.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), yuan(price),
            total_a, tonnes(abated), yuan(cost), yuan(least), yuan(no_trade),
            _d((no_trade - cost) / gain) if gain > 0 else None, _d(Fraction(compliant, len(agents))),
            sum(a.position for a in agents), n_orders, len(tape), sum(q for _, _, q in tape), firms, daily,
            offsets_t=total_offsets, cancelled_t=cancelled, quiet_days=quiet)
