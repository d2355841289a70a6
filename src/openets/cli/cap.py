"""``openets cap plan``: the budget from the global carbon budget down to a yearly path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from openets.cli.common import CsvOpt, JsonOpt, console, emit, run
from openets.core.numbers import parse_decimal

app = typer.Typer(no_args_is_help=True)


@app.command()
def plan(global_budget: str = typer.Option("1200", help="Global budget, Gt CO2 (the seed: ~1,200)."),
         share: str = typer.Option("0.30", help="The country's share (the seed: 30 %)."),
         base: str = typer.Option("6", help="Base-year emissions, Gt (2005: 6)."),
         base_year: int = typer.Option(2005, min=1900, max=2300), target_year: int = typer.Option(2030, min=1900, max=2300),
         growth: str = typer.Option("0.06", help="Yearly GDP growth to the target year."),
         cut: str = typer.Option("0.60", help="Intensity cut against the base year (60–65 %)."),
         peak: str = typer.Option("12.7", help="Emissions in the target year the path starts from, Gt."),
         emitted_by_target: str = typer.Option("170", help="Cumulative emissions by the target year, Gt."),
         factor: str = typer.Option("0.9", help="Yearly decline factor after the target year."),
         end_year: int = typer.Option(2100, min=1900, max=2300), as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Plan the cap step by step (基于总量控制的碳市场设计逻辑) and show where the seed's numbers do not add up."""

    def go() -> None:
        from openets.allocation.cap import (
            country_budget,
            cumulative,
            cut_for,
            decline_path,
            growth_for,
            intensity_target_emissions,
            solve_decline_factor,
        )

        given = dict(global_budget=global_budget, share=share, base=base, growth=growth,
                     cut=cut, peak=peak, emitted=emitted_by_target, factor=factor)
        d = {k: parse_decimal(v, f"--{k.replace('_', '-')}") for k, v in given.items()}
        budget = country_budget(d["global_budget"], d["share"])
        years = target_year - base_year
        e_target = intensity_target_emissions(d["base"], base_year, target_year, d["growth"], d["cut"])
        after = cumulative(decline_path(d["peak"], target_year, end_year, d["factor"]))
        remaining = budget - d["emitted"]
        solved = solve_decline_factor(d["peak"], target_year, end_year, remaining) if remaining > 0 else None
        result = {
            "country_budget_gt": round(budget, 1),
            f"emissions_{target_year}_from_growth_and_cut_gt": round(e_target, 2),
            f"growth_that_gives_{peak}_gt": round(growth_for(d["base"], years, d["cut"], d["peak"]), 4),
            f"cut_that_gives_{peak}_gt": round(cut_for(d["base"], years, d["growth"], d["peak"]), 4),
            f"added_{target_year + 1}_{end_year}_gt": round(after, 1),
            f"total_to_{end_year}_gt": round(d["emitted"] + after, 1),
            "factor_that_uses_the_budget": round(solved, 4) if solved is not None else None,
        }
        if as_json:
            emit({k: str(v) if v is not None else None for k, v in result.items()}, True)
            return
        console.print(f"Country budget: {d['share']:.0%} of {global_budget} Gt = [bold]{result['country_budget_gt']} Gt[/bold]")
        console.print(f"{target_year}: {base} Gt × (1 + {growth})^{years} × (1 − {cut}) = [bold]{e_target:.2f} Gt[/bold]"
                      f" (the path below starts from {peak} Gt; that needs {result[f'growth_that_gives_{peak}_gt']:.2%} "
                      f"growth, or a {result[f'cut_that_gives_{peak}_gt']:.1%} cut)")
        console.print(f"{target_year + 1}–{end_year} at × {factor} a year: {after:.1f} Gt; with {emitted_by_target} Gt by "
                      f"{target_year}: [bold]{d['emitted'] + after:.1f} Gt[/bold] of the {budget:.0f} Gt budget")
        if solved is not None:
            console.print(f"The yearly factor that uses the budget exactly: [bold]{solved:.4f}[/bold]")

    run(go)


@app.command()
def sectors(path: Path = typer.Argument(..., help="CSV: sector, base, and one column per criterion (scores)."),
            covered: str = typer.Option("4417000000", help="Covered companies' total, t (the seed: 44.17 亿吨)."),
            weights: str = typer.Option("potential=0.4,growth=0.3,policy=0.3",
                                        help="Criterion weights, name=weight,…"),
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Split the covered total among sectors: share ∝ base × Σ weight × score, whole tonnes, exact sum."""

    def go() -> None:
        from openets.allocation.cap import SectorScore, sector_totals
        from openets.core.quantity import parse_tonnes

        w = _pairs(weights)
        rows = _numbers(path, ["sector"], ["base", *w], "sector")
        scores = {r["sector"]: SectorScore(r["base"], {c: r[c] for c in w}) for r in rows}
        parts = sector_totals(parse_tonnes(covered), scores, w)
        emit([{"sector": k, "allowances": v} for k, v in parts.items()], as_json, title="sector totals")

    run(go)


@app.command()
def split(path: Path = typer.Argument(..., help="CSV: id, weight (e.g. each company's forecast emissions)."),
          total: str = typer.Option(..., help="The total to split, whole tonnes."),
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Split a total among companies in whole tonnes (largest remainder, ties to the smaller id)."""

    def go() -> None:
        from openets.allocation.split import largest_remainder
        from openets.core.quantity import parse_tonnes

        rows = _numbers(path, ["id"], ["weight"], "id")
        parts = largest_remainder(parse_tonnes(total), {r["id"]: r["weight"] for r in rows})
        emit([{"id": k, "allowances": v} for k, v in parts.items()], as_json, title="split")

    run(go)


def _pairs(text: str) -> dict[str, Decimal]:
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"weights: {part!r} is not name=weight")
        out[name.strip()] = parse_decimal(value, f"weight {name.strip()}")
    return out


ZH = {"行业": "sector", "基数": "base", "编号": "id", "权重": "weight"}  # the Chinese headers read


def _numbers(path: Path, names: list[str], numbers: list[str], key: str) -> list[dict[str, Any]]:
    """The table's rows, ``numbers`` as Decimals; every bad cell and repeated ``key`` named under the
    header as written, then refused together."""
    from openets.services.tabular import Problems, Schema, read_tables

    cols = (*names, *numbers)
    bad = Problems()
    table = read_tables(path, {"t": Schema(cols, cols, {k: v for k, v in ZH.items() if v in cols})}, kind="t",
                        problems=bad)["t"]
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for r in table:
        values: dict[str, Any] = {c: r.values[c] for c in names}
        for c in numbers:
            values[c] = bad.parse(r, c, parse_decimal)
        if r.values[key] in seen:
            bad.add(r, key, f"{r.values[key]!r} again (first at {seen[r.values[key]]})")
        seen.setdefault(r.values[key], r.where)
        out.append(values)
    bad.refuse("nothing split")
    return out
