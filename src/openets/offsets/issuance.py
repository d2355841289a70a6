"""Issuance suspensions: a rule set's ``issuance`` section names a standard and the projects (by tag)
whose credits may not be issued while the rule set is valid (from its ``valid_from``, until its
``valid_to`` if it has one). The March 2017 suspension of 592 CCER projects is the first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class Suspension:
    standard: str  # CCER …
    tag: str  # the projects it covers carry this tag (the regulator tags them when registering)
    projects: int | None  # how many projects the notice names, where it gives the number
    document: str
    valid_from: date
    valid_to: date | None

    def covers(self, standard: str, tags: Iterable[str], on: date) -> bool:
        return (standard == self.standard and self.tag in set(tags) and self.valid_from <= on
                and (self.valid_to is None or on <= self.valid_to))


def parse_issuance(rs: RuleSet, data: Mapping[str, Any]) -> Suspension | list[FieldError]:
    errors = [FieldError(k, "missing") for k in ("standard", "tag") if not isinstance(data.get(k), str) or not data[k]]
    projects = data.get("projects")
    if projects is not None and (not isinstance(projects, int) or projects < 1):
        errors.append(FieldError("projects", f"{projects!r} is not a positive whole number"))
    if errors:
        return errors
    return Suspension(data["standard"], data["tag"], projects, rs.document, rs.valid_from, rs.valid_to)


def refusal(suspensions: Iterable[Suspension], standard: str, tags: Iterable[str], on: date) -> str | None:
    """Why credits of a project with ``tags`` may not be issued on ``on``, or None."""
    tags = frozenset(tags)
    for s in suspensions:
        if s.covers(standard, tags, on):
            many = f" ({s.projects} projects)" if s.projects else ""
            return (f"{standard} issuance for this project is suspended from {s.valid_from.isoformat()} by "
                    f"{s.document}{many}")
    return None
