"""An emission report exported as a self-contained HTML page or an Excel workbook."""

from __future__ import annotations

import html
from decimal import Decimal
from pathlib import Path
from typing import Any

from openets.mrv.documents import EmissionReport


def write(path: Path, r: EmissionReport, *, market: str, streams: list[dict[str, Any]], indirect: Decimal) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    head = [("企业 company", r.company), ("市场 market", market), ("年度 year", r.year), ("状态 state", r.state),
            ("报告排放 reported direct emissions (tCO2e)", r.emissions), ("间接排放 indirect (tCO2e)", indirect),
            ("核查排放 verified emissions (tCO2e)", r.verified_emissions if r.verified_emissions is not None else ""),
            ("核查机构 verifier", r.verifier or ""), ("核查结论 statement", r.statement),
            ("主管部门确定 determined by the regulator", "yes" if r.determined else "no")]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "report"
        for k, v in head:
            ws.append([k, str(v)])
        st = wb.create_sheet("streams")
        st.append(["installation", "stream", "kind", "activity", "unit", "emissions (tCO2e)", "indirect", "factors"])
        for s in streams:
            st.append([s["installation"], s["stream"], s["kind"], s["activity"], s["unit"], s["emissions"],
                       str(s["indirect"]), "; ".join(f"{k}: {v}" for k, v in s["factors"].items())])
        fi = wb.create_sheet("findings")
        fi.append(["severity", "finding"])
        for f in r.findings:
            fi.append([f.severity, f.text])
        tr = wb.create_sheet("trail")
        tr.append(["event", "actor", "at", "note"])
        for step in r.trail:
            tr.append([step.event, step.actor, step.at.isoformat(), step.note])
        wb.save(tmp)
    elif path.suffix.lower() in (".html", ".htm"):
        def rows(items: list[list[Any]]) -> str:
            return "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in it) + "</tr>" for it in items)

        page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>排放报告 {html.escape(r.company)} {r.year}</title><style>body{{font-family:sans-serif;margin:2em}}
td,th{{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}}</style></head><body>
<h1>排放报告 Emission report — {html.escape(r.company)}, {r.year}</h1>
<table>{rows([[k, v] for k, v in head])}</table>
<h2>排放源 Source streams</h2><table><tr><th>installation</th><th>stream</th><th>kind</th><th>activity</th>
<th>unit</th><th>tCO2e</th><th>indirect</th><th>factors</th></tr>
{rows([[s["installation"], s["stream"], s["kind"], s["activity"], s["unit"], s["emissions"], s["indirect"],
        "; ".join(f"{k}: {v}" for k, v in s["factors"].items())] for s in streams])}</table>
<h2>核查发现 Findings</h2><table>{rows([[f.severity, f.text] for f in r.findings])}</table>
<h2>记录 Audit trail</h2><table>{rows([[s.event, s.actor, s.at.isoformat(), s.note] for s in r.trail])}</table>
</body></html>"""
        tmp.write_text(page, encoding="utf-8")
    else:
        raise ValueError(f"{path.name}: a report is exported as .html or .xlsx")
    tmp.replace(path)
    return path
