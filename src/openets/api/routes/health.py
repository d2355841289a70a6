"""Liveness and readiness probes."""

from fastapi import APIRouter

from openets.api.deps import Svc
from openets.api.ids import operation_id
from openets.api.schemas.common import StatusRead

router = APIRouter(tags=["health"], generate_unique_id_function=operation_id)


@router.get("/health")
def health() -> StatusRead:
    return StatusRead(status="ok")


@router.get("/ready")
def ready(svc: Svc) -> StatusRead:
    svc.capabilities.ready()
    return StatusRead(status="ready")
