"""Block trades in the lab (issue 16 item 1, brief labmore item 4): large firms agree block trades
through the exchange's real block path where the market's rules have them (the national market:
≥ 100,000 t, afternoon session only, ±30 % of the previous close), and a market without them has none."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from openets.core.clock import MARKET_TZ, from_us
from openets.simulation import lab as lab_module
from openets.simulation.lab import LabRunner
from openets.simulation.labfile import load_lab
from openets.storage import tables as t
from openets.testing.lab import write_lab_file


def big_firms(tmp: Path) -> Path:
    """Twelve power firms of 3.0–6.3 Mt: the odd ones allocated 85 % of BAU (short by 450–950 kt), the
    even ones 105 % (long by 150–300 kt) — gaps far above the 100,000-t block minimum."""
    path = write_lab_file(tmp, 12, 10, 60)
    lines = ["firm_id,sector,bau_t,allocation_t,mac_slope"]
    for i in range(12):
        bau = 3_000_000 + 300_000 * i
        lines.append(f"B{i:02d},power,{bau},{int(bau * (0.85 if i % 2 else 1.05))},{600 / bau:.10f}")
    (tmp / "firms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_large_firms_trade_blocks_under_the_national_rules(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    (y,) = LabRunner(load_lab(big_firms(tmp_path)), url=f"sqlite:///{db}").run().years
    assert y.blocks > 0 and y.block_t >= 100_000 * y.blocks
    assert y.compliance_rate == 1  # the agents' books matched the registry's after the blocks (checked in the run)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        rows = c.execute(select(t.trades.c.mode, t.trades.c.price_fen, t.trades.c.quantity, t.trades.c.at_us)
                         .order_by(t.trades.c.id)).all()
    engine.dispose()
    blocks = [r for r in rows if r.mode == "block"]
    assert len(blocks) == y.blocks and sum(r.quantity for r in blocks) == y.block_t
    # the previous close: CEA's close is the day's VWAP of listed trades (close_rule = "vwap_listed"); the
    # first day's reference is the rule's opening 48 yuan (4,800 fen) when no listed trade came before
    listed: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.mode != "block":
            d = listed[from_us(r.at_us).astimezone(MARKET_TZ).date()]
            d[0] += r.price_fen * r.quantity
            d[1] += r.quantity
    for r in blocks:
        when = from_us(r.at_us).astimezone(MARKET_TZ)
        assert r.quantity >= 100_000  # the block minimum
        assert time(13, 0) <= when.time() < time(15, 0)  # the afternoon (block) session only
        before = [day for day in listed if day < when.date()]  # type: ignore[operator]
        ref = 4800 if not before else round(listed[max(before)][0] / listed[max(before)][1])  # type: ignore[type-var]
        # ±30 %: e.g. around a 45.00-yuan close, 31.50–58.50 yuan (1 fen of slack for the close's rounding)
        assert ref * 0.7 - 1 <= r.price_fen <= ref * 1.3 + 1, (r.price_fen, ref)


def test_a_market_without_block_rules_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = lab_module.open_exchange

    def without_blocks(*args: object, **kwargs: object) -> object:
        ex = real(*args, **kwargs)  # type: ignore[arg-type]
        ex.trading = dataclasses.replace(ex.trading, block_min=0)  # the same market, no block trading
        return ex

    monkeypatch.setattr(lab_module, "open_exchange", without_blocks)
    (y,) = LabRunner(load_lab(big_firms(tmp_path))).run().years
    assert y.blocks == 0 and y.block_t == 0 and y.trades > 0
