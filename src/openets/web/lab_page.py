"""The policy lab's page (read-only): the finished comparisons ``openets lab compare`` wrote
(``comparison.json`` in a folder of the lab folder, ``$OPENETS_LAB_DIR`` or var/lab), listed, and one
shown — the base and each what-if side by side with the analytic prediction beside each figure, the
price paths, and the cost per sector. Nothing here runs a lab or writes a file."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError, NotFound
from openets.core.settings import lab_dir

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # a comparison's folder: no path, no dot-dot
MAX_BYTES = 20 * 2**20  # a comparison of 1,000 firms and a few variants is a few MB
FIGURES = ("price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan", "least_cost_yuan",
           "no_trade_cost_yuan", "efficiency", "compliance_rate", "banked_t", "reserve_t")


def read_comparison(name: str) -> dict[str, Any]:
    """The comparison in folder ``name``: NotFound for a name that is not one, DomainError for a file
    that is not a comparison (too large, not JSON, or without its variants)."""
    if not NAME.fullmatch(name) or ".." in name:
        raise NotFound("lab comparison", name)
    path = lab_dir() / name / "comparison.json"
    if not path.is_file():
        raise NotFound("lab comparison", name)
    if path.stat().st_size > MAX_BYTES:
        raise DomainError("lab_comparison_invalid", f"{name}: comparison.json is larger than {MAX_BYTES // 2**20} MB")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        variants = doc["variants"]
        if not isinstance(variants, list) or not variants or not all(isinstance(v.get("years"), list) for v in variants):
            raise ValueError("no variants")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise DomainError("lab_comparison_invalid", f"{name}: comparison.json is not a lab comparison") from None
    return dict(doc)


def list_comparisons() -> list[dict[str, Any]]:
    """Every readable comparison in the lab folder, newest first (a broken one is listed as such)."""
    root = lab_dir()
    out = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        f = folder / "comparison.json"
        if not (NAME.fullmatch(folder.name) and f.is_file()):
            continue
        row: dict[str, Any] = {"name": folder.name, "when": datetime.fromtimestamp(f.stat().st_mtime, UTC)
                               .astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M")}
        try:
            doc = read_comparison(folder.name)
            row.update(lab=doc.get("lab", ""), market=doc.get("market", ""), years=doc.get("years", []),
                       variants=[v.get("name", "") for v in doc["variants"]], broken=False)
        except DomainError:
            row.update(lab="", market="", years=[], variants=[], broken=True)
        out.append(row)
    return sorted(out, key=lambda r: r["when"], reverse=True)


def table_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per year, per figure: each variant's value (the analytic one is its own row, beside the market's)."""
    rows = []
    for t, year in enumerate(doc.get("years", [])):
        for key in FIGURES:
            rows.append({"year": year, "figure": key,
                         "values": [_at(v, t, key) for v in doc["variants"]]})
    return rows


def _at(v: dict[str, Any], t: int, key: str) -> str:
    years = v.get("years", [])
    x = years[t].get(key) if t < len(years) else None
    return "—" if x is None else f"{x:,}" if isinstance(x, int) else str(x)


def chart_data(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The price paths (each day's VWAP, yuan, across the years) and the cost per sector (yuan, all
    years), per variant, as the page's charts take them (strings: exact decimals)."""
    try:
        paths = [{"name": str(v.get("name", "")), "y": [p for y in v["years"] for p in y.get("daily_vwap_yuan", [])]}
                 for v in doc["variants"]]
        sectors = sorted({str(s["sector"]) for v in doc["variants"] for y in v["years"] for s in y.get("sectors", [])})
        cost = [{"name": str(v.get("name", "")),
                 "y": [str(sum((Decimal(str(s["cost_yuan"])) for y in v["years"] for s in y.get("sectors", [])
                                if str(s["sector"]) == k), Decimal(0))) for k in sectors]} for v in doc["variants"]]
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise DomainError("lab_comparison_invalid", f"{name}: comparison.json is not a lab comparison") from None
    return {"paths": paths, "sectors": sectors, "cost": cost}


def mount_lab(app: FastAPI, *, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/ui/lab", response_class=HTMLResponse, include_in_schema=False)
    def lab_list(request: Request) -> HTMLResponse:
        return page(request, "lab.html", comparisons=list_comparisons(), doc=None, folder=str(lab_dir()))

    @app.get("/ui/lab/{name}", response_class=HTMLResponse, include_in_schema=False)
    def lab_one(request: Request, name: str) -> HTMLResponse:
        doc = read_comparison(name)
        return page(request, "lab.html", comparisons=None, doc=doc, folder=name, rows=table_rows(doc), **chart_data(doc, name))
