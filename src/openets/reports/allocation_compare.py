"""The method comparison as a chart (PNG) and a self-contained HTML page (the chart embedded)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from openets.allocation.compare import Comparison
from openets.reports.fonts import cjk_family, pyplot


def chart_png(rows: list[Comparison], title: str) -> bytes:
    plt = pyplot()
    ordered = sorted(rows, key=lambda r: r.difference)
    font = cjk_family()
    labels = [r.company for r in ordered]
    if font is None and any(not c.isascii() for c in "".join(labels)):
        # no font for Chinese names (the bundled one not installed): number them; the table names them
        labels = [f"#{i + 1}" for i in range(len(ordered))]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(ordered) + 1)))
    values = [r.difference for r in ordered]
    ax.barh(labels, values, color=["#2e7d32" if v >= 0 else "#c62828" for v in values])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("benchmark − historical intensity allocation (tCO2)")
    ax.set_title(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()


def write(rows: list[Comparison], *, png: Path | None, html_path: Path | None, title: str) -> None:
    image = chart_png(rows, title)
    if png is not None:
        _atomic(png, image)
    if html_path is not None:
        body = "".join(
            f"<tr><td>{html.escape(r.company)}</td><td>{r.benchmark:,}</td><td>{r.historical:,}</td>"
            f"<td class='{'gain' if r.difference >= 0 else 'loss'}'>{r.difference:+,}</td>"
            f"<td>{r.latest_intensity}</td><td>{r.sector_benchmark}</td></tr>" for r in rows)
        page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em .8em;text-align:right}}
.gain{{color:#2e7d32}}.loss{{color:#c62828}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>基准线法 vs 历史强度法 — benchmark vs historical intensity. Green: the benchmark gives more (an efficient
company); red: it gives less. 鞭打快牛: under the historical method an early reducer gets less.</p>
<img alt="chart" src="data:image/png;base64,{base64.b64encode(image).decode()}">
<table><tr><th>企业 company</th><th>基准线法 benchmark (t)</th><th>历史强度法 historical (t)</th>
<th>差额 difference (t)</th><th>最近强度 latest intensity</th><th>行业基准 benchmark</th></tr>{body}</table>
</body></html>"""
        _atomic(html_path, page.encode())


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
