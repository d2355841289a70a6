"""The routes' dependencies: the services the app was built with (kept on ``app.state`` by
``create_app``) and the acting user, as FastAPI ``Depends`` — no route closes over them."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from openets.core.actor import Actor
from openets.core.text import PRINTABLE
from openets.services.auctions import AuctionService
from openets.services.auth import AuthError, AuthService
from openets.services.capability_queries import CapabilityQueries
from openets.services.exchange.hub import Exchanges
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.services.reports import ReportService
from openets.web.acting import note_actor

COOKIE = "openets_token"
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the routes call, built once per app."""

    registry: RegistryService
    hub: Exchanges
    auth: AuthService
    queries: RegistryQueries
    reports: ReportService
    auctions: AuctionService
    capabilities: CapabilityQueries


async def services(request: Request) -> Services:
    # async: an attribute read, answered on the event loop (a sync dependency would cost every request
    # a hop to the thread pool and back)
    got: Services = request.app.state.services
    return got


Svc = Annotated[Services, Depends(services)]


def current(request: Request, token: Annotated[str | None, Depends(oauth2)], svc: Svc) -> Actor:
    token = token or request.cookies.get(COOKIE)  # the dashboard keeps its token in a cookie
    if not token:
        raise AuthError("not_authenticated", "log in first (POST /auth/token)")
    actor = svc.auth.actor_for(token)
    note_actor(request, actor)
    return actor


Me = Annotated[Actor, Depends(current)]

MARKET = "^[A-Z]{2,8}$"
Instrument = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE,
                                  description="a unit class code: BEA-2016, CEA-2021 …")]
MarketCode = Annotated[str, Path(pattern=MARKET, description="a market code: CEA, BJ, SH …")]
MarketQ = Annotated[str | None, Query(pattern=MARKET)]
AccountNo = Annotated[str, Path(min_length=1, max_length=32, pattern=PRINTABLE)]
Year = Annotated[int, Path(ge=2005, le=2100)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Id = Annotated[int, Path(ge=1, le=2**53, description="a record's id")]
