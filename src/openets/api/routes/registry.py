"""The registry: balances, transfers and surrenders of your own accounts."""

from typing import Annotated

from fastapi import APIRouter, Header

from openets.api.deps import AccountNo, Me, Svc
from openets.api.ids import operation_id
from openets.api.schemas.registry import (
    BalanceRead,
    LimitCreate,
    LimitRead,
    ProblemRead,
    SurrenderCreate,
    TransferCreate,
    TxnRead,
    VerificationRead,
)
from openets.core.actor import Actor
from openets.registry.commands import Surrender, Transfer
from openets.services.access import visible_account
from openets.services.flexibility import FlexibilityService, Limit
from openets.services.verification import require_verifier, verify_registry

router = APIRouter(prefix="/registry", tags=["registry"], generate_unique_id_function=operation_id)
IdempotencyKey = Annotated[str | None, Header(max_length=128)]


@router.get("/accounts/{number}/balances")
def balances(number: AccountNo, me: Me, svc: Svc) -> list[BalanceRead]:
    visible_account(svc.registry, me, number)
    return [BalanceRead(unit_class=b.unit_class, restriction_id=b.restriction_id, total=b.total,
                        reserved=b.reserved, available=b.available) for b in svc.queries.balances(number)]


def _limit(x: Limit) -> LimitRead:
    return LimitRead(company=x.company, account=x.account, kind=x.kind, year=x.year, quantity=x.quantity, basis=x.basis)


@router.get("/accounts/{number}/limits")
def limits(number: AccountNo, me: Me, svc: Svc) -> list[LimitRead]:
    """The borrowing and carry-over limits granted to an account (its owner, the market's regulators,
    auditors; anyone else: not found)."""
    visible_account(svc.registry, me, number)
    return [_limit(x) for x in FlexibilityService(svc.registry).limits(number)]


@router.post("/limits", status_code=201)
def grant_limit(body: LimitCreate, me: Me, svc: Svc) -> LimitRead:
    """Grant a company's compliance account its borrowing or carry-over limit from the plan's rule (a
    regulator of the market; once: the same answer again); the registry refuses surrenders beyond it."""
    return _limit(FlexibilityService(svc.registry).grant(me, body.kind, body.market, body.year, body.company))


def _run(svc: Svc, me: Actor, op: Transfer | Surrender) -> TxnRead:
    out = svc.registry.submit(me, [op])[0]
    rec = out.record
    assert rec is not None
    return TxnRead(txn=rec.id, type=rec.type.value, status=rec.status.value, quantity=rec.quantity,
                   serials=[list(r) for r in rec.ranges], replayed=out.replayed)


@router.post("/transfers", status_code=201)
def transfer(body: TransferCreate, me: Me, svc: Svc, idempotency_key: IdempotencyKey = None) -> TxnRead:
    reg = svc.registry
    frm = visible_account(reg, me, body.from_account)
    to = reg.account_ref(body.to_account)
    return _run(svc, me, Transfer(key=idempotency_key, from_account=frm.id, to_account=to.id,
                            unit_class=reg.unit_class_id(body.unit_class), quantity=body.quantity))


@router.post("/surrenders", status_code=201)
def surrender(body: SurrenderCreate, me: Me, svc: Svc, idempotency_key: IdempotencyKey = None) -> TxnRead:
    reg = svc.registry
    frm = visible_account(reg, me, body.from_account)
    return _run(svc, me, Surrender(key=idempotency_key, from_account=frm.id,
                            unit_class=reg.unit_class_id(body.unit_class), quantity=body.quantity,
                            compliance_year=body.compliance_year))


@router.get("/verification")
def verification(me: Me, svc: Svc) -> VerificationRead:
    """The whole registry checked (auditors and regulators only): every problem found, named."""
    require_verifier(me)
    reg = svc.registry
    r = verify_registry(reg.engine, reg.rulebook)
    return VerificationRead(ok=r.ok, checks=r.checks, transactions=r.transactions, journal_lines=r.journal_lines,
                            accounts=r.accounts, seconds=round(r.seconds, 3),
                            problems=[ProblemRead(code=p.code, subject=p.subject, detail=p.detail) for p in r.problems])
