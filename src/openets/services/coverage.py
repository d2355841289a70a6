"""Which companies of a list a market covers: a table of energy use (company, sector, year, energy_tce)
checked against the market's coverage rule for the compliance year (``compliance.coverage``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openets.compliance.coverage import CoverageVerdict, check_coverage
from openets.core.errors import DomainError
from openets.rules.loader import RuleBook
from openets.services import rulebook
from openets.services.tabular import Schema, read_tables

ENERGY = Schema(columns=("company", "sector", "year", "energy_tce"), required=("company", "sector", "year", "energy_tce"),
                aliases={"企业": "company", "企业编号": "company", "统一社会信用代码": "company", "行业": "sector",
                         "年份": "year", "综合能源消费总量": "energy_tce", "能耗": "energy_tce"})


@dataclass(frozen=True, slots=True)
class CompanyCoverage:
    company: str
    sector: str
    verdict: CoverageVerdict


def read_energy(path: Path, *, encoding: str = "utf-8-sig") -> dict[tuple[str, str], dict[int, Decimal]]:
    """(company, sector) → year → tce; every bad row is named in one error."""
    rows = read_tables(path, {"energy": ENERGY}, kind="energy", encoding=encoding)["energy"]
    out: dict[tuple[str, str], dict[int, Decimal]] = {}
    problems = []
    for r in rows:
        try:
            year = r.number("year")
            if year != year.to_integral_value() or not 1990 <= year <= 2100:
                raise DomainError("file_value", f"{r.where}, column year: {r.values['year']!r} is not a year")
            energy = r.number("energy_tce", negative=False)
            years = out.setdefault((r.values["company"], r.values["sector"]), {})
            if int(year) in years:
                raise DomainError("file_value", f"{r.where}: {r.values['company']} {int(year)} given twice")
            years[int(year)] = energy
        except DomainError as exc:
            problems.append(exc.message)
    if problems:
        raise DomainError("file_value", "; ".join(problems))
    return out


def coverage(book: RuleBook, energy: dict[tuple[str, str], dict[int, Decimal]], *, market: str, year: int,
             moment: datetime) -> list[CompanyCoverage]:
    rule = rulebook.coverage_rules(rulebook.typed(book), market, year, moment)
    return [CompanyCoverage(company, sector, check_coverage(rule, sector, by_year))
            for (company, sector), by_year in sorted(energy.items())]
