"""``openets market …``: the exchange from the command line — cash, orders, the book, the tape, bars,
statistics, the day's close, T+1 delivery, reconciliation; and ``replay``, a file of timestamped
orders through fresh books with every event printed (the harness for tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, clock, emit, engine, run
from openets.core.numbers import MAX_AMOUNT_FEN, MAX_PRICE_FEN
from openets.core.prices import yuan_text

app = typer.Typer(no_args_is_help=True)
# the parser refuses any other value (market/orderbook.py: BUY, SELL, LIMIT, MARKET; select: the exchange)
Side = Literal["buy", "sell"]
OrderType = Literal["limit", "market", "select"]
InstrumentArg = typer.Argument(..., help="The instrument: a unit class code such as BEA-2016 or CEA-2021.")


def _exchange(db: str | None, instrument: str):
    from openets.services.exchange import open_exchange
    from openets.services.registry import RegistryService

    return open_exchange(RegistryService(engine(db), clock=clock()), instrument)


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else yuan_text(fen)


def _fen(text: str, what: str, maximum: int = MAX_PRICE_FEN) -> int:
    from openets.cli.auction import yuan_to_fen

    return yuan_to_fen(text, what, maximum=maximum)


MemberOpt = typer.Option(None, "--member", help="The member (party id) whose cash moves: yours by default; the "
                                               "exchange operator names the member whose bank transfer it records.")


def _cash(instrument: str, amount: str, member: int | None, user: str | None, party: int | None, db: str | None,
          as_json: bool, move: str) -> None:
    def go() -> None:
        ex = _exchange(db, instrument)
        actor = acting(ex.registry, user, party)
        holder = ex.cash_holder(actor, member)  # a member its own; the exchange operator the member it names
        getattr(ex, move)(actor, _fen(amount, "--amount", MAX_AMOUNT_FEN), party=member)
        bal, res = ex.cash(holder)
        emit({"party": holder, "market": ex.market, "balance_yuan": _yuan(bal), "reserved_yuan": _yuan(res)},
             as_json, title="cash")

    run(go)


@app.command()
def deposit(instrument: str = InstrumentArg, amount: str = typer.Option(..., help="Yuan."),
            member: int | None = MemberOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Pay cash into a member's account at the instrument's exchange (入金): the member's own user, or the
    exchange operator recording the member's bank transfer; regulators and auditors move no cash."""
    _cash(instrument, amount, member, user, party, db, as_json, "deposit")


@app.command()
def withdraw(instrument: str = InstrumentArg, amount: str = typer.Option(..., help="Yuan."),
             member: int | None = MemberOpt, user: str | None = AsOpt, party: int | None = PartyOpt,
             db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Take cash out of a member's account at the exchange (出金; reserved cash stays): the member's own
    user, or the exchange operator; regulators and auditors move no cash."""
    _cash(instrument, amount, member, user, party, db, as_json, "withdraw")


@app.command()
def submit(instrument: str = InstrumentArg, side: Side = typer.Option(..., help="buy or sell."),
           quantity: str = typer.Option(..., help="Tonnes, whole."),
           price: str | None = typer.Option(None, help="Limit price in yuan (not for market or select orders)."),
           type: OrderType = typer.Option("limit", "--type", help="limit, market (immediate or cancel), or select "
                                                            "(挂牌协议: take the quote at --level)."),
           level: int | None = typer.Option(None, help="select: which of the best five quotes, 1 = best."),
           account: str = typer.Option(..., help="Your registry account: units come from or go to it."),
           client_id: str | None = typer.Option(None, help="Your order id: used once, a repeat is refused."),
           user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Place an order. It is acknowledged after it is logged; the answer says what it traded."""

    def go() -> None:
        from openets.core.quantity import parse_tonnes

        ex = _exchange(db, instrument)
        actor = acting(ex.registry, user, party)
        qty = parse_tonnes(quantity)
        fen = _fen(price, "--price") if price is not None else None
        placed = ex.submit(actor, account=account, side=side, quantity=qty, price_fen=fen, type=type, level=level,
                           client_id=client_id)
        view = {"order": placed.order_id, "status": placed.status, "remaining": placed.remaining,
                "reason": placed.reason, "trades": [{"price_yuan": _yuan(p), "quantity": q} for p, q in placed.trades]}
        emit(view, as_json, title="order")
        if placed.status == "rejected":
            raise Failure(f"order rejected: {placed.reason}")

    run(go)


@app.command()
def cancel(instrument: str = InstrumentArg, order: int = typer.Argument(..., help="The order id."),
           user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Cancel one of your open orders; what it held is given back."""

    def go() -> None:
        ex = _exchange(db, instrument)
        ex.cancel(acting(ex.registry, user, party), order)
        emit({"order": order, "status": "cancelled"}, as_json, title="order")

    run(go)


@app.command()
def book(instrument: str = InstrumentArg, levels: int = typer.Option(5, min=1, max=50), db: str | None = DbOpt,
         as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Depth: the best price levels each side (price, tonnes), and the band in force."""

    def go() -> None:
        ex = _exchange(db, instrument)
        d = ex.depth(levels)
        if as_json:
            emit({"instrument": instrument, "reference_yuan": _yuan(ex.reference), "band_yuan":
                  [_yuan(ex.rules.band_low), _yuan(ex.rules.band_high)],
                  "bids": [{"price_yuan": _yuan(p), "quantity": q} for p, q in d["bids"]],
                  "asks": [{"price_yuan": _yuan(p), "quantity": q} for p, q in d["asks"]]}, True)
            return
        rows = []
        for i in range(max(len(d["bids"]), len(d["asks"]))):
            b = d["bids"][i] if i < len(d["bids"]) else (None, None)
            a = d["asks"][i] if i < len(d["asks"]) else (None, None)
            rows.append({"bid t": b[1], "bid": _yuan(b[0]), "ask": _yuan(a[0]), "ask t": a[1]})
        emit(rows, False, title=f"{instrument} · reference {_yuan(ex.reference)} · band "
                                f"{_yuan(ex.rules.band_low)}–{_yuan(ex.rules.band_high)}")

    run(go)


@app.command()
def trades(instrument: str = InstrumentArg, since: str | None = typer.Option(None, help="ISO time."),
           limit: int = typer.Option(100, min=1), db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The trades tape (latest last): time, price, tonnes, mode (listed or block)."""

    def go() -> None:
        from openets.core.clock import parse_instant

        ex = _exchange(db, instrument)
        prints = ex.prints(parse_instant(since) if since else None, last=limit)
        emit([{"at": p.at, "price_yuan": _yuan(p.price), "quantity": p.quantity, "mode": p.mode} for p in prints],
             as_json, title=f"{instrument} trades")

    run(go)


@app.command()
def bars(instrument: str = InstrumentArg, minutes: int | None = typer.Option(None, min=1, max=1440, help="Intraday bars "
                                                                                                "of N minutes; "
                                                                                                "default daily."),
         db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """OHLCV bars (the 碳 K 线): listed trades only, Asia/Shanghai time."""

    def go() -> None:
        from openets.market.data import bars as make_bars

        ex = _exchange(db, instrument)
        out = make_bars(ex.prints(), minutes=minutes)
        emit([{"start": b.start, "open": _yuan(b.open), "high": _yuan(b.high), "low": _yuan(b.low),
               "close": _yuan(b.close), "volume": b.volume, "turnover_yuan": _yuan(b.turnover),
               "vwap_yuan": yuan_text(b.vwap)} for b in out], as_json, title=f"{instrument} bars")

    run(go)


@app.command()
def stats(instrument: str = InstrumentArg, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Per day: volume and turnover (all trade modes) and their running totals."""

    def go() -> None:
        from openets.market.data import daily_stats

        ex = _exchange(db, instrument)
        emit([{"day": d.day, "volume": d.volume, "turnover_yuan": _yuan(d.turnover),
               "cumulative_volume": d.cumulative_volume, "cumulative_turnover_yuan": _yuan(d.cumulative_turnover)}
              for d in daily_stats(ex.prints())], as_json, title=f"{instrument} statistics")

    run(go)


@app.command()
def chart(instruments: list[str] = typer.Argument(..., help="One instrument: its K-line; several: their prices."),
          out: Path = typer.Option(..., help="PNG file to write."), db: str | None = DbOpt,
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Draw the K-line (碳 K 线) of one instrument, or compare several markets' daily closes."""

    def go() -> None:
        from openets.market.data import bars as make_bars
        from openets.reports.market_charts import kline_png, price_comparison_png

        series = {i: make_bars(_exchange(db, i).prints()) for i in instruments}
        if not any(series.values()):
            raise Failure("no listed trades to draw")
        png = kline_png(series[instruments[0]], f"{instruments[0]} 碳 K 线") if len(instruments) == 1 \
            else price_comparison_png(series)
        out.write_bytes(png)
        emit({"file": str(out), "bars": {k: len(v) for k, v in series.items()}}, as_json, title="chart")

    run(go)


@app.command()
def close(instrument: str = InstrumentArg, user: str | None = AsOpt, party: int | None = PartyOpt,
          db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """End the trading day (the exchange operator or regulator): resting orders cancelled, the close
    price set as the next reference."""

    def go() -> None:
        ex = _exchange(db, instrument)
        ref = ex.close_day(acting(ex.registry, user, party))
        emit({"instrument": instrument, "close_yuan": _yuan(ref)}, as_json, title="close")

    run(go)


@app.command()
def settle(instrument: str = InstrumentArg, user: str | None = AsOpt, party: int | None = PartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Deliver the T+1 trades due today, versus payment (the exchange operator or regulator)."""

    def go() -> None:
        ex = _exchange(db, instrument)
        n = ex.settle_due(actor=acting(ex.registry, user, party))
        emit({"instrument": instrument, "settled": n}, as_json, title="delivery")

    run(go)


@app.command()
def reconcile(instrument: str = InstrumentArg, user: str | None = AsOpt, party: int | None = PartyOpt,
              db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The exchange's positions against the registry and its cash journal; exit 1 on any difference."""

    def go() -> None:
        ex = _exchange(db, instrument)
        problems = ex.reconcile(acting(ex.registry, user, party))
        emit({"instrument": instrument, "differences": problems, "clean": not problems}, as_json,
             title="reconciliation")
        if problems:
            raise Failure(f"{len(problems)} difference(s)")

    run(go)


@app.command()
def replay(path: Path = typer.Argument(..., help="CSV: at, instrument, order_id, party, side, type, price (yuan), "
                                                 "quantity, action (submit | cancel)."),
           tick: int = typer.Option(1, help="Tick in fen."), lot: int = typer.Option(1, help="Lot in tonnes."),
           band_low: str | None = typer.Option(None, help="Lowest price allowed, yuan."),
           band_high: str | None = typer.Option(None, help="Highest price allowed, yuan."),
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Run the orders through the matching core, in time order; print every event (the test harness)."""

    def go() -> None:
        from dataclasses import asdict

        from openets.cli.auction import yuan_to_fen
        from openets.core.clock import parse_instant
        from openets.core.numbers import MAX_TONNES, parse_id, parse_int
        from openets.market.orderbook import BookRules, Order, OrderBook
        from openets.services.tabular import Problems, Schema, read_tables

        cols = ("at", "instrument", "order_id", "party", "side", "type", "price", "quantity", "action")
        zh = {"时间": "at", "交易品种": "instrument", "委托编号": "order_id", "交易主体": "party", "方向": "side",
              "类型": "type", "价格": "price", "数量": "quantity", "操作": "action"}
        bad = Problems()  # every bad row named under the file's own headers; nothing replayed
        rows = read_tables(path, {"orders": Schema(cols, ("at", "instrument", "order_id", "party", "side",
                                                          "quantity"), zh)}, kind="orders", problems=bad)["orders"]
        if tick < 1 or tick > MAX_PRICE_FEN:
            raise Failure(f"--tick {tick}: a tick is 1 .. {MAX_PRICE_FEN} fen")
        if lot < 1 or lot > MAX_TONNES:
            raise Failure(f"--lot {lot}: a lot is 1 .. {MAX_TONNES} t")
        low = yuan_to_fen(band_low, "--band-low") if band_low else None
        high = yuan_to_fen(band_high, "--band-high") if band_high else None
        if low is not None and high is not None and low > high:
            raise Failure(f"--band-low {band_low} is above --band-high {band_high}")
        rules = BookRules(tick=tick, lot=lot, band_low=low, band_high=high)
        events: list[dict[str, object]] = []
        books: dict[str, OrderBook] = {}
        parsed = []
        for r in rows:  # every row read first: a bad one anywhere replays nothing
            v = r.values
            before = len(bad.lines)
            at = bad.parse(r, "at", parse_instant)
            oid, party = bad.parse(r, "order_id", parse_id), bad.parse(r, "party", parse_id)
            qty = bad.parse(r, "quantity", lambda x, what: parse_int(x, what, maximum=MAX_TONNES))
            action = v.get("action") or "submit"
            if action not in ("submit", "cancel"):
                bad.add(r, "action", f"{action!r} is not submit or cancel")
            if action == "submit" and v["side"] not in ("buy", "sell"):
                bad.add(r, "side", f"{v['side']!r} is not buy or sell")
            kind = v.get("type") or "limit"
            if action == "submit" and kind not in ("limit", "market"):
                bad.add(r, "type", f"{kind!r} is not limit or market")
            price = bad.parse(r, "price", yuan_to_fen) if v.get("price") else None
            if len(bad.lines) == before and at is not None and oid is not None and party is not None and qty is not None:
                parsed.append((at, oid, party, qty, action, kind, price, v))
        bad.refuse("nothing replayed")

        def _sink(instrument: str) -> Callable[[Any], None]:  # each book's events, tagged with its instrument
            return lambda e: events.append({"instrument": instrument, **asdict(e)})

        for _at, oid, party, qty, action, kind, price, v in sorted(parsed, key=lambda x: x[0]):
            inst = v["instrument"]
            book = books.get(inst)
            if book is None:
                book = books[inst] = OrderBook(inst, rules, _sink(inst))
            if action == "cancel":
                book.cancel(oid)
                continue
            book.submit(Order(oid, party, v["side"], kind, price, qty))
        emit({"events": events, "books": {k: b.depth() for k, b in books.items()}} if as_json else events[:200],
             as_json, title="events")

    run(go)
