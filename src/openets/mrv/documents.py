"""MRV documents and their life cycles: explicit transition tables ``{(state, event): next}``,
every step recorded (who, what, when) in an audit trail. Pure: a document is a value; ``apply``
returns the next one or raises a DomainError naming the state and the refused event.

- monitoring plan (监测计划): draft → submitted → approved; a change starts a new version;
- emission report (排放报告): draft → submitted → under_verification → verified → confirmed; a
  verifier or the regulator may send it back (returned → draft); a missing or rejected report is
  replaced by the regulator's determination (determined), conservatively, by a rule as data;
- verification (核查): a verifier organisation assigned after a conflict-of-interest check; findings
  with severity; corrections; the statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from openets.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class Step:
    event: str
    actor: str
    at: datetime
    note: str = ""


PLAN_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "draft",
}
REPORT_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "start_verification"): "under_verification",
    ("submitted", "return"): "draft",
    ("under_verification", "verify"): "verified",
    ("under_verification", "return"): "draft",
    ("verified", "confirm"): "confirmed",
    ("verified", "return"): "draft",
    ("draft", "determine"): "determined",  # the regulator determines the emissions itself
    ("submitted", "determine"): "determined",
}
# who may take each step
PLAN_ROLES = {"submit": "company", "approve": "regulator", "return": "regulator"}
REPORT_ROLES = {"submit": "company", "start_verification": "verifier", "verify": "verifier", "return": "any",
                "confirm": "regulator", "determine": "regulator"}


def _next(table: Mapping[tuple[str, str], str], kind: str, state: str, event: str) -> str:
    nxt = table.get((state, event))
    if nxt is None:
        allowed = sorted(e for s, e in table if s == state)
        raise DomainError("transition_refused",
                          f"a {kind} that is {state} cannot be {event!r}ed "
                          f"(possible now: {', '.join(allowed) or 'nothing, it is final'})")
    return nxt


def _role_ok(roles: Mapping[str, str], event: str, role: str) -> None:
    need = roles.get(event, "regulator")
    if need != "any" and role != need:
        raise DomainError("not_authorised", f"only a {need} may {event}")


@dataclass(frozen=True, slots=True)
class MonitoringPlan:
    company: str
    installation: str
    version: int
    streams: tuple[str, ...]  # source streams, each with its meters and sampling in ``detail``
    detail: Mapping[str, str] = field(default_factory=dict)
    state: str = "draft"
    trail: tuple[Step, ...] = ()

    def apply(self, event: str, *, actor: str, role: str, at: datetime, note: str = "") -> MonitoringPlan:
        _role_ok(PLAN_ROLES, event, role)
        return replace(self, state=_next(PLAN_TRANSITIONS, "monitoring plan", self.state, event),
                       trail=(*self.trail, Step(event, actor, at, note)))

    def revise(self, streams: Iterable[str], *, actor: str, at: datetime, note: str = "") -> MonitoringPlan:
        """A change to an approved plan is a new version, starting as a draft."""
        if self.state != "approved":
            raise DomainError("transition_refused", f"only an approved plan is revised (this one is {self.state})")
        return MonitoringPlan(self.company, self.installation, self.version + 1, tuple(streams), self.detail, "draft",
                              (Step("revise", actor, at, note),))


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # major, minor, observation
    text: str


SEVERITIES = ("major", "minor", "observation")


def parse_finding(written: str) -> Finding:
    """A finding as people write it, ``severity:text`` (e.g. ``major:March purchases missing``)."""
    sev, sep, text = written.partition(":")
    if not sep or sev.strip() not in SEVERITIES or not text.strip():
        raise DomainError("finding_invalid", f"finding {written!r}: write severity:text, severity major, minor "
                          "or observation")
    return Finding(sev.strip(), text.strip())


def sectors_named(output: object, what: str) -> None:
    """Every production row that gives a unit's ``emissions`` names its ``sector`` (compliance applies the
    power plans' gap cap by a unit's sector: none is no default); all such rows named at once."""
    unnamed = [i for i, row in enumerate(output, 1) if isinstance(row, dict) and "emissions" in row
               and not row.get("sector")] if isinstance(output, list) else []
    if unnamed:
        raise DomainError("output_sector_missing", f"{what} row{'s' if len(unnamed) > 1 else ''} "
                          f"{', '.join(map(str, unnamed))}: a unit's emissions are given without its sector")


@dataclass(frozen=True, slots=True)
class EmissionReport:
    company: str
    year: int
    emissions: Decimal  # as reported, tCO2e
    output: object  # what was produced: product → quantity, or per-unit production rows
    state: str = "draft"
    verifier: str | None = None
    verified_emissions: Decimal | None = None  # possibly corrected by the verifier
    verified_output: object = None
    findings: tuple[Finding, ...] = ()
    statement: str = ""
    determined: bool = False  # the regulator's determination, not a verified report
    trail: tuple[Step, ...] = ()

    def apply(self, event: str, *, actor: str, role: str, at: datetime, note: str = "",
              org: str | None = None) -> EmissionReport:
        """``org``: the acting user's organisation, when it is not the actor itself (verifiers)."""
        _role_ok(REPORT_ROLES, event, role)
        if event in ("start_verification", "verify") and (org or actor) != self.verifier:
            raise DomainError("not_assigned", f"{org or actor} is not the verifier assigned to this report")
        return replace(self, state=_next(REPORT_TRANSITIONS, "report", self.state, event),
                       trail=(*self.trail, Step(event, actor, at, note)))

    def assign(self, verifier: str, *, actor: str, at: datetime) -> EmissionReport:
        if self.state != "submitted":
            raise DomainError("transition_refused", f"a verifier is assigned to a submitted report (this is {self.state})")
        return replace(self, verifier=verifier, trail=(*self.trail, Step("assign", actor, at, verifier)))

    def verify(self, *, actor: str, at: datetime, emissions: Decimal, output: object,
               findings: Iterable[Finding] = (), statement: str, org: str | None = None) -> EmissionReport:
        """The verifier's result: verified (possibly corrected) emissions and output, findings, statement."""
        if emissions < 0:
            raise DomainError("value_negative", "verified emissions cannot be negative")
        sectors_named(output, "verified output")
        done = self.apply("verify", actor=actor, role="verifier", at=at, note=statement, org=org)
        return replace(done, verified_emissions=emissions, verified_output=output, findings=tuple(findings),
                       statement=statement)

    def determine(self, *, actor: str, at: datetime, emissions: Decimal, rule: str) -> EmissionReport:
        """The regulator determines the emissions of a missing or rejected report (e.g. the highest of
        the last years × a factor, as the market's rule says), recorded as a determination."""
        done = self.apply("determine", actor=actor, role="regulator", at=at, note=rule)
        return replace(done, verified_emissions=emissions, determined=True)

    @property
    def final(self) -> bool:
        return self.state in ("confirmed", "determined")


@dataclass(frozen=True, slots=True)
class VerifierHistory:
    """What the conflict-of-interest check needs to know about a verifier organisation."""

    verifier: str
    consulted_for: frozenset[str]  # companies it advised (consultancy, MRV help)
    related_to: frozenset[str]  # companies it is related to (ownership, staff)
    verified: Mapping[str, frozenset[int]]  # company → years it verified


def conflict_of_interest(h: VerifierHistory, company: str, year: int, *, max_consecutive: int = 3) -> str | None:
    """A reason the verifier may not verify ``company`` for ``year``, or None."""
    if company in h.consulted_for:
        return f"{h.verifier} consulted for {company}"
    if company in h.related_to:
        return f"{h.verifier} is related to {company}"
    years = h.verified.get(company, frozenset())
    run = 0
    y = year - 1
    while y in years:
        run += 1
        y -= 1
    if run >= max_consecutive:
        return f"{h.verifier} already verified {company} {run} years running (at most {max_consecutive})"
    return None
