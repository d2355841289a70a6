"""``openets cap plan``: the budget from the global carbon budget down to a yearly path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

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
        from openets.services.tabular import Schema, each_row, read_tables

        w = _pairs(weights)
        need = ("sector", "base", *w)
        table = read_tables(path, {"t": Schema(need, need)}, kind="t")["t"]
        scores = dict(each_row(table, lambda r: (r.values["sector"], SectorScore(
            parse_decimal(r.values["base"], "column base"),
            {c: parse_decimal(r.values[c], f"column {c}") for c in w}))))
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

        rows = _csv(path, ["id", "weight"])
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{path.name}: an id appears twice")
        parts = largest_remainder(parse_tonnes(total), {r["id"]: _d(r, "weight") for r in rows})
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


def _csv(path: Path, required: list[str]) -> list[dict[str, str]]:
    from openets.services.tabular import Schema, read_tables

    table = read_tables(path, {"t": Schema(tuple(required), tuple(required))}, kind="t")["t"]
    return [dict(r.values, _where=r.where) for r in table]


def _d(row: dict[str, str], col: str) -> Decimal:
    try:
        return parse_decimal(row[col], f"column {col}")
    except ValueError as exc:
        raise ValueError(f"{row['_where']}, {getattr(exc, 'message', exc)}") from None
