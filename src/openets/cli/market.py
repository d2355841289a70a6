"""``openets market replay``: a file of timestamped orders through fresh books, every event printed."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import JsonOpt, emit, run

app = typer.Typer(no_args_is_help=True)


@app.command()
def replay(path: Path = typer.Argument(..., help="CSV: at, instrument, order_id, party, side, type, price (yuan), "
                                                 "quantity, action (submit | cancel)."),
           tick: int = typer.Option(1, help="Tick in fen."), lot: int = typer.Option(1, help="Lot in tonnes."),
           band_low: str | None = typer.Option(None, help="Lowest price allowed, yuan."),
           band_high: str | None = typer.Option(None, help="Highest price allowed, yuan."),
           as_json: bool = JsonOpt) -> None:
    """Run the orders through the matching core, in time order; print every event (the test harness)."""

    def go() -> None:
        from dataclasses import asdict

        from openets.cli.auction import yuan_to_fen
        from openets.core.clock import parse_instant
        from openets.market.orderbook import BookRules, Order, OrderBook
        from openets.services.tabular import Schema, read_tables

        cols = ("at", "instrument", "order_id", "party", "side", "type", "price", "quantity", "action")
        rows = read_tables(path, {"orders": Schema(cols, ("at", "instrument", "order_id", "party", "side",
                                                          "quantity"))}, kind="orders")["orders"]
        rules = BookRules(tick=tick, lot=lot,
                          band_low=yuan_to_fen(band_low, "--band-low") if band_low else None,
                          band_high=yuan_to_fen(band_high, "--band-high") if band_high else None)
        events: list[dict[str, object]] = []
        books: dict[str, OrderBook] = {}
        parsed = []
        for r in rows:
            v = r.values
            try:
                parsed.append((parse_instant(v["at"]), r, v))
            except ValueError:
                raise ValueError(f"{r.where}, column at: {v['at']!r} is not a time") from None
        for _at, r, v in sorted(parsed, key=lambda x: x[0]):
            inst = v["instrument"]
            book = books.get(inst)
            if book is None:
                book = books[inst] = OrderBook(inst, rules, lambda e, i=inst: events.append(
                    {"instrument": i, **asdict(e)}))
            try:
                oid, party = int(v["order_id"]), int(v["party"])
                qty = int(v["quantity"])
            except ValueError:
                raise ValueError(f"{r.where}: order_id, party and quantity are whole numbers") from None
            if (v.get("action") or "submit") == "cancel":
                book.cancel(oid)
                continue
            kind = v.get("type") or "limit"
            price = yuan_to_fen(v["price"], r.where) if v.get("price") else None
            book.submit(Order(oid, party, v["side"], kind, price, qty))
        emit({"events": events, "books": {k: b.depth() for k, b in books.items()}} if as_json else events[:200],
             as_json, title="events")

    run(go)
