"""The charts draw Chinese with the font shipped as a Python dependency, on a machine with no CJK font
of its own: the system's fonts are taken out of matplotlib's list here (as on a fresh machine, where
it knows only its own DejaVu files), a chart with Chinese is drawn, and no glyph falls back."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from report_data import sample

from openets.reports import fonts
from openets.reports.annual import _status_png
from openets.reports.market_charts import kline_png, price_comparison_png

CHINESE = "各交易所碳市价格走势 履约情况 企业数 元/吨 按时履约 逾期履约 未履约 碳 K 线"


@pytest.fixture
def fresh_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """matplotlib as on a machine without CJK fonts: only the fonts matplotlib ships."""
    own = str(Path(matplotlib.get_data_path()))
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist
                                                              if f.fname.startswith(own)])
    font_manager.fontManager._findfont_cached.cache_clear()  # its cache holds the system's fonts
    fonts.cjk_family.cache_clear()
    yield
    fonts.cjk_family.cache_clear()
    font_manager.fontManager._findfont_cached.cache_clear()


def glyph_warnings(draw: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in got if "missing from font" in str(w.message)]


def test_the_check_sees_a_missing_glyph(fresh_machine: None) -> None:
    plt = fonts.pyplot()
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans"]  # what a fresh machine drew with before

    def draw() -> None:
        fig, ax = plt.subplots()
        ax.set_title("碳")
        fig.canvas.draw()
        plt.close(fig)

    assert glyph_warnings(draw), "without the bundled font 碳 falls back (a box)"


def test_the_bundled_font_is_found_for_its_family(fresh_machine: None) -> None:
    path = fonts.font_path()
    assert path is not None and path.name == "NotoSansSC-Regular.otf"
    family = fonts.cjk_family()
    assert family == fonts.FAMILY == "Noto Sans SC"
    fonts.pyplot()
    found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert Path(found) == path  # the charts' sans-serif is the bundled file, not a system font
    face = FT2Font(str(path))
    assert all(face.get_char_index(ord(ch)) for ch in CHINESE if not ch.isspace())  # every glyph in it: no fallback


def test_charts_with_chinese_render_without_fallback(fresh_machine: None) -> None:
    data = sample()
    drawn: list[bytes] = []
    missing = glyph_warnings(lambda: drawn.extend([price_comparison_png(data.bars), kline_png(data.bars["BJ"], "BJ 碳 K 线"),
                                                   _status_png(data)]))
    assert missing == []
    assert all(png.startswith(b"\x89PNG") for png in drawn)
