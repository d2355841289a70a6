"""Market charts: the cross-market price comparison (the seed's "各交易所碳市价格走势": each market's
daily close, yuan/t) and a K-line (candlestick) chart with volume for one instrument. PNG bytes,
drawn with matplotlib off screen; prices come in fen and are shown in yuan."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openets.market.data import Bar
from openets.reports.allocation_compare import _cjk_font


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    return plt


def price_comparison_png(series: Mapping[str, Sequence[Bar]], title: str = "各交易所碳市价格走势 · Carbon prices by market") -> bytes:
    """One line per market: its daily close (listed trades' close price) in yuan/t."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for label, bars in series.items():
        if bars:
            ax.plot([b.start for b in bars], [b.close / 100 for b in bars], label=label, linewidth=1.4)
    ax.set_ylabel("元/吨 · yuan/t")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    return _png(fig, plt)


def kline_png(bars: Sequence[Bar], title: str) -> bytes:
    """Candlesticks (red up, green down, the Chinese convention) over a volume panel."""
    plt = _plt()
    fig, (ax, axv) = plt.subplots(2, 1, figsize=(9, 4.8), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1]})
    for i, b in enumerate(bars):
        colour = "#d62728" if b.close >= b.open else "#2ca02c"
        ax.vlines(i, b.low / 100, b.high / 100, color=colour, linewidth=0.8)
        low, high = sorted((b.open / 100, b.close / 100))
        ax.bar(i, max(high - low, 0.01), bottom=low, color=colour, width=0.6)
        axv.bar(i, b.volume, color=colour, width=0.6)
    step = max(1, len(bars) // 8)
    axv.set_xticks(range(0, len(bars), step))
    axv.set_xticklabels([bars[i].start.strftime("%m-%d") for i in range(0, len(bars), step)], fontsize=8)
    ax.set_title(title)
    ax.set_ylabel("元/吨 · yuan/t")
    axv.set_ylabel("吨 · t")
    ax.grid(alpha=0.3)
    return _png(fig, plt)


def _png(fig, plt) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
