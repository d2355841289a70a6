"""A lab comparison (``openets lab compare``): the base lab and each what-if (:mod:`.lab_whatif`) run
side by side, each beside its analytic answer, and the change each what-if makes against the base —
in the market and in the analytic model — as one JSON-ready document (strings for Decimals), which the
report (:mod:`openets.reports.lab_compare`) and the dashboard's lab page render."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from openets.simulation.lab import LabResult, LabRunner, LabYear
from openets.simulation.lab_ensemble import worker_pool
from openets.simulation.lab_whatif import WhatIf, apply
from openets.simulation.labfile import Lab

FIGURES = ("price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan", "least_cost_yuan",
           "no_trade_cost_yuan", "efficiency", "compliance_rate", "banked_t", "reserve_t", "cancelled_t", "offsets_t",
           "orders", "trades", "volume_t", "quiet_days", "blocks", "block_t")
# the changes checked against the analytic model: (market figure, analytic figure)
CHANGES = (("price_yuan", "analytic_price_yuan"), ("abatement_t", "analytic_abatement_t"))


def _run(lab: Lab) -> LabResult:
    return LabRunner(lab).run()


def _run_variant(_: None, lab: Lab) -> LabResult:
    return _run(lab)


def _cell(v: object) -> object:
    return None if v is None else v if isinstance(v, int) else str(v)


def _year(y: LabYear) -> dict[str, Any]:
    row: dict[str, Any] = {"year": y.year, **{k: _cell(getattr(y, k)) for k in FIGURES}}
    row["daily_vwap_yuan"] = [None if p is None else str(Decimal(p) / 100) for p in y.daily_vwap_fen]
    if y.investors:
        row["investors"] = y.investors
    sectors: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for f in y.firms:
        s = sectors[str(f["sector"])]
        s[0] += Decimal(str(f["cost_yuan"]))
        s[1] += Decimal(str(f["abatement_t"]))
    row["sectors"] = [{"sector": k, "cost_yuan": str(c), "abatement_t": int(a)} for k, (c, a) in sorted(sectors.items())]
    row["firms"] = [{"firm_id": f["firm_id"], "sector": f["sector"], "cost_yuan": f["cost_yuan"],
                     "abatement_t": f["abatement_t"], "shortfall_t": f["shortfall_t"], "banked_t": f["banked_t"]}
                    for f in y.firms]
    return row


def _change(base: dict[str, Any], var: dict[str, Any]) -> dict[str, Any]:
    """The what-if's change in the market and in the analytic model, per figure, and the market's
    change as a share of the analytic one (1 = exactly as the model says)."""
    out: dict[str, Any] = {"year": base["year"]}
    for market, model in CHANGES:
        if base[market] is None or var[market] is None:
            out[market] = None
            continue
        dm = Decimal(var[market]) - Decimal(base[market])
        da = Decimal(var[model]) - Decimal(base[model])
        out[market] = {"market": str(dm), "analytic": str(da),
                       "ratio": None if da == 0 else str((dm / da).quantize(Decimal("0.001")))}
    return out


def compare(lab: Lab, what_ifs: list[WhatIf], *, workers: int = 1, ray: str | None = None) -> dict[str, Any]:
    """Run the base and every variant (in ``workers`` processes, or as Ray tasks on the cluster at
    ``ray``: :mod:`openets.cluster`), same seed; the comparison document."""
    labs = [lab, *(apply(lab, w) for w in what_ifs)]  # every what-if applied (and refused) before anything runs
    if ray is not None:
        from openets.cluster import run_tasks

        results = run_tasks(ray, _run_variant, None, labs)
    elif workers > 1 and len(labs) > 1:
        with worker_pool(min(workers, len(labs))) as pool:
            results = list(pool.map(_run, labs))
    else:
        results = [_run(x) for x in labs]
    variants: list[dict[str, Any]] = []
    for w, r in zip([None, *what_ifs], results):
        variants.append({"name": "base" if w is None else w.label, "what_if": None if w is None else w.text,
                         "seconds": round(r.seconds, 2), "digest": r.digest, "years": [_year(y) for y in r.years]})
    base = variants[0]
    for v in variants[1:]:
        v["change"] = [_change(b, y) for b, y in zip(base["years"], v["years"])]
    h = lab.head
    return {"lab": h.name, "market": h.market, "firms": len(lab.firms), "seed": h.seed, "years": h.years,
            "trading_days": h.trading_days, "penalty_yuan": str(h.penalty_yuan), "variants": variants}
