"""``openets auction notice | reserve | bid | close | results`` (the auction as a service) and
``openets auction clear`` (the pure clearing on files: the test and benchmark harness)."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, JsonOpt, PartyOpt, acting, clock, emit, engine, run
from openets.core.numbers import MAX_PRICE_FEN, parse_fen
from openets.core.prices import yuan_text

app = typer.Typer(no_args_is_help=True)


def yuan_to_fen(text: str, where: str, *, maximum: int = MAX_PRICE_FEN, minimum: int = 0) -> int:
    """Yuan as fen through the one bounded parser (core.numbers): a price by default."""
    return parse_fen(text, where, minimum=minimum, maximum=maximum)  # BadInput (a ValueError too) when refused


@app.command()
def clear(bids: Path = typer.Option(..., help="CSV: bidder, bid_id, price (yuan), quantity (t), at (ISO time)."),
          rules: Path = typer.Option(..., help="Auction rules (TOML, section [auction])."),
          reserve: str | None = typer.Option(None, help="Reserve price in yuan (overrides the rules' rule)."),
          eligible: str | None = typer.Option(None, help="Eligible bidder ids, comma-separated."),
          show_bids: bool = typer.Option(False, help="Also print each bid's fill (not public)."),
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Clear a sealed-bid uniform-price auction: clearing price, volume sold, cover ratio; rejected bids with reasons."""

    def go() -> None:
        from openets.core.clock import parse_instant
        from openets.core.numbers import parse_id, parse_int
        from openets.core.quantity import parse_tonnes
        from openets.market.auction import Bid
        from openets.market.auction import clear as do_clear
        from openets.services.auctions import rules_of
        from openets.services.tabular import Problems, Schema, read_tables, read_toml_table

        data = read_toml_table(rules, "auction", "auction rule file")
        schema = Schema(("bidder", "bid_id", "price", "quantity", "at"), ("bidder", "bid_id", "price", "quantity", "at"),
                        {"投标人": "bidder", "申报编号": "bid_id", "价格": "price", "数量": "quantity", "时间": "at"})
        bad = Problems()  # every bad row named, each value under the file's own header
        parsed, seen = [], set()
        for r in read_tables(bids, {"bids": schema}, kind="bids", problems=bad)["bids"]:
            before = len(bad.lines)
            bidder = bad.parse(r, "bidder", parse_id)
            price = bad.parse(r, "price", lambda v, what: yuan_to_fen(v, what, minimum=1))
            quantity = bad.parse(r, "quantity", parse_tonnes)
            at = bad.parse(r, "at", parse_instant)
            if len(bad.lines) > before or bidder is None or price is None or quantity is None or at is None:
                continue
            bid = Bid(bidder, r.values["bid_id"], price, quantity, at)
            if (bid.bidder, bid.bid_id) in seen:  # the clearing would keep one silently
                bad.add(r, "bid_id", f"bidder {bid.bidder} bid {bid.bid_id!r} is given twice")
                continue
            seen.add((bid.bidder, bid.bid_id))
            parsed.append(bid)
        bad.refuse("nothing cleared")
        reserve_fen: int | None = None
        if reserve is not None:
            reserve_fen = yuan_to_fen(reserve, "--reserve")
        elif "reserve_fen" in data:
            reserve_fen = parse_int(data["reserve_fen"], "reserve_fen", maximum=MAX_PRICE_FEN)
        try:
            chosen = frozenset(parse_id(x, "--eligible") for x in eligible.split(",")) if eligible else None
        except ValueError as exc:
            raise ValueError(f"{getattr(exc, 'message', exc)} (bidder ids, comma-separated)") from None
        rules_ = rules_of(data, reserve=reserve_fen, eligible=chosen)
        result = do_clear(parsed, rules_)
        out: dict[str, object] = {**result.published(),
                                  "rejected": [{"bidder": k[0], "bid_id": k[1], "reason": v}
                                               for k, v in sorted(result.rejected.items())]}
        if show_bids:
            out["fills"] = [{"bidder": k[0], "bid_id": k[1], "quantity": v} for k, v in result.fills.items()]
        emit(out, as_json, title="auction result")

    run(go)


def _svc(db: str | None):
    from openets.services.auctions import AuctionService
    from openets.services.registry import RegistryService

    return AuctionService(RegistryService(engine(db), clock=clock()))


@app.command()
def notice(rules: Path = typer.Option(..., help="The notice's rules (TOML, section [auction]); see "
                                                "src/openets/rules/data/auctions/."),
           unit_class: str = typer.Option(..., help="The units sold (already in the market's auction account)."),
           restriction: int = typer.Option(0, help="The restriction those units carry (0: none)."),
           user: str | None = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Announce an auction (the market's regulator)."""

    def go() -> None:
        from openets.services.tabular import read_toml_table

        data = read_toml_table(rules, "auction", "auction rule file")
        svc = _svc(db)
        nid = svc.announce(acting(svc.registry, user), data, unit_class=unit_class, restriction_id=restriction)
        emit(svc.results(nid), as_json, title="auction notice")

    run(go)


@app.command()
def reserve(notice_id: int = typer.Argument(..., metavar="NOTICE"), user: str | None = AsOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Compute the reserve price by the notice's rule from the market's own trades, and publish it."""

    def go() -> None:
        svc = _svc(db)
        fen = svc.publish_reserve(acting(svc.registry, user), notice_id)
        emit({"notice": notice_id, "reserve_yuan": yuan_text(fen)}, as_json, title="reserve price")

    run(go)


@app.command()
def bid(notice_id: int = typer.Argument(..., metavar="NOTICE"), bid_id: str = typer.Option("1", help="Your bid's id: "
                                                                                                   "the same id revises it."),
        price: str = typer.Option(..., help="Yuan per tonne."), quantity: str = typer.Option(..., help="Tonnes."),
        user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
        as_csv: bool = CsvOpt) -> None:
    """Submit or revise a sealed bid inside the window (a deposit is held where the rules ask)."""

    def go() -> None:
        from openets.core.quantity import parse_tonnes

        svc = _svc(db)
        out = svc.bid(acting(svc.registry, user, party), notice_id, bid_id=bid_id,
                      price_fen=yuan_to_fen(price, "--price"), quantity=parse_tonnes(quantity))
        emit(out, as_json, title="bid")

    run(go)


@app.command("close")
def close_(notice_id: int = typer.Argument(..., metavar="NOTICE"), user: str | None = AsOpt, db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """After the window (the market's regulator): clear, deliver, collect, refund, publish."""

    def go() -> None:
        svc = _svc(db)
        emit(svc.close(acting(svc.registry, user), notice_id), as_json, title="auction result")

    run(go)


@app.command()
def results(notice_id: int = typer.Argument(..., metavar="NOTICE"), db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The public result: clearing price, volume sold, bidders, winners, cover ratio — no individual bid."""
    run(lambda: emit(_svc(db).results(notice_id), as_json, title="auction result"))
