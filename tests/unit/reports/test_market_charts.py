"""The charts' cases of issue 18, read off the figures themselves (the PNG step is caught): markets of
different years each on a panel of its own dates, K-lines whose price axis holds the lowest candle and
shows a flat one, volume ticks with thousands separators instead of a 1e6 offset, the compliance
chart's legend outside its bars."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import matplotlib.dates as mdates
import pytest
from tests.unit.reports.report_data import bars, sample

from openets.market.data import Bar
from openets.reports import annual, market_charts

Figures = list[Any]


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> Figures:
    """Every figure a chart function would have turned into a PNG, drawn (so extents are known)."""
    got: Figures = []

    def keep(fig: Any, plt: Any) -> bytes:
        fig.canvas.draw()
        got.append(fig)
        return b""

    monkeypatch.setattr(market_charts, "_png", keep)
    monkeypatch.setattr(annual, "_png", keep)
    return got


def test_markets_of_different_years_get_a_panel_each(figures: Figures) -> None:
    market_charts.price_comparison_png({"BJ": bars(datetime(2017, 5, 1), [5000, 5100, 5200]),
                                        "CEA": bars(datetime(2021, 7, 16), [4800, 5200, 5600])})
    (fig,) = figures
    bj, cea = fig.axes
    # each panel spans its own days: BJ's three days of May 2017, CEA's of July 2021 — not one 2017–2021 axis
    assert [mdates.num2date(x).year for x in bj.get_xlim()] == [2017, 2017]
    assert [mdates.num2date(x).year for x in cea.get_xlim()] == [2021, 2021]
    assert bj.get_ylim() == cea.get_ylim()  # one price scale, to compare the levels


def test_kline_keeps_the_lowest_candle_shows_a_flat_one_and_writes_volume_in_full(figures: Figures) -> None:
    day = datetime(2021, 7, 16)
    candles = [Bar(day, 5000, 5200, 4800, 5100, 1_200_000, 0),   # the lowest low: 48.00 yuan
               Bar(day, 5100, 5100, 5100, 5100, 2_400_000, 0)]   # flat: open = close = high = low (a doji)
    market_charts.kline_png(candles, "CEA")
    (fig,) = figures
    price, volume = fig.axes
    lo, hi = price.get_ylim()
    # the axis spans every low and high with a margin of max(6 % of 52 − 48 = 0.24, 0.5) = 0.5 yuan
    assert (lo, hi) == pytest.approx((47.5, 52.5))
    flat = [seg for coll in price.collections for seg in coll.get_segments()
            if len(seg) == 2 and seg[0][1] == seg[1][1] == 51.0 and seg[0][0] != seg[1][0]]
    assert flat and flat[0][1][0] - flat[0][0][0] == pytest.approx(0.6)  # a stroke 0.6 wide at 51.00
    labels = [t.get_text() for t in volume.get_yticklabels()]
    assert any("," in t and t.replace(",", "").isdigit() and int(t.replace(",", "")) >= 1_000_000 for t in labels), labels
    assert volume.yaxis.get_offset_text().get_text() == ""  # no "1e6" above the axis


def test_the_compliance_legend_sits_below_the_bars(figures: Figures) -> None:
    annual._status_png(sample())
    (fig,) = figures
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent()
    bars_box = ax.get_window_extent()
    assert legend.y1 <= bars_box.y0  # outside the axes: it covers no bar
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["已按期履约 compliant", "逾期后履约 compliant late",
                                                                   "未履约 non-compliant"]  # the catalogue's names
