"""The registry: balances, transfers and surrenders of your own accounts."""

from typing import Annotated

from fastapi import APIRouter, Header

from openets.api.deps import AccountNo, Me, Svc
from openets.api.ids import operation_id
from openets.api.schemas.registry import BalanceRead, SurrenderCreate, TransferCreate, TxnRead
from openets.core.actor import Actor
from openets.registry.commands import Surrender, Transfer
from openets.services.access import visible_account

router = APIRouter(prefix="/registry", tags=["registry"], generate_unique_id_function=operation_id)
IdempotencyKey = Annotated[str | None, Header(max_length=128)]


@router.get("/accounts/{number}/balances")
def balances(number: AccountNo, me: Me, svc: Svc) -> list[BalanceRead]:
    visible_account(svc.registry, me, number)
    return [BalanceRead(unit_class=b.unit_class, restriction_id=b.restriction_id, total=b.total,
                        reserved=b.reserved, available=b.available) for b in svc.queries.balances(number)]


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
