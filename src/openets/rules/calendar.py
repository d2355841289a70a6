"""The Chinese working-day calendar (工作日): public holidays off, make-up working days (调休) on.

The State Council publishes each year's holidays in the December before. The ``chinese-calendar``
package knows 2004 to 2026 (version 1.11); a later year is read from a data file
``rules/data/calendar/<year>.toml`` (``holidays``, ``workdays``, ``source``) once the notice is out.
A year neither knows is refused with an error naming it — never silently treated as weekdays only,
which would put a deadline on a holiday."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from openets.core.errors import DomainError

BUNDLED = Path(str(resources.files("openets.rules") / "data" / "calendar"))


@dataclass(frozen=True, slots=True)
class YearCalendar:
    year: int
    holidays: frozenset[date]  # days off that are weekdays (or any day off: a weekend listed is harmless)
    workdays: frozenset[date]  # make-up working days (调休), usually a Saturday or Sunday
    source: str


@cache
def year_file(year: int, folder: Path = BUNDLED) -> YearCalendar | None:
    """The data file for ``year`` in ``folder``, if there is one; its days must lie in that year."""
    path = folder / f"{year}.toml"
    if not path.is_file():
        return None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    days: dict[str, frozenset[date]] = {}
    for key in ("holidays", "workdays"):
        values = data.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, date) and v.year == year for v in values):
            raise DomainError("calendar_invalid", f"{path}: {key} must be a list of dates in {year}")
        days[key] = frozenset(values)
    if not str(data.get("source", "")).strip():
        raise DomainError("calendar_invalid", f"{path}: source (the State Council notice) is missing")
    return YearCalendar(year, days["holidays"], days["workdays"], str(data["source"]))


def is_working_day(day: date, folder: Path = BUNDLED) -> bool:
    """Whether ``day`` is a Chinese working day: from the year's data file where there is one, else
    from chinese-calendar; a year neither knows raises ``calendar_year_unknown``."""
    own = year_file(day.year, folder)
    if own is not None:
        if day in own.workdays:
            return True
        return day.weekday() < 5 and day not in own.holidays
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise DomainError("calendar_year_unknown",
                          f"the Chinese holiday calendar for {day.year} is not known (chinese-calendar covers "
                          f"2004–2026): add {folder / f'{day.year}.toml'} with that year's holidays, make-up "
                          "working days and the State Council notice as its source") from None
