"""Market charts: the cross-market price comparison (the seed's "各交易所碳市价格走势": each market's
daily close, yuan/t) and a K-line (candlestick) chart with volume for one instrument. PNG bytes,
drawn with matplotlib off screen; prices come in fen and are shown in yuan."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from openets.market.data import Bar
from openets.reports.fonts import pyplot


def thousands(ax_axis: Any) -> None:
    """Tick labels as whole numbers with thousands separators (1,200,000, not 1.2 and a 1e6 offset)."""
    from matplotlib.ticker import FuncFormatter

    ax_axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def price_comparison_png(series: Mapping[str, Sequence[Bar]], title: str = "各交易所碳市价格走势 · Carbon prices by market") -> bytes:
    """Each market's daily close (listed trades' close price) in yuan/t, one panel per market: markets
    trade in different years (a 2017 year and a 2021 one on one axis would leave it mostly empty), so
    each panel has its own dates and the price axes are shared, to compare levels."""
    drawn = [(label, bars) for label, bars in series.items() if bars]
    plt = pyplot()
    import matplotlib.dates as mdates

    rows = max(1, len(drawn))
    fig, axes = plt.subplots(rows, 1, figsize=(9, 1.2 + 2.1 * rows), dpi=110, sharey=True, squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, bars) in enumerate(drawn):
        ax = axes[i][0]
        days = [b.start for b in bars]
        ax.plot(days, [b.close / 100 for b in bars], color=colours[i % len(colours)], linewidth=1.4,
                marker="o" if len(bars) < 12 else None, markersize=3)  # a few days: points, so one day shows
        if len(bars) == 1:
            ax.set_xlim(days[0] - timedelta(days=2), days[0] + timedelta(days=2))
        ax.set_title(f"{label} · {bars[0].start:%Y-%m-%d} – {bars[-1].start:%Y-%m-%d}", fontsize=9, loc="left")
        ax.set_ylabel("元/吨 · yuan/t", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.xaxis.get_offset_text().set_fontsize(8)
    fig.suptitle(title)
    return _png(fig, plt)


def kline_png(bars: Sequence[Bar], title: str) -> bytes:
    """Candlesticks (red up, green down, the Chinese convention) over a volume panel. The price axis
    spans every low and high with a margin; a day that opened at its close (a doji) is a short
    horizontal stroke, so it shows."""
    plt = pyplot()
    fig, (ax, axv) = plt.subplots(2, 1, figsize=(9, 4.8), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1]})
    for i, b in enumerate(bars):
        colour = "#d62728" if b.close >= b.open else "#2ca02c"
        ax.vlines(i, b.low / 100, b.high / 100, color=colour, linewidth=0.8)
        low, high = sorted((b.open / 100, b.close / 100))
        if high > low:
            ax.bar(i, high - low, bottom=low, color=colour, width=0.6)
        else:
            ax.hlines(low, i - 0.3, i + 0.3, color=colour, linewidth=1.6)
        axv.bar(i, b.volume, color=colour, width=0.6)
    if bars:
        lo, hi = min(b.low for b in bars) / 100, max(b.high for b in bars) / 100
        pad = max((hi - lo) * 0.06, 0.5)  # a flat series still gets a visible band
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlim(-1, len(bars))
    step = max(1, len(bars) // 8)
    axv.set_xticks(range(0, len(bars), step))
    axv.set_xticklabels([bars[i].start.strftime("%m-%d") for i in range(0, len(bars), step)], fontsize=8)
    thousands(axv.yaxis)
    axv.tick_params(axis="y", labelsize=8)
    ax.set_title(title)
    ax.set_ylabel("元/吨 · yuan/t")
    axv.set_ylabel("吨 · t")
    ax.grid(alpha=0.3)
    return _png(fig, plt)


def _png(fig: Any, plt: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
