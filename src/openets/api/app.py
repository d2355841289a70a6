"""``create_app``: the REST API, one router per capability (``api/routes``), the services on
``app.state`` for the routes' dependencies (``api/deps``). Errors are RFC 9457 problem details; bad
input never answers 500."""

from fastapi import FastAPI
from sqlalchemy import Engine

from openets import __version__
from openets.api import errors
from openets.api.audit import AuditLog
from openets.api.deps import COOKIE, Services, current
from openets.api.docs import install_docs
from openets.api.errors import PROBLEM, problem
from openets.api.ids import operation_id
from openets.api.routes import ROUTERS
from openets.api.schemas.common import PROBLEMS
from openets.core.clock import Clock
from openets.services.auctions import AuctionService
from openets.services.auth import AuthService
from openets.services.capability_queries import CapabilityQueries
from openets.services.exchange.hub import Exchanges
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.services.reports import ReportService

__all__ = ["COOKIE", "PROBLEM", "create_app", "operation_id", "problem"]


def create_app(engine: Engine, *, secret: str | None = None, clock: Clock | None = None) -> FastAPI:
    registry = RegistryService(engine, clock=clock)
    svc = Services(registry=registry, hub=Exchanges(registry), auth=AuthService(registry, secret=secret),
                   queries=RegistryQueries(engine), reports=ReportService(registry), auctions=AuctionService(registry),
                   capabilities=CapabilityQueries(engine))
    app = FastAPI(title="OpenETS", version=__version__,
                  description="An open cap-and-trade carbon market system (基于总量控制的碳市场).",
                  generate_unique_id_function=operation_id, docs_url=None, redoc_url=None)
    app.state.services = svc
    install_docs(app)  # /docs and /redoc from the installed package's assets, not a CDN
    errors.install(app)
    app.add_middleware(AuditLog, engine=engine, registry=registry)
    for router in ROUTERS:
        app.include_router(router, responses=PROBLEMS)

    from openets.web.pages import mount_dashboard

    mount_dashboard(app, registry=registry, auth=svc.auth, hub=svc.hub, queries=svc.queries, current=current)
    return app
