"""``openets auction clear``: the pure clearing on files (test and benchmark harness)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from openets.cli.common import JsonOpt, emit, run

app = typer.Typer(no_args_is_help=True)


def yuan_to_fen(text: str, where: str) -> int:
    try:
        fen = Decimal(text) * 100
    except InvalidOperation:
        raise ValueError(f"{where}: price {text!r} is not a number") from None
    if fen != fen.to_integral_value():
        raise ValueError(f"{where}: price {text} is not on the 0.01-yuan tick")
    return int(fen)


@app.command()
def clear(bids: Path = typer.Option(..., help="CSV: bidder, bid_id, price (yuan), quantity (t), at (ISO time)."),
          rules: Path = typer.Option(..., help="Auction rules (TOML, section [auction])."),
          reserve: str | None = typer.Option(None, help="Reserve price in yuan (overrides the rules' rule)."),
          eligible: str | None = typer.Option(None, help="Eligible bidder ids, comma-separated."),
          show_bids: bool = typer.Option(False, help="Also print each bid's fill (not public)."),
          as_json: bool = JsonOpt) -> None:
    """Clear a sealed-bid uniform-price auction: clearing price, volume sold, cover ratio; rejected bids with reasons."""

    def go() -> None:
        from openets.core.clock import parse_instant
        from openets.core.quantity import parse_tonnes
        from openets.market.auction import AuctionRules, Bid
        from openets.market.auction import clear as do_clear
        from openets.services.tabular import Schema, read_tables

        try:
            data = tomllib.loads(rules.read_text(encoding="utf-8"))["auction"]
        except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
            raise ValueError(f"{rules}: not an auction rule file ({exc})") from None
        schema = Schema(("bidder", "bid_id", "price", "quantity", "at"), ("bidder", "bid_id", "price", "quantity", "at"),
                        {"投标人": "bidder", "申报编号": "bid_id", "价格": "price", "数量": "quantity", "时间": "at"})
        parsed = []
        for r in read_tables(bids, {"bids": schema}, kind="bids")["bids"]:
            v = r.values
            try:
                parsed.append(Bid(int(v["bidder"]), v["bid_id"], yuan_to_fen(v["price"], r.where),
                                  parse_tonnes(v["quantity"]), parse_instant(v["at"])))
            except ValueError as exc:
                raise ValueError(f"{r.where}: {exc}") from None
        reserve_fen = yuan_to_fen(reserve, "--reserve") if reserve is not None else data.get("reserve_fen")
        rules_ = AuctionRules(
            volume=int(data["volume"]), closes_at=datetime.fromisoformat(data["closes_at"]), reserve=reserve_fen,
            lot=int(data.get("lot", 1)), min_bid=int(data.get("min_bid", 1)),
            max_share_per_bidder=Decimal(str(data["max_share_per_bidder"])) if "max_share_per_bidder" in data else None,
            eligible=frozenset(int(x) for x in eligible.split(",")) if eligible else None,
            tie_break=data.get("tie_break", "time"), random_seed=int(data.get("random_seed", 0)),
            cancel_if_undersubscribed=bool(data.get("cancel_if_undersubscribed", False)))
        result = do_clear(parsed, rules_)
        out: dict[str, object] = {**result.published(),
                                  "rejected": [{"bidder": k[0], "bid_id": k[1], "reason": v}
                                               for k, v in sorted(result.rejected.items())]}
        if show_bids:
            out["fills"] = [{"bidder": k[0], "bid_id": k[1], "quantity": v} for k, v in result.fills.items()]
        emit(out, as_json, title="auction result")

    run(go)
