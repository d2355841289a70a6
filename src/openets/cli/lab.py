"""``openets lab``: the policy lab (政策实验室) — economic agents trading through the real exchange,
beside the analytic model's answer; ensembles over seeds; the seed's own chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from openets.cli.common import CsvOpt, Failure, JsonOpt, console, emit, refuse_live_registry, run
from openets.cli.output import csv_requested

app = typer.Typer(no_args_is_help=True)

YEAR_FIELDS = ("price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan", "least_cost_yuan",
               "no_trade_cost_yuan", "efficiency", "compliance_rate", "banked_t", "reserve_t", "offsets_t", "cancelled_t",
               "orders", "trades", "volume_t", "quiet_days", "blocks", "block_t")


def _years(result: Any, firms: bool) -> list[dict[str, Any]]:
    out = []
    for y in result.years:
        row = {"year": y.year, **{k: None if getattr(y, k) is None else str(getattr(y, k)) if not isinstance(
            getattr(y, k), int) else getattr(y, k) for k in YEAR_FIELDS}}
        if firms:
            row["firms"] = y.firms
        if y.investors:
            row["investors"] = y.investors
        out.append(row)
    return out


def _table(title: str, years: list[dict[str, Any]]) -> None:
    t = Table(title=title)
    t.add_column("")
    for y in years:
        t.add_column(str(y["year"]), justify="right")
    for key in YEAR_FIELDS:
        t.add_row(key, *("" if y[key] is None else f"{y[key]:,}" if isinstance(y[key], int) else str(y[key]) for y in years))
    console.print(t)


def _bands(title: str, summary: list[dict[str, Any]]) -> None:
    """An ensemble's figures, a table per year: each figure's median and its 5–95 % band in columns of
    their own (nested in the generic record table, an 80-column terminal broke every number in two)."""
    from openets.simulation.lab_ensemble import FIGURES

    for row in summary:
        t = Table(title=f"{title}: {row['year']}, median and 5–95 % over {row['runs']} runs")
        t.add_column("")
        for head in ("median", "5 %", "95 %"):
            t.add_column(head, justify="right", no_wrap=True)
        for name in FIGURES:
            band = row[name]
            t.add_row(name, *(("", "", "") if band is None else (band["median"], band["p5"], band["p95"])))
        console.print(t)


RayOpt = typer.Option(None, "--ray", metavar="ADDRESS", help="Run the runs as Ray tasks: local (or auto) starts a Ray "
                      "instance here, host:port or ray://host:port joins a cluster (pip install 'openets[ray]').")


def _ray_ready(address: str | None, workers: int) -> None:
    """Refuse --ray beside --workers (one line, exit 2): --workers counts local processes, and on Ray the
    cluster's CPUs run the tasks — one of the two would be silently ignored otherwise; and refuse it
    when Ray is not installed, before the lab is read or anything runs."""
    if address is None:
        return
    if workers > 1:
        raise Failure("--ray and --workers: choose one (--workers counts local processes; on Ray the cluster's CPUs run "
                      "the runs)", 2)
    from openets.cluster import MISSING, available

    if not available():
        raise Failure(MISSING, 2)


def _run(path: Path, as_json: bool, runs: int, workers: int, db: str | None, firms: bool, ray: str | None) -> None:
    from openets.simulation.lab import LabRunner
    from openets.simulation.lab_ensemble import run_ensemble, summarise
    from openets.simulation.labfile import load_lab

    if ray is not None and runs < 2:
        raise Failure("--ray runs an ensemble's runs as Ray tasks: give --runs 2 or more (one run runs here)", 2)
    _ray_ready(ray, workers)
    lab = load_lab(path)  # every problem named before anything runs
    if runs > 1:
        if db is not None:
            raise Failure("--db names one database: an ensemble runs each of its runs on its own (leave --db out)", 2)
        results = run_ensemble(path, runs, workers, lab.head.seed, ray=ray, lab=lab)
        summary = summarise(results)
        shock = (f"each firm's BAU × (1 + e), e ~ Normal(0, {lab.head.bau_shock}) truncated at ±3 sd, per seed"
                 if lab.head.bau_shock else "none (bau_shock = 0)")
        doc = {"lab": lab.head.name, "market": lab.head.market, "runs": runs, "workers": workers, "ray": ray,
               "bau_shock": shock, "years": summary,
               "seconds": [round(r.seconds, 2) for r in results], "digests": [r.digest for r in results]}
        title = f"{lab.head.name}: {runs} runs"
        if as_json or csv_requested.get():
            emit(doc, as_json, title=title)
            return
        emit({k: v for k, v in doc.items() if k != "years"}, False, title=title)
        _bands(title, summary)
        return
    if db is not None:
        refuse_live_registry(db, "the lab")
    result = LabRunner(lab, url=db).run()
    years = _years(result, firms)
    if as_json:
        emit({"lab": result.name, "market": result.market, "seed": lab.head.seed, "seconds": round(result.seconds, 2),
              "digest": result.digest, "years": years}, True)
        return
    if csv_requested.get():  # a row per year (and market), as the table shows them
        emit(years, False)
        return
    _table(f"{result.name} ({result.market} rules, {len(lab.firms)} firms, {result.seconds:.1f} s)", years)


@app.command("run")
def run_lab(path: Path = typer.Argument(..., help="The lab file (TOML; its firms table beside it)."),
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt,
            runs: int = typer.Option(1, "--runs", min=1, max=1000, help="An ensemble: this many runs, seeds seed … seed + N − 1."),
            workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes for an ensemble."),
            db: str | None = typer.Option(None, "--db", help="Run on this database (default: SQLite in memory)."),
            firms: bool = typer.Option(False, "--firms", help="With --json: each firm's abatement, trades and cost."),
            ray: str | None = RayOpt) -> None:
    """Run a lab: the firms as agents trading through the exchange under the market's rules, each
    year beside the analytic competitive price, least cost and no-trade cost."""
    run(lambda: _run(path, as_json, runs, workers, db, firms, ray))


COMPARE_FIELDS = ("price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan", "least_cost_yuan",
                  "efficiency", "compliance_rate", "banked_t", "reserve_t")


def _compare(path: Path, what_ifs: list[str], out: Path | None, as_json: bool, workers: int, ray: str | None) -> None:
    from openets.core.settings import lab_dir
    from openets.reports.lab_compare import write_report
    from openets.simulation.lab_compare import compare
    from openets.simulation.lab_whatif import parse_what_ifs
    from openets.simulation.labfile import load_lab

    if not what_ifs:
        raise Failure("give at least one --what-if (e.g. --what-if cap=-10%)", 2)
    _ray_ready(ray, workers)
    changes = parse_what_ifs(what_ifs)  # every bad what-if named before anything runs
    lab = load_lab(path)
    doc = compare(lab, changes, workers=workers, ray=ray)
    written = write_report(doc, out or lab_dir() / path.stem)
    if as_json:
        emit({**doc, "written": [str(p) for p in written]}, True)
        return
    if csv_requested.get():  # one row per variant and year, the figures as columns
        emit([{"variant": v["name"], "year": year, **{k: v["years"][t][k] for k in COMPARE_FIELDS}}
              for v in doc["variants"] for t, year in enumerate(doc["years"])], False)
        return
    for t, year in enumerate(doc["years"]):
        table = Table(title=f"{doc['lab']} {year} ({doc['market']} rules, {doc['firms']} firms)")
        table.add_column("")
        for v in doc["variants"]:
            table.add_column(v["name"], justify="right")
        for key in COMPARE_FIELDS:
            table.add_row(key, *("" if (x := v["years"][t][key]) is None else f"{x:,}" if isinstance(x, int) else str(x)
                                 for v in doc["variants"]))
        console.print(table)
    console.print("wrote " + ", ".join(str(p) for p in written))


@app.command("compare")
def compare_lab(path: Path = typer.Argument(..., help="The lab file (TOML; its firms table beside it)."),
                what_if: list[str] = typer.Option([], "--what-if", help="key=value: cap=-10%, benchmark=-5%, penalty=2x, "
                                                  "floor=40, pre_allocation=0.7 (repeat for several variants)."),
                out: Path | None = typer.Option(None, "--out", help="Folder for comparison.html, .xlsx, .json (default: the "
                                                "lab file's name in $OPENETS_LAB_DIR or var/lab: the dashboard's lab page reads it)."),
                as_json: bool = JsonOpt, as_csv: bool = CsvOpt,
                workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (one run each)."),
                ray: str | None = RayOpt) -> None:
    """Run the base lab and each what-if side by side, beside the analytic model's prediction; write
    the HTML and Excel report (and the JSON the dashboard's lab page reads)."""
    run(lambda: _compare(path, what_if, out, as_json, workers, ray))


@app.command()
def seed(as_json: bool = JsonOpt, as_csv: bool = CsvOpt,
         trade: bool = typer.Option(True, help="Also run A and B as agents through the exchange.")) -> None:
    """The seed's chain: budget → covered share → cement sector → companies A and B → their trade, with
    the article's arithmetic gaps; then A and B trading in the lab."""

    def go() -> None:
        from openets.simulation.lab import LabRunner
        from openets.simulation.lab_seed import SEED_LAB, seed_chain, seed_lab

        chain = seed_chain()
        if trade:
            result = LabRunner(seed_lab()).run()
            chain["lab"] = {"file": str(SEED_LAB), "years": _years(result, True)}
        if as_json:
            emit(chain, True)
            return
        if csv_requested.get():  # the companies' rows
            emit(chain["companies"], False)
            return
        b, c, cov = chain["budget"], chain["path"], chain["covered"]
        console.print(f"budget: {b['share']} × {b['global_gt']} Gt = [bold]{b['country_gt']} Gt[/bold]; 2030 from the inputs "
                      f"{c['e2030_from_inputs_gt']} Gt (article {c['e2030_article_gt']}); to 2100 {c['total_to_2100_gt']} Gt "
                      f"(article {c['article_total_gt']})")
        console.print(f"covered: {cov['covered_2020_gt']} of {cov['target_2020_gt']} Gt in 2020 = share {cov['covered_share']}; "
                      f"cement allowed {chain['cement_sector']['allowed_gt']} Gt against {chain['cement_sector']['base_emissions_gt']} Gt")
        emit(chain["companies"], False, title=f"companies (benchmark {chain['benchmark']['value']}: {chain['benchmark']['derived']})")
        tr = chain["trade"]
        console.print(f"trade: {tr['buyer']} buys {tr['tonnes']:,} t from {tr['seller']}; {tr['left_with_b_t']:,} t left with B")
        for g in chain["gaps"]:
            console.print(f"[yellow]gap:[/yellow] {g}")
        if trade:
            _table("A and B in the lab", chain["lab"]["years"])

    run(go)
