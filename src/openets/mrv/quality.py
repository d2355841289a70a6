"""Data-quality checks, beancount style: plain functions over report data returning findings (never
raising), so that a verifier sees all of them at once. The seed names the tricks verifiers meet:
missing fuel purchase records, and low-intensity months replaced by neighbouring months' data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    severity: str  # error, warning
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where}: {self.message} ({self.check})"


def month_rows(where: str, rows: Sequence[tuple[int, Decimal]], months: Iterable[int] = range(1, 13)) -> list[Finding]:
    """Missing months, duplicated months, months out of range, negative values."""
    out = []
    seen: dict[int, int] = {}
    for m, v in rows:
        seen[m] = seen.get(m, 0) + 1
        if v < 0:
            out.append(Finding("negative_value", "error", f"{where} month {m}", f"negative activity data {v}"))
    expected = set(months)
    for m in sorted(set(seen) - expected):
        out.append(Finding("month_out_of_range", "error", where, f"month {m} is not a month of the year"))
    for m in sorted(expected - set(seen)):
        out.append(Finding("missing_month", "error", where, f"month {m} has no data"))
    for m, n in sorted(seen.items()):
        if n > 1:
            out.append(Finding("duplicated_month", "error", where, f"month {m} given {n} times"))
    return out


def identical_neighbours(where: str, monthly: Mapping[int, Decimal]) -> list[Finding]:
    """A month exactly equal to the month before it (non-zero): the substitution trick of the seed."""
    return [Finding("identical_to_previous_month", "warning", f"{where} month {m}",
                    f"{monthly[m]} is exactly the value of month {m - 1}: substituted data?")
            for m in sorted(monthly) if m - 1 in monthly and monthly[m] != 0 and monthly[m] == monthly[m - 1]]


def jumps(where: str, monthly: Mapping[int, Decimal], threshold: Decimal = D("0.5")) -> list[Finding]:
    """Month-on-month changes larger than ``threshold`` (0.5 = ±50 %)."""
    out = []
    for m in sorted(monthly):
        prev = monthly.get(m - 1)
        if prev is None or prev == 0:
            continue
        change = monthly[m] / prev - 1
        if abs(change) > threshold:
            out.append(Finding("month_on_month_jump", "warning", f"{where} month {m}",
                               f"{change:+.0%} against month {m - 1} (threshold ±{threshold:.0%})"))
    return out


def intensity_range(where: str, emissions: Decimal, output: Decimal, low: Decimal, high: Decimal) -> list[Finding]:
    """Emissions per unit of output outside the sector's plausible range."""
    if output <= 0:
        return [Finding("output_missing", "error", where, "no output to compute an intensity with")]
    i = emissions / output
    if not low <= i <= high:
        return [Finding("intensity_out_of_range", "warning", where,
                        f"intensity {i:.4f} outside the sector's range {low}–{high}")]
    return []


def fuel_balance(where: str, purchased: Decimal, consumed: Decimal, stock_start: Decimal, stock_end: Decimal,
                 tolerance: Decimal = D("0.02")) -> list[Finding]:
    """purchased = consumed + (stock at the end − stock at the start), within ``tolerance`` of consumption."""
    gap = purchased - consumed - (stock_end - stock_start)
    if abs(gap) > tolerance * max(consumed, D(1)):
        return [Finding("fuel_balance", "error", where,
                        f"purchases {purchased} ≠ consumption {consumed} + stock change {stock_end - stock_start} "
                        f"(gap {gap}): purchase records missing?")]
    return []


def mixed_factor_sources(sector: str, statuses: Mapping[str, str]) -> list[Finding]:
    """Within one benchmark sector, NCV and carbon content are all measured or all default (the seed)."""
    kinds = {"measured" if s == "measured" else "default" for s in statuses.values()}
    if len(kinds) > 1:
        measured = sorted(k for k, s in statuses.items() if s == "measured")
        default = sorted(k for k, s in statuses.items() if s != "measured")
        return [Finding("mixed_default_measured", "error", f"sector {sector}",
                        f"measured ({', '.join(measured)}) and default ({', '.join(default)}) factors mixed")]
    return []


def plan_consistency(where: str, planned: Iterable[str], reported: Iterable[str]) -> list[Finding]:
    """Every stream of the monitoring plan reported, and nothing reported that the plan does not have."""
    p, r = set(planned), set(reported)
    return ([Finding("stream_not_reported", "error", where, f"planned stream {s} not reported") for s in sorted(p - r)]
            + [Finding("stream_not_planned", "error", where, f"stream {s} is not in the monitoring plan")
               for s in sorted(r - p)])
