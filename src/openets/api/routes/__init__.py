"""One ``APIRouter`` per capability, each with its tag; ``ROUTERS`` in the order the app mounts them."""

from fastapi import APIRouter

from openets.api.routes import (
    allocation,
    auctions,
    audit,
    auth,
    compliance,
    falsification,
    health,
    market,
    mrv,
    offsets,
    registry,
)

ROUTERS: tuple[APIRouter, ...] = (health.router, auth.router, registry.router, market.router, compliance.router,
                                  allocation.router, mrv.router, falsification.router, auctions.router, offsets.router,
                                  audit.router)
