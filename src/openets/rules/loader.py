"""Loading and looking up rule sets. Files are TOML (stdlib ``tomllib``) under ``rules/data``.

This layer is generic: a rule set's header (market, years, document, valid-from/to), its raw TOML and
the lookup. The typed section of each capability (compliance, offsets, allocation …) is defined and
parsed in that capability's package; the caller passes those parsers in (``load_rulebook(parsers=…)``)
so every section is parsed once, at load, and a bad file fails there, naming the file, the rule set
and the field. This module imports no domain package."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from openets.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class Market:
    code: str  # CEA, BJ, SH …
    name_zh: str
    name_en: str
    allowance_prefix: str  # BEA → unit classes BEA-2016 …
    timezone: ZoneInfo
    launched: date
    registry_operator: str


@dataclass(frozen=True, slots=True)
class RegistryRules:
    # transaction type → who approves it ("regulator" or "party": another representative)
    approvals: dict[str, str]
    accepted_offsets: frozenset[str]  # offset standards this registry accepts (CCER, PHCER …)
    # which allowance vintages a surrender for compliance year Y may use: earlier ones if banking is
    # allowed (each bundled market states it, with its source), up to ``borrowing`` years later (0:
    # none), and any vintage of the same multi-year compliance period (national 2019–2020: one
    # surrender for both years) — not a blanket year of borrowing
    banking: bool = True
    borrowing: int = 0
    periods: tuple[tuple[int, int], ...] = ()
    # compliance year → the last day (market zone) a surrender for it may still be reversed (the UK
    # registry's "valid reverse-surrender period": within the compliance period); a year not listed: no window
    surrender_reversal_until: Mapping[int, date] = field(default_factory=dict)
    # limits per account the registry enforces (the national plans): a surrender of ``borrowing_vintage``
    # allowances for an earlier year only within the borrowing granted to the account for that year
    # (2021–2022: from 2023 allowances); vintages up to ``carry_over_until`` surrendered for a later year
    # only within the account's granted carry-over (2023–2024: 10,000 t + 1.5 × net sales 2019–2024)
    borrowing_vintage: int | None = None
    carry_over_until: int | None = None


S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong in a section: the field (dotted, inside the section) and what."""

    field: str
    message: str


# A section parser: pure; the rule set (its header) and the section's table → the typed section, or
# the errors found (beancount style: validation returns errors, it does not raise).
SectionParser = Callable[["RuleSet", Mapping[str, Any]], "object | list[FieldError]"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    market: str
    compliance_years: tuple[int, ...]
    document: str  # document number, e.g. 沪发改公告〔2017〕3号
    title: str
    valid_from: date
    valid_to: date | None
    source: str
    registry: RegistryRules
    raw: dict[str, Any]
    origin: str = field(default="", compare=False)  # the file it came from
    # section name → its typed rules, filled once by the loader from the parsers it was given
    sections: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def label(self) -> str:
        years = self.compliance_years
        span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return f"{self.market} {span} {self.document!r}"

    def section(self, name: str, kind: type[S]) -> S:
        """The typed rules of section ``name`` (parsed at load)."""
        if name not in self.raw:
            raise DomainError("no_rule_set", f"{self.document} has no {name} rules")
        got = self.sections.get(name)
        if got is None:
            raise DomainError("rule_section_unparsed", f"{self.label()}: the {name} section was loaded without its parser")
        if not isinstance(got, kind):
            raise TypeError(f"{name} rules are {type(got).__name__}, not {kind.__name__}")
        return got

    def governs(self, market: str, year: int, on: date, section: str | None = None) -> bool:
        return (
            (section is None or section in self.raw)
            and self.market == market
            and year in self.compliance_years
            and self.valid_from <= on
            and (self.valid_to is None or on <= self.valid_to)
        )


class RuleBook:
    def __init__(self, markets: dict[str, Market], rule_sets: list[RuleSet],
                 parsers: Mapping[str, SectionParser] | None = None) -> None:
        self.markets = markets
        self.rule_sets = rule_sets
        self.parsers: Mapping[str, SectionParser] = dict(parsers or {})
        self._found: dict[tuple[str, int, date, str | None], RuleSet] = {}  # lookups repeat on every transaction

    def with_file(self, path: Path) -> RuleBook:
        """This rule book plus the rule sets of a user's own file (which win where both are valid)."""
        return RuleBook(self.markets, self.rule_sets + _read_rule_sets(Path(path), self.markets, self.parsers),
                        self.parsers)

    def with_parsers(self, parsers: Mapping[str, SectionParser]) -> RuleBook:
        """The same rule sets with these section parsers applied too (each fails as at load)."""
        for rs in self.rule_sets:
            parse_sections(rs, parsers)
        return RuleBook(self.markets, self.rule_sets, {**self.parsers, **parsers})

    def lookup_at(self, market: str, compliance_year: int, moment: datetime, section: str | None = None) -> RuleSet:
        """``lookup`` on the calendar day ``moment`` falls on in the market's own time zone."""
        return self.lookup(market, compliance_year, moment.astimezone(self.market(market).timezone).date(), section)

    def market(self, code: str) -> Market:
        try:
            return self.markets[code]
        except KeyError:
            known = ", ".join(sorted(self.markets))
            raise DomainError("unknown_market", f"unknown market {code!r} (known: {known})") from None

    def lookup(self, market: str, compliance_year: int, on: date, section: str | None = None) -> RuleSet:
        """The rule set governing ``compliance_year`` of ``market`` on the event date ``on`` (and
        having rules for ``section``: registry, allocation …).

        When two are valid (an amendment), the one that became valid last wins.
        """
        hit = self._found.get((market, compliance_year, on, section))
        if hit is not None:
            return hit
        self.market(market)
        found = [r for r in self.rule_sets if r.governs(market, compliance_year, on, section)]
        if not found:
            what = f"{section} rules" if section else "a rule set"
            raise DomainError(
                "no_rule_set",
                f"market {market} has no {what} for compliance year {compliance_year} on {on.isoformat()}",
            )
        best = self._found[(market, compliance_year, on, section)] = max(found, key=lambda r: r.valid_from)
        return best


def _years(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, str) and "-" in value:
        first, last = (int(x) for x in value.split("-"))
        return tuple(range(first, last + 1))
    return tuple(int(v) for v in value)


def _date(value: Any, origin: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("rule_set_invalid", f"{origin}: {value!r} is not a date") from None


def _registry_options(reg: Mapping[str, Any]) -> dict[str, Any]:
    """Banking and borrowing only where a file states them: else the dataclass's defaults (their one place)."""
    out: dict[str, Any] = {}
    if "banking" in reg:
        out["banking"] = bool(reg["banking"])
    if "borrowing" in reg:
        out["borrowing"] = int(reg["borrowing"])
    if "periods" in reg:
        out["periods"] = tuple((int(a), int(b)) for a, b in reg["periods"])
    for key in ("borrowing_vintage", "carry_over_until"):
        if key in reg:
            out[key] = int(reg[key])
    if "surrender_reversal_until" in reg:
        out["surrender_reversal_until"] = {int(y): _date(d, "registry.surrender_reversal_until")
                                           for y, d in dict(reg["surrender_reversal_until"]).items()}
    return out


def _rule_set(data: dict[str, Any], origin: str) -> RuleSet:
    try:
        reg = data.get("registry", {})
        return RuleSet(
            market=data["market"],
            compliance_years=_years(data["compliance_years"]),
            document=data["document"],
            title=data.get("title", ""),
            valid_from=_date(data["valid_from"], origin),
            valid_to=_date(data["valid_to"], origin) if "valid_to" in data else None,
            source=data.get("source", ""),
            registry=RegistryRules(
                approvals=dict(reg.get("approvals", {})),
                accepted_offsets=frozenset(reg.get("accepted_offsets", [])),
                **_registry_options(reg),
            ),
            raw=data,
            origin=origin,
        )
    except KeyError as exc:
        raise DomainError("rule_set_invalid", f"{origin}: missing key {exc.args[0]}") from None


def parse_sections(rs: RuleSet, parsers: Mapping[str, SectionParser]) -> None:
    """Parse each section of ``rs`` that has a parser, once; the first rule set with errors fails with
    one error naming the file, the rule set and every bad field."""
    errors: list[str] = []
    for name, parse in parsers.items():
        if name in rs.sections or name not in rs.raw:
            continue
        data = rs.raw[name]
        got = parse(rs, data) if isinstance(data, Mapping) else [FieldError("", "is not a table")]
        if isinstance(got, list):
            errors.extend(f"[{name}]{'.' + e.field if e.field else ''}: {e.message}" for e in got)
        else:
            rs.sections[name] = got
    if errors:
        raise DomainError("rule_set_invalid", f"{rs.origin}: rule set {rs.label()}: {'; '.join(errors)}")


def load_rulebook(folder: Path | None = None, parsers: Mapping[str, SectionParser] | None = None) -> RuleBook:
    root = folder or Path(str(resources.files("openets.rules") / "data"))
    with open(root / "markets.toml", "rb") as fh:
        mdata = tomllib.load(fh)
    markets = {
        m["code"]: Market(
            code=m["code"],
            name_zh=m["name_zh"],
            name_en=m["name_en"],
            allowance_prefix=m["allowance_prefix"],
            timezone=ZoneInfo(m.get("timezone", "Asia/Shanghai")),
            launched=m["launched"],
            registry_operator=m.get("registry_operator", ""),
        )
        for m in mdata["market"]
    }
    rule_sets = []
    for path in sorted((root / "rulesets").glob("*.toml")):
        rule_sets.extend(_read_rule_sets(path, markets, parsers or {}))
    return RuleBook(markets, rule_sets, parsers)


def _read_rule_sets(path: Path, markets: dict[str, Market], parsers: Mapping[str, SectionParser]) -> list[RuleSet]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise DomainError("rule_set_invalid", f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError("rule_set_invalid", f"{path.name}: not valid TOML ({exc})") from None
    out = []
    for entry in data.get("ruleset", []):
        rs = _rule_set(entry, path.name)
        if rs.market not in markets:
            raise DomainError("rule_set_invalid", f"{path.name}: unknown market {rs.market}")
        parse_sections(rs, parsers)
        out.append(rs)
    return out


@cache
def default_rulebook() -> RuleBook:
    """The shipped rule sets, untyped (headers and raw sections). Services use
    ``openets.services.rulebook.default_rulebook``, which parses every known section at load."""
    return load_rulebook()
