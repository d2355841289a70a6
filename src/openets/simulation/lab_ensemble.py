"""Ensembles of lab runs (``openets lab run --runs N --workers W``): the same lab under N seeds, run in
worker processes, summarised per year as the median and the 5–95 % band of each figure (nearest-rank
percentiles over the runs). A seed draws the agents' quotes and, with the lab's ``bau_shock`` above 0,
an emission shock for each firm: BAU × (1 + e), e ~ Normal(0, bau_shock) truncated at ±3 sd (a draw
outside is drawn again), e to 6 decimals, the shocked BAU rounded up to whole tonnes (the unit a
surrender counts) — the same shocks in every year of the run, and the analytic answer is the
shocked firms' own. With ``ray`` (an address: :mod:`openets.cluster`) the runs are Ray tasks instead, on the
lab parsed here (a cluster's nodes need not see its files); the results are the same."""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from openets.simulation.lab import LabResult, LabRunner
from openets.simulation.labfile import Lab, load_lab

FIGURES = ("bau_t", "price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan", "least_cost_yuan",
           "no_trade_cost_yuan", "efficiency", "compliance_rate", "banked_t")


def shocked(lab: Lab, seed: int) -> Lab:
    """The lab with each firm's BAU shocked by the seed's draws (see the module's text); unchanged when
    ``bau_shock`` is 0. Its own generator, so the agents' draws of the same seed stay as they were."""
    sd = float(lab.head.bau_shock)
    if sd == 0:
        return lab
    rng = random.Random(f"bau-shock-{seed}")
    firms = []
    for f in lab.firms:
        while abs(e := rng.gauss(0.0, sd)) > 3 * sd:
            pass
        factor = 1 + Decimal(f"{e:.6f}")
        firms.append(dataclasses.replace(f, bau=int((f.bau * factor).to_integral_value(rounding=ROUND_CEILING))))
    return dataclasses.replace(lab, firms=tuple(firms))


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` processes started fresh (``spawn``), not forked: a fork copies the parent's threads
    mid-call — Ray's and gRPC's after a ``--ray`` run in the same process: a forked worker died at once
    (BrokenProcessPool, seen in CI) — and a fresh one reads the environment as it is now. Costs each
    worker an interpreter start and openets' imports (~1 s), once per pool."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _one(path: str, seed: int) -> LabResult:
    return LabRunner(shocked(load_lab(Path(path)), seed), seed=seed).run()


def run_seed(lab: Lab, seed: int) -> LabResult:
    """One run of an ensemble: the parsed lab, shocked by the seed's draws, run with that seed."""
    return LabRunner(shocked(lab, seed), seed=seed).run()


def run_ensemble(path: Path, runs: int, workers: int, first_seed: int, *, ray: str | None = None,
                 lab: Lab | None = None) -> list[LabResult]:
    """``runs`` lab runs with seeds first_seed, first_seed + 1, …; in ``workers`` processes (1: here),
    or as Ray tasks on the cluster at ``ray`` (the lab, parsed here unless given, shipped to them)."""
    seeds = [first_seed + i for i in range(runs)]
    if ray is not None:
        from openets.cluster import run_tasks

        return run_tasks(ray, run_seed, lab if lab is not None else load_lab(path), seeds)
    if workers <= 1:
        return [_one(str(path), s) for s in seeds]
    with worker_pool(workers) as pool:
        return list(pool.map(_one, [str(path)] * runs, seeds))


def _rank(values: list[Decimal], q: Decimal) -> Decimal:
    """The nearest-rank percentile q (0–1) of sorted values."""
    k = max(1, math.ceil(q * len(values)))
    return values[k - 1]


def summarise(results: list[LabResult]) -> list[dict[str, Any]]:
    """Per year: each figure's median (the middle run's, or the mean of the two middle ones) and its
    5 % and 95 % nearest-rank percentiles over the runs."""
    out = []
    for t in range(len(results[0].years)):
        row: dict[str, Any] = {"year": results[0].years[t].year, "runs": len(results)}
        for name in FIGURES:
            values = sorted(Decimal(v) for r in results if (v := asdict(r.years[t])[name]) is not None)
            if not values:
                row[name] = None
                continue
            n = len(values)
            median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
            row[name] = {"median": str(median), "p5": str(_rank(values, Decimal("0.05"))),
                         "p95": str(_rank(values, Decimal("0.95")))}
        out.append(row)
    return out
