"""The charts' Chinese font, shipped as a Python dependency so a fresh machine draws 碳 and not boxes.

The font is Noto Sans SC (SIL Open Font License 1.1) from the data-only package
``pylopdf-fonts-zh-cn``: Noto's region subset for Simplified Chinese, so Han characters take their
mainland forms (the full CJK collection's first face is the Japanese one). It is registered with
matplotlib by file, so neither matplotlib's font cache nor fontconfig needs to know it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

FAMILY = "Noto Sans SC"
# fonts a machine may have if the bundled one is somehow missing (an install without the dependency)
SYSTEM_FALLBACKS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei")


def font_path() -> Path | None:
    """The bundled font file, or None when the package is not installed."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError:
        return None
    path = Path(sans_path())
    return path if path.is_file() else None


@cache
def cjk_family() -> str | None:
    """Register the bundled font with matplotlib once; the family name to draw Chinese in, or None
    when neither the bundled font nor a known system one is there."""
    from matplotlib import font_manager

    path = font_path()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in SYSTEM_FALLBACKS if n in names), None)


def pyplot() -> Any:
    """matplotlib.pyplot off screen (Agg), with the Chinese font first and DejaVu Sans (Latin, digits,
    signs such as −) after it. Every chart module takes its pyplot from here."""
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    family = cjk_family()
    plt.rcParams["font.family"] = ["sans-serif"]
    plt.rcParams["font.sans-serif"] = ([family] if family else []) + ["DejaVu Sans"]
    return plt
