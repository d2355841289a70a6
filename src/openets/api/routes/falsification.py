"""Decree 775's data-quality findings (services/falsification.py): a regulator of the market records a
finding against a company's report year; a second regulator (another person) decides it — the fine,
the individuals' fine, the 50–100 % cut of next year's allocation, applied by that year's first
allocation run. Recorded and decided by regulators only; read by the market's regulators and by
auditors (every market's, as everywhere else); anyone else is refused (403); a regulator of another
market finds no such finding (404). Both POSTs take an Idempotency-Key: the same request again answers the same
finding (``replayed``), another request with the key is refused (409)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from openets.api.deps import Id, Limit, MarketQ, Me, Offset, Svc
from openets.api.ids import operation_id
from openets.api.schemas.falsification import DecisionCreate, FindingCreate, FindingPage, FindingRead
from openets.core.actor import Actor, Role
from openets.core.errors import DomainError, NotFound
from openets.core.text import PRINTABLE
from openets.services.falsification import FalsificationService, Finding
from openets.services.names import NO_CODE, company_names

router = APIRouter(prefix="/falsification", tags=["falsification"], generate_unique_id_function=operation_id)
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=128, pattern=PRINTABLE)]


def _read(svc: Svc, f: Finding, names: dict[str, str] | None = None) -> FindingRead:
    names = names if names is not None else company_names(svc.registry.engine, [f.company])
    return FindingRead(id=f.id, market=f.market, company=f.company, company_name=names.get(f.company, NO_CODE),
                       report_year=f.report_year, kind=f.kind, basis=f.basis, status=f.status, found_by=f.found_by,
                       found_at=f.found_at.isoformat(), fine_fen=f.fine_fen, individual_fen=f.individual_fen,
                       cut_share=None if f.cut_share is None else str(f.cut_share), cut_year=f.cut_year,
                       cut_quantity=f.cut_quantity, cut_run_id=f.cut_run_id, decision=f.decision,
                       decided_by=f.decided_by, replayed=f.replayed)


def _regulator(me: Actor) -> None:
    if me.role is not Role.REGULATOR:
        raise DomainError("forbidden", f"{me.describe()}: data-quality findings are for the market's regulators")


def _reader(me: Actor) -> None:
    if me.role not in (Role.REGULATOR, Role.AUDITOR):
        raise DomainError("forbidden", f"{me.describe()}: data-quality findings are for the market's regulators "
                          "and auditors")


@router.post("/findings", status_code=201)
def record(body: FindingCreate, me: Me, svc: Svc, idempotency_key: IdempotencyKey = None) -> FindingRead:
    """A regulator of the market records a finding against the company's report for the year."""
    me.require_may_act()  # the auditor: read_only, as on every state-changing route
    _regulator(me)
    return _read(svc, FalsificationService(svc.registry).record(
        me, market=body.market, company=body.company, year=body.year, kind=body.kind, basis=body.basis,
        key=idempotency_key))


@router.post("/findings/{finding_id}/decision")
def decide(finding_id: Id, body: DecisionCreate, request: Request, me: Me, svc: Svc,
           idempotency_key: IdempotencyKey = None) -> FindingRead:
    """A second regulator of the market (not the finder) decides the finding, every figure inside the
    rule's range (none defaulted)."""
    me.require_may_act()
    _regulator(me)
    # the decision's figures go with its audit row (written with the change, so set before it; a
    # refusal's row carries what was asked)
    request.state.comment = " ".join(f"{k}={v}" for k, v in body.model_dump().items())
    got = FalsificationService(svc.registry).decide(
        me, finding_id, gains_fen=body.gains_fen, corrected=body.corrected, multiple=body.multiple,
        amount_fen=body.amount_fen, individual_fen=body.individual_fen, cut_share=body.cut_share,
        cut_year=body.cut_year, key=idempotency_key)
    return _read(svc, got)


@router.get("/findings")
def findings(me: Me, svc: Svc, market: MarketQ = None,
             company: Annotated[str | None, Query(min_length=1, max_length=32, pattern=PRINTABLE)] = None,
             year: Annotated[int | None, Query(ge=2005, le=2100)] = None,
             offset: Offset = 0, limit: Limit = 100) -> FindingPage:
    """The findings of your market (a regulator of another market is refused; an auditor reads every
    market's, or the one asked), of one company, of one report year; in the order recorded."""
    _reader(me)
    chosen: str | None = market
    if me.role is Role.REGULATOR:
        chosen = market or me.market or ""
        me.require_regulator(chosen)
    rows = FalsificationService(svc.registry).findings(chosen, company, year)
    page = rows[offset:offset + limit]
    names = company_names(svc.registry.engine, (f.company for f in page))
    return FindingPage(total=len(rows), offset=offset, limit=limit, items=[_read(svc, f, names) for f in page])


@router.get("/findings/{finding_id}")
def finding(finding_id: Id, me: Me, svc: Svc) -> FindingRead:
    _reader(me)
    f = FalsificationService(svc.registry).finding(finding_id)
    if not me.oversees(f.market):
        raise NotFound("falsification finding", finding_id)  # another market's looks like none at all
    return _read(svc, f)
