"""Decree 775's data-quality sanction (碳排放权交易管理暂行条例, 国务院令第775号; the article's number is `?`
in mechanisms §8.1): a regulator records a finding against a company's emissions report for a year
(not accounted as required, major defects, falsified data, samples not made or submitted); a second
regulator decides it — the fine (× the illegal gains, or a fixed range), the responsible individuals'
fine, and where the company did not correct its data, the share (50–100 %) of next year's allocation
cut. The cut is applied once, by the first allocation run issued for that next year
(:meth:`FalsificationService.cuts_for`, called from ``AllocationService.issue``). The arithmetic is
``compliance/sanctions.py``'s :func:`data_sanction` and :func:`allocation_cut`; every figure is the
regulator's decision inside the rule's range, none defaulted."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from openets.allocation.runs import RunStatus
from openets.compliance.sanctions import FALSIFICATION_KINDS, DataSanction, allocation_cut, data_sanction
from openets.core.actor import Actor
from openets.core.clock import from_us, to_us
from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.rules.loader import RuleBook
from openets.services import rulebook
from openets.services.registry import RegistryService
from openets.services.registry.base import person_of
from openets.storage import tables as t
from openets.storage.db import run_in_transaction


@dataclass(frozen=True, slots=True)
class Finding:
    id: int
    market: str
    company: str
    report_year: int
    kind: str
    basis: str
    status: str  # found, decided
    found_by: str
    found_at: datetime
    fine_fen: int | None = None
    individual_fen: int | None = None
    cut_share: Decimal | None = None
    cut_year: int | None = None
    decision: str | None = None
    decided_by: str | None = None
    cut_run_id: int | None = None
    cut_quantity: int | None = None
    replayed: bool = False  # this answer replays an earlier request with the same client key (not stored)


# the client keys of record and decide live beside the registry's, in ``idempotency_keys`` under these
# operation names (per party, as the registry's); their ``txn_id`` column holds the finding's id
RECORD_OP, DECIDE_OP = "falsification.record", "falsification.decide"


def _digest(actor: Actor, **payload: object) -> str:
    """The request a key stands for: who asked (the user: two regulators of one party do not share a
    key's answer) and what, every value as text so that equal requests hash equal."""
    def text(v: object) -> str | None:  # 0.50 and 0.5 are one share
        return None if v is None else str(v.normalize()) if isinstance(v, Decimal) else str(v)

    data = {"user": actor.user, **{k: text(v) for k, v in payload.items()}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _replayed(c: Connection, actor: Actor, operation: str, key: str | None, digest: str) -> int | None:
    """The finding an earlier request with this key answered (None: a new key, or none given); the key
    with another request is refused (idempotency_conflict)."""
    if key is None:
        return None
    i = t.idempotency
    row = c.execute(select(i.c.payload_hash, i.c.txn_id).where(
        i.c.party_id == actor.party_id, i.c.operation == operation, i.c.key == key)).first()
    if row is None:
        return None
    if row.payload_hash != digest:
        raise IdempotencyConflict(key)
    return int(row.txn_id)


def _remember(c: Connection, actor: Actor, operation: str, key: str | None, digest: str, finding_id: int,
              now: datetime) -> None:
    if key is not None:  # a concurrent twin that committed first: the unique key refuses this, the retry replays
        c.execute(insert(t.idempotency).values(party_id=actor.party_id, operation=operation, key=key,
                                               payload_hash=digest, txn_id=finding_id, created_us=to_us(now)))


def _finding(r: object) -> Finding:
    g = r.__getattribute__
    return Finding(int(g("id")), g("market"), g("company"), int(g("report_year")), g("kind"), g("basis"), g("status"),
                   g("found_by"), from_us(int(g("found_us"))), g("fine_fen"), g("individual_fen"),
                   Decimal(g("cut_share")) if g("cut_share") is not None else None, g("cut_year"), g("decision"),
                   g("decided_by"), g("cut_run_id"), g("cut_quantity"))


def data_rule(book: RuleBook, market: str, year: int, moment: datetime) -> DataSanction:
    """The data-quality sanction in force at ``moment`` for the market's year; an error naming what is
    missing where the rules state none (the pilots; the national market before Decree 775)."""
    if not any(rs.market == market and "sanctions" in rs.raw for rs in book.rule_sets):
        raise DomainError("data_sanction_missing", f"the rules of {market} state no data-quality sanction")
    rule = rulebook.sanctions(book, market, year, moment).data_quality
    if rule is None:
        raise DomainError("data_sanction_missing", f"the {market} rules in force on {moment.date().isoformat()} "
                                                   f"state no data-quality sanction for {year}")
    return rule


class FalsificationService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine

    def record(self, actor: Actor, *, market: str, company: str, year: int, kind: str, basis: str,
               key: str | None = None) -> Finding:
        """A regulator of the market records a finding against the company's report for ``year``. With a
        client ``key``: the same request again answers the same finding (``replayed``), another request
        with that key is refused."""
        actor.require_may_act()
        actor.require_regulator(market)
        digest = _digest(actor, market=market, company=company, year=year, kind=kind, basis=basis)
        if kind not in FALSIFICATION_KINDS:
            raise DomainError("falsification_kind_invalid", f"kind {kind!r}: one of {', '.join(FALSIFICATION_KINDS)}")
        if not basis.strip():
            raise DomainError("basis_missing", "a finding states its basis (what was found, and where)")
        now = self.registry.clock.now()
        data_rule(self.registry.rulebook, market, year, now)  # refused at once where no rule applies

        def work(c: Connection) -> Finding:
            er, f = t.emission_reports, t.falsification_findings
            earlier = _replayed(c, actor, RECORD_OP, key, digest)
            if earlier is not None:
                return replace(_finding(c.execute(select(f).where(f.c.id == earlier)).one()), replayed=True)
            if c.execute(select(er.c.id).where(er.c.market == market, er.c.company == company,
                                               er.c.year == year)).first() is None:
                raise NotFound("emission report", f"{market} {company} {year}")
            exists = DomainError("finding_exists", f"a {kind} finding against {company}'s {year} report is recorded")
            if c.execute(select(f.c.id).where(f.c.market == market, f.c.company == company, f.c.report_year == year,
                                              f.c.kind == kind)).first() is not None:
                raise exists
            # the key claimed first: a concurrent twin waits on it, is refused by its unique index and
            # retried (storage.db), then replays this one's answer
            _remember(c, actor, RECORD_OP, key, digest, 0, now)
            try:
                fid = c.execute(insert(f).values(market=market, company=company, report_year=year, kind=kind,
                                                 basis=basis.strip(), status="found", found_by=actor.user,
                                                 found_us=to_us(now)).returning(f.c.id)).scalar_one()
            except IntegrityError as exc:  # PostgreSQL: another request recorded the same finding meanwhile
                if "falsification_once" in str(exc.orig) or "falsification_findings.kind" in str(exc.orig):
                    raise exists from None
                raise
            if key is not None:
                i = t.idempotency
                c.execute(update(i).where(i.c.party_id == actor.party_id, i.c.operation == RECORD_OP,
                                          i.c.key == key).values(txn_id=fid))
            return _finding(c.execute(select(f).where(f.c.id == fid)).one())

        return run_in_transaction(self.engine, work)

    def decide(self, actor: Actor, finding_id: int, *, gains_fen: int, corrected: bool,
               multiple: Decimal | None = None, amount_fen: int | None = None, individual_fen: int | None = None,
               cut_share: Decimal | None = None, cut_year: int | None = None, key: str | None = None) -> Finding:
        """A second regulator (another person than the finder) decides the finding under the rule in force
        now. Not corrected: ``cut_share`` of the allocation of ``cut_year`` (default: the report's year + 1)
        is cut — refused when that year's allocation was already issued (name a later year). With a
        client ``key``: the same decision again answers the decided finding (``replayed``)."""
        actor.require_may_act()
        now = self.registry.clock.now()
        digest = _digest(actor, finding=finding_id, gains_fen=gains_fen, corrected=corrected, multiple=multiple,
                         amount_fen=amount_fen, individual_fen=individual_fen, cut_share=cut_share, cut_year=cut_year)

        def work(c: Connection) -> Finding:
            f = t.falsification_findings
            row = c.execute(select(f).where(f.c.id == finding_id).with_for_update()).first()  # PG: one decider at a time
            if row is None:
                raise NotFound("falsification finding", finding_id)
            actor.require_regulator(row.market)
            if _replayed(c, actor, DECIDE_OP, key, digest) is not None:
                return replace(_finding(row), replayed=True)
            if row.status != "found":
                raise DomainError("finding_decided", f"finding {finding_id} is already decided")
            if row.found_by == actor.user or person_of(c, row.found_by) == actor.person_key:
                raise DomainError("four_eyes", "the finding is decided by a different person than the one who recorded it")
            rule = data_rule(self.registry.rulebook, row.market, row.report_year, now)
            d = data_sanction(rule, gains_fen=gains_fen, corrected=corrected, multiple=multiple,
                              amount_fen=amount_fen, individual_fen=individual_fen, cut_share=cut_share)
            year = (cut_year if cut_year is not None else row.report_year + 1) if d.cut_share is not None else None
            if year is not None:
                if year <= row.report_year:
                    raise DomainError("cut_year_invalid", f"the cut is of a year after the report's {row.report_year}")
                runs = t.allocation_runs
                if c.execute(select(runs.c.id).where(runs.c.market == row.market, runs.c.compliance_year == year,
                                                     runs.c.status == RunStatus.ISSUED.value)).first() is not None:
                    raise DomainError("allocation_already_issued",
                                      f"the {row.market} {year} allocation is already issued: cut a later year's")
            c.execute(update(f).where(f.c.id == finding_id).values(
                status="decided", gains_fen=gains_fen, fine_fen=d.fine_fen, individual_fen=d.individual_fen,
                cut_share=str(d.cut_share) if d.cut_share is not None else None, cut_year=year, corrected=corrected,
                decision=d.basis + (f" ({year})" if year is not None else ""), decided_by=actor.user,
                decided_us=to_us(now)))
            _remember(c, actor, DECIDE_OP, key, digest, finding_id, now)
            return _finding(c.execute(select(f).where(f.c.id == finding_id)).one())

        return run_in_transaction(self.engine, work)

    def findings(self, market: str | None, company: str | None = None, year: int | None = None) -> list[Finding]:
        """The market's findings (every market's: ``None``) in the order recorded: of one company, of the
        reports of one ``year``."""
        f = t.falsification_findings
        q = select(f).where(*([f.c.market == market] if market is not None else []),
                            *([f.c.company == company] if company is not None else []),
                            *([f.c.report_year == year] if year is not None else []))
        with self.engine.connect() as c:
            return [_finding(r) for r in c.execute(q.order_by(f.c.id))]

    def finding(self, finding_id: int) -> Finding:
        f = t.falsification_findings
        with self.engine.connect() as c:
            row = c.execute(select(f).where(f.c.id == finding_id)).first()
        if row is None:
            raise NotFound("falsification finding", finding_id)
        return _finding(row)

    def cuts_for(self, c: Connection, market: str, year: int, run_id: int,
                 allocations: dict[str, int]) -> dict[str, int]:
        """Inside an allocation run's issue: the tonnes cut from each company's ``allocations`` (company →
        tonnes allocated by the run) by the decided findings for ``year`` not yet applied — each finding's
        share × the allocation (half up, :func:`allocation_cut`), together at most the allocation — and
        the findings marked applied by this run. Companies without a finding are not in the answer."""
        f = t.falsification_findings
        rows = c.execute(select(f.c.id, f.c.company, f.c.report_year, f.c.cut_share).where(
            f.c.market == market, f.c.cut_year == year, f.c.status == "decided", f.c.cut_share.is_not(None),
            f.c.cut_run_id.is_(None)).order_by(f.c.id)).all()
        cut: dict[str, int] = {}
        applied: list[tuple[int, int]] = []
        for r in rows:
            allocated = allocations.get(r.company, 0)
            if allocated <= 0:
                continue  # nothing allocated to this company by this run: the cut waits for one that does
            rule = data_rule(self.registry.rulebook, market, r.report_year, self.registry.clock.now())
            tonnes = min(allocation_cut(allocated, Decimal(r.cut_share), rule), allocated - cut.get(r.company, 0))
            cut[r.company] = cut.get(r.company, 0) + tonnes
            applied.append((r.id, tonnes))
        for fid, tonnes in applied:
            c.execute(update(f).where(f.c.id == fid).values(cut_run_id=run_id, cut_quantity=tonnes))
        return cut
