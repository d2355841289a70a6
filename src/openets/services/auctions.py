"""Primary auctions (有偿竞价发放) as a service: the notice (market, window, volume, rules, the units
already in the market's auction account), the reserve published before the auction (from the
market's own trades, as the notice's rule says), sealed bids inside the window (revisable until the
close unless the rules make them irrevocable; a deposit of price × quantity held from the bidder's
exchange cash where the rules ask for one), and the close: clearing by the pure function, then in one
transaction the units delivered from the auction account to the winners (restricted as the notice
says), winners paying the clearing price, deposits returned, revenue booked to the treasury (the
market registry's own cash account), and the public result stored — never an individual bid.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, from_us, parse_instant, to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import UnitClassId
from openets.core.numbers import INT64_MAX, MAX_TONNES, parse_decimal, parse_int
from openets.core.text import parse_choice
from openets.market.auction import AuctionResult, AuctionRules, Bid, ReserveRule, clear
from openets.market.auction_status import NoticeStatus, next_status, require_announced
from openets.market.data import Print
from openets.registry.commands import AuctionDelivery
from openets.registry.model import AccountType
from openets.services.cash import CashLedger
from openets.services.queries import available_units
from openets.services.registry import RegistryService, RegistrySession
from openets.storage import tables as t
from openets.storage.db import run_in_transaction

CURRENCY = "CNY"  # every market's amounts are fen of yuan


def rules_of(data: dict[str, Any], *, reserve: int | None, eligible: frozenset[int] | None) -> AuctionRules:
    """The clearing rules a notice states (its [auction] table); each field read by the bounded parsers,
    a missing or bad one refused as ``auction_rules_invalid`` naming it."""
    def field(name: str, parse: Callable[[object], Any], default: object = None) -> Any:
        value = data.get(name, default)
        if value is None:
            raise DomainError("auction_rules_invalid", f"auction rules: {name} is missing")
        try:
            return parse(value)
        except DomainError as exc:
            raise DomainError("auction_rules_invalid", f"auction rules: {exc.message}") from None

    currency = data.get("currency", CURRENCY)
    if currency != CURRENCY:  # a WCI reserve of 1562 US cents read as 15.62 yuan was this defect (issue 15)
        raise DomainError("auction_rules_invalid", f"auction rules: currency {currency!r}: the markets here trade in "
                                                   f"{CURRENCY}; state every amount in fen, converted at a stated rate")
    volume = field("volume", lambda v: parse_int(v, "volume", minimum=1, maximum=MAX_TONNES))
    lot = field("lot", lambda v: parse_int(v, "lot", minimum=1, maximum=MAX_TONNES), 1)
    share = data.get("max_share_per_bidder")
    tie_break = field("tie_break", lambda v: parse_choice(_TieBreak, v, "tie_break").value, "time")
    return AuctionRules(
        volume=volume, closes_at=field("closes_at", lambda v: parse_instant(v, "closes_at")), reserve=reserve, lot=lot,
        min_bid=field("min_bid", lambda v: parse_int(v, "min_bid", minimum=1, maximum=MAX_TONNES), 1),
        max_share_per_bidder=None if share is None else field(
            "max_share_per_bidder", lambda v: parse_decimal(v, "max_share_per_bidder", minimum=0, maximum=1)),
        eligible=eligible, tie_break=tie_break,
        random_seed=field("random_seed", lambda v: parse_int(v, "random_seed", minimum=-INT64_MAX), 0),
        cancel_if_undersubscribed=bool(data.get("cancel_if_undersubscribed", False)))


class _TieBreak(enum.Enum):
    TIME = "time"
    RANDOM = "random"


class AuctionService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine

    # -- notice and reserve ------------------------------------------------------------------------------
    def announce(self, actor: Actor, data: dict[str, Any], *, unit_class: str, restriction_id: int = 0) -> int:
        """Publish a notice for units already waiting in the market's auction account."""
        actor.require_may_act()
        market = str(data.get("market", ""))
        actor.require_regulator(market)
        uc = self.registry.unit_class(unit_class)
        rules = rules_of(data, reserve=None, eligible=None)
        try:
            opens = parse_instant(str(data["opens_at"]))
        except (KeyError, ValueError) as exc:
            raise DomainError("auction_rules_invalid", f"auction rules: opens_at: {exc!r}") from None
        if rules.volume <= 0:
            raise DomainError("auction_rules_invalid", "an auction sells a positive volume")
        if opens >= rules.closes_at:
            raise DomainError("window_invalid", "the bid window closes before it opens")
        auction_acc = self.registry.account(f"{market}-AUCTION")

        def work(c: Connection) -> int:
            held = c.execute(select(available_units()).where(
                t.positions.c.account_id == auction_acc.id, t.positions.c.unit_class_id == uc.id,
                t.positions.c.restriction_id == restriction_id)).scalar() or 0
            if held < rules.volume:
                raise DomainError("auction_account_short", f"{market}-AUCTION holds {held:,} t of {uc.code}, "
                                                           f"the notice sells {rules.volume:,} t")
            return int(c.execute(insert(t.auction_notices).values(
                market=market, document=str(data.get("document", "")), unit_class_id=uc.id,
                restriction_id=restriction_id, volume=rules.volume, opens_us=to_us(opens),
                closes_us=to_us(rules.closes_at), rules=json.dumps(data, ensure_ascii=False, default=str),
                reserve_fen=data.get("reserve_fen"), status=NoticeStatus.ANNOUNCED.value, announced_by=actor.user,
                announced_us=to_us(self.registry.clock.now())).returning(t.auction_notices.c.id)).scalar_one())

        return run_in_transaction(self.engine, work)

    def notice(self, notice_id: int) -> Any:
        with self.engine.connect() as c:
            row = c.execute(select(t.auction_notices).where(t.auction_notices.c.id == notice_id)).first()
        if row is None:
            raise NotFound("auction notice", notice_id)
        return row

    def market_tape(self, market: str) -> list[Print]:
        """The market's listed trades (all instruments): what a reserve price rule reads."""
        with self.engine.connect() as c:
            return [Print(from_us(r.at_us), r.instrument, r.price_fen, r.quantity, r.mode) for r in c.execute(
                select(t.trades.c.at_us, t.trades.c.instrument, t.trades.c.price_fen, t.trades.c.quantity,
                       t.trades.c.mode).where(t.trades.c.market == market, t.trades.c.mode == "listed"))]

    def publish_reserve(self, actor: Actor, notice_id: int) -> int:
        """Compute the reserve by the notice's rule from the market's own trades and publish it:
        Shanghai: min(multiple × VWAP in the window, cap); Guangdong: the weighted average secondary
        price of the N months before the auction."""
        actor.require_may_act()
        n = self.notice(notice_id)
        actor.require_regulator(n.market)
        require_announced(n.status, notice_id)
        data = json.loads(n.rules)
        spec = data.get("reserve")
        if not isinstance(spec, dict):
            raise DomainError("reserve_rule_missing", f"notice {notice_id} has no reserve price rule")
        tape = self.market_tape(n.market)
        if "months" in spec:
            opens = from_us(n.opens_us).astimezone(MARKET_TZ).date()
            start = opens - timedelta(days=int(spec["months"]) * 30)
            rule = ReserveRule(Decimal(str(spec.get("multiple", "1"))), spec.get("cap_fen"), (start, opens - timedelta(days=1)))
        else:
            window = (date.fromisoformat(spec["window"][0]), date.fromisoformat(spec["window"][1]))
            rule = ReserveRule(Decimal(str(spec["multiple"])), spec.get("cap_fen"), window)
        reserve = rule.reserve(tape)
        run_in_transaction(self.engine, lambda c: c.execute(update(t.auction_notices).where(
            t.auction_notices.c.id == notice_id).values(reserve_fen=reserve)))
        return reserve

    # -- bids ----------------------------------------------------------------------------------------
    def _eligible(self, c: Connection, market: str, data: dict[str, Any]) -> frozenset[int] | None:
        if data.get("eligible_rule", "covered") != "covered":
            return None
        return frozenset(r[0] for r in c.execute(select(t.accounts.c.party_id).where(
            t.accounts.c.market == market, t.accounts.c.type == AccountType.COMPLIANCE.value,
            t.accounts.c.status == "open")))

    def bid(self, actor: Actor, notice_id: int, *, bid_id: str, price_fen: int, quantity: int) -> dict[str, object]:
        """Submit or revise a sealed bid inside the window. The deposit (where the rules ask for one)
        follows the bid: a revision holds the new amount and gives back the old."""
        actor.require_may_act()
        if actor.role not in (Role.COMPANY, Role.INVESTOR):
            raise DomainError("not_authorised", "bids come from companies and investors")
        if type(price_fen) is not int or type(quantity) is not int or price_fen <= 0 or quantity <= 0:
            raise DomainError("bid_invalid", "a bid is a positive price (fen) and a positive whole quantity (t)")
        if not 0 < len(bid_id) <= 32:
            raise DomainError("bid_invalid", "a bid id has 1–32 characters")
        now = self.registry.clock.now()
        n = self.notice(notice_id)
        data = json.loads(n.rules)
        require_announced(n.status, notice_id)
        if to_us(now) < n.opens_us:
            raise DomainError("auction_not_open", f"bids open at {from_us(n.opens_us).isoformat()}")
        if to_us(now) > n.closes_us:
            raise DomainError("auction_closed", f"bids closed at {from_us(n.closes_us).isoformat()}")
        lot, minimum = int(data.get("lot", 1)), int(data.get("min_bid", 1))
        if quantity < minimum or quantity % lot:
            raise DomainError("bid_invalid", f"bids are at least {minimum:,} t, in lots of {lot:,} t")

        def work(c: Connection) -> dict[str, object]:
            eligible = self._eligible(c, n.market, data)
            if eligible is not None and actor.party_id not in eligible:
                raise DomainError("bidder_not_eligible", f"only covered companies of {n.market} bid in this auction")
            prior = c.execute(select(t.auction_bids.c.deposit_fen).where(
                t.auction_bids.c.notice_id == notice_id, t.auction_bids.c.party_id == actor.party_id,
                t.auction_bids.c.bid_id == bid_id).order_by(t.auction_bids.c.id.desc())).first()
            if prior is not None and data.get("irrevocable"):
                raise DomainError("bid_irrevocable", "bids in this auction cannot be revised")
            deposit = price_fen * quantity if data.get("deposit") == "full" else 0
            held = prior.deposit_fen if prior is not None else 0
            if deposit != held:
                cash = CashLedger(c, n.market, to_us(now))
                cash.move(actor.party_id, 0, deposit - held, "auction_deposit", f"notice {notice_id} bid {bid_id}")
                cash.flush()
            c.execute(insert(t.auction_bids).values(notice_id=notice_id, party_id=actor.party_id, bid_id=bid_id,
                                                    price_fen=price_fen, quantity=quantity, deposit_fen=deposit,
                                                    at_us=to_us(now), user_name=actor.user))
            return {"notice": notice_id, "bid_id": bid_id, "price_fen": price_fen, "quantity": quantity,
                    "deposit_fen": deposit, "revision": prior is not None}

        return run_in_transaction(self.engine, work)

    # -- the close -------------------------------------------------------------------------------------
    def close(self, actor: Actor, notice_id: int) -> dict[str, object]:
        """After the window: clear, deliver, collect, refund, book the revenue, publish — one transaction."""
        actor.require_may_act()
        n = self.notice(notice_id)
        actor.require_regulator(n.market)
        now = self.registry.clock.now()
        if to_us(now) <= n.closes_us:
            raise DomainError("auction_open", f"the window closes at {from_us(n.closes_us).isoformat()}")
        require_announced(n.status, notice_id)
        data = json.loads(n.rules)
        if isinstance(data.get("reserve"), dict) and n.reserve_fen is None:
            raise DomainError("reserve_unpublished", "publish the reserve price before the close")

        def work(c: Connection) -> dict[str, object]:
            versions = c.execute(select(t.auction_bids).where(t.auction_bids.c.notice_id == notice_id)
                                 .order_by(t.auction_bids.c.id)).all()
            bids = [Bid(v.party_id, v.bid_id, v.price_fen, v.quantity, from_us(v.at_us)) for v in versions]
            result = clear(bids, rules_of(data, reserve=n.reserve_fen, eligible=self._eligible(c, n.market, data)))
            held: dict[tuple[int, str], int] = {}
            for v in versions:  # the deposit each bid holds now: its last version's
                held[(v.party_id, v.bid_id)] = v.deposit_fen
            treasury = self._treasury(n.market)
            cash = CashLedger(c, n.market, to_us(now))
            cash.load({p for p, _ in held} | {treasury})
            for key, amount in held.items():
                if amount:
                    cash.move(key[0], 0, -amount, "auction_refund", f"notice {notice_id} bid {key[1]}")
            if result.cancelled or not result.sold:
                cash.flush()
                c.execute(update(t.auction_notices).where(t.auction_notices.c.id == notice_id).values(
                    status=next_status(n.status, "cancel", notice_id).value))
                return {**result.published(), "notice": notice_id, "reserve_fen": n.reserve_fen}
            aid = self._settle_in(c, actor, market=n.market, document=n.document, unit_class_id=n.unit_class_id,
                                  restriction_id=n.restriction_id, result=result)
            price = result.clearing_price or 0
            won: dict[int, int] = {}
            for (party, _), qty in result.fills.items():
                won[party] = won.get(party, 0) + qty
            for party, qty in sorted(won.items()):
                cash.move(party, -price * qty, 0, "auction_payment", f"auction {aid}")
            cash.move(treasury, price * result.sold, 0, "auction_revenue", f"auction {aid}")
            cash.flush()
            c.execute(update(t.auction_notices).where(t.auction_notices.c.id == notice_id).values(
                status=next_status(n.status, "settle", notice_id).value, auction_id=aid))
            return {**result.published(), "notice": notice_id, "auction": aid, "reserve_fen": n.reserve_fen,
                    "revenue_fen": price * result.sold}

        return run_in_transaction(self.engine, work)

    def results(self, notice_id: int) -> dict[str, object]:
        """The public result: clearing price, volume sold, bidders, winners, cover ratio."""
        n = self.notice(notice_id)
        out: dict[str, object] = {"notice": notice_id, "market": n.market, "document": n.document, "status": n.status,
                                  "volume": n.volume, "reserve_fen": n.reserve_fen}
        if n.auction_id is not None:
            with self.engine.connect() as c:
                a = c.execute(select(t.auctions).where(t.auctions.c.id == n.auction_id)).one()
            out.update(clearing_price_fen=a.clearing_price_fen, volume_sold_t=a.volume_sold, bidders=a.bidders,
                       winners=a.winners, cover_ratio=str(Decimal(a.cover_ratio).quantize(Decimal("0.01"),
                                                                                         rounding=ROUND_HALF_UP)),
                       revenue_fen=a.revenue_fen)
        return out

    def _treasury(self, market: str) -> int:
        """Revenue goes to the treasury: held as the market registry party's cash at the exchange."""
        return self.registry.registry_party(market)

    # -- settlement (also for results cleared elsewhere) -------------------------------------------------
    def settle(self, actor: Actor, *, market: str, document: str, unit_class: str, restriction_id: int,
               result: AuctionResult) -> int:
        """Deliver a cleared result's units to the winners' compliance accounts (payment recorded)."""
        actor.require_may_act()
        actor.require_regulator(market)
        if result.cancelled:
            raise DomainError("auction_cancelled", f"the auction was cancelled: {result.cancelled}")
        uc = self.registry.unit_class(unit_class)
        return run_in_transaction(self.engine, lambda c: self._settle_in(
            c, actor, market=market, document=document, unit_class_id=uc.id, restriction_id=restriction_id,
            result=result))

    def _settle_in(self, c: Connection, actor: Actor, *, market: str, document: str, unit_class_id: UnitClassId,
                   restriction_id: int, result: AuctionResult) -> int:
        auction_account = self.registry.account(f"{market}-AUCTION")
        won: dict[int, int] = {}
        for (bidder, _), qty in result.fills.items():
            won[bidder] = won.get(bidder, 0) + qty
        accounts = {r.party_id: r.id for r in c.execute(
            select(t.accounts.c.id, t.accounts.c.party_id).where(
                t.accounts.c.party_id.in_(list(won)), t.accounts.c.market == market,
                t.accounts.c.type == AccountType.COMPLIANCE.value).order_by(t.accounts.c.id.desc()))}
        missing = sorted(set(won) - set(accounts))
        if missing:
            raise DomainError("account_missing", f"winners without a {market} compliance account: {missing}")
        price = result.clearing_price or 0
        aid = c.execute(insert(t.auctions).values(
            market=market, document=document, unit_class_id=unit_class_id, restriction_id=restriction_id,
            clearing_price_fen=result.clearing_price, volume_sold=result.sold, bidders=result.bidders,
            winners=result.winners, cover_ratio=str(result.cover_ratio), revenue_fen=price * result.sold,
            settled_by=actor.user, settled_us=to_us(self.registry.clock.now()),
        ).returning(t.auctions.c.id)).scalar_one()
        session = RegistrySession(self.registry, c)
        txns = {}
        for party, qty in sorted(won.items()):
            rec = session.apply(actor, AuctionDelivery(from_account=auction_account.id,
                                          to_account=accounts[party], unit_class=unit_class_id, quantity=qty,
                                          restriction=restriction_id))
            txns[party] = rec.id
        session.flush()
        c.execute(insert(t.auction_fills), [
            {"auction_id": aid, "party_id": party, "quantity": qty, "paid_fen": qty * price, "txn_id": txns[party]}
            for party, qty in sorted(won.items())])
        return int(aid)
