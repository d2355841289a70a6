"""``create_app``: the REST API. Errors are RFC 9457 problem details; bad input never answers 500."""


from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError

from openets import __version__
from openets.api.exchanges import Exchanges
from openets.core.actor import Actor, Role
from openets.core.clock import Clock
from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.registry.engine import to_us
from openets.services.access import visible_account
from openets.services.auth import AuthError, AuthService
from openets.services.ops import Op
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.storage.db import PendingAudit, audit_with_writes, write_audit

PROBLEM = "application/problem+json"
Instrument = Annotated[str, Path(min_length=1, max_length=64, description="a unit class code: BEA-2016, CEA-2021 …")]
MarketCode = Annotated[str, Path(pattern="^[A-Z]{2,8}$", description="a market code: CEA, BJ, SH …")]
AccountNo = Annotated[str, Path(min_length=1, max_length=32)]
COOKIE = "openets_token"
STATUS = {"not_found": 404, "idempotency_conflict": 409, "too_many_attempts": 429}


def problem(status: int, code: str, detail: str, instance: str = "") -> JSONResponse:
    return JSONResponse({"type": f"https://openets.dev/problems/{code}", "title": code.replace("_", " "),
                         "status": status, "detail": detail, "instance": instance}, status_code=status,
                        media_type=PROBLEM)


class TransferCreate(BaseModel):
    unit_class: str = Field(min_length=1, max_length=64, examples=["BEA-2016"])
    quantity: int = Field(gt=0, description="whole tonnes")
    from_account: str = Field(min_length=1, max_length=32)
    to_account: str = Field(min_length=1, max_length=32)


class SurrenderCreate(BaseModel):
    unit_class: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, description="whole tonnes")
    from_account: str = Field(min_length=1, max_length=32)
    compliance_year: int = Field(ge=2005, le=2100)


class TxnRead(BaseModel):
    txn: int
    type: str
    status: str
    quantity: int
    unit: str = "tCO2e"
    serials: list[list[int]]
    replayed: bool


class BalanceRead(BaseModel):
    unit_class: str
    restriction_id: int
    total: int
    reserved: int
    available: int
    unit: str = "tCO2e"


class OrderCreate(BaseModel):
    account: str = Field(min_length=1, max_length=32, description="your registry account: units come from or go to it")
    side: str = Field(pattern="^(buy|sell)$")
    quantity: int = Field(gt=0, le=10**12, description="whole tonnes")
    price_fen: int | None = Field(None, gt=0, le=10**9, description="limit price in fen (CNY); none for market "
                                                                  "and select orders")
    type: str = Field("limit", pattern="^(limit|market|select)$")
    level: int | None = Field(None, ge=1, le=5, description="select (挂牌协议): the quote level, 1 = best")
    client_id: str | None = Field(None, min_length=1, max_length=64)


class OrderRead(BaseModel):
    order_id: int
    status: str
    remaining: int
    reason: str | None
    trades: list[dict[str, int]]
    currency: str = "CNY"


class DepositCreate(BaseModel):
    amount_fen: int = Field(gt=0, le=10**15, description="fen (CNY)")


class CashRead(BaseModel):
    market: str
    balance_fen: int
    reserved_fen: int
    currency: str = "CNY"


class AuditLog:
    """Every request that changes state, with the acting user and the answer's status, in the audit
    log (a plain ASGI middleware: no extra task per request, reads pass straight through)."""

    def __init__(self, app, *, engine: Engine, registry: RegistryService) -> None:  # type: ignore[no-untyped-def]
        self.app, self.engine, self.registry = app, engine, registry

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        status = [500]

        async def watch(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        def row(answer: int | None = None) -> dict[str, object] | None:
            # written with the request's change, before its answer exists: the route's success status.
            # The dashboard's forms answer with redirects of their own: their row waits for the answer.
            route = scope.get("route")
            if answer is None and not getattr(route, "include_in_schema", False):
                return None
            code = answer if answer is not None else getattr(route, "status_code", None) or 200
            return {"user_name": (scope.get("state") or {}).get("user"), "method": scope["method"],
                    "path": scope["path"].replace("\x00", "\ufffd")[:2000], "status": code,
                    "at_us": to_us(self.registry.clock.now())}

        pending = PendingAudit(row)
        try:
            with audit_with_writes(pending):
                await self.app(scope, receive, watch)
        finally:
            # a request that changed nothing (refused, invalid), or whose answer is not the status
            # written with its change, gets a row of its own with the answer it got
            if not pending.written or (pending.row or {}).get("status") != status[0]:
                await run_in_threadpool(write_audit, self.engine, row(status[0]))  # type: ignore[arg-type]


def create_app(engine: Engine, *, secret: str | None = None, clock: Clock | None = None) -> FastAPI:
    registry = RegistryService(engine, clock=clock)
    hub = Exchanges(registry)
    auth = AuthService(registry, secret=secret)
    queries = RegistryQueries(engine)
    app = FastAPI(title="OpenETS", version=__version__,
                  description="An open cap-and-trade carbon market system (基于总量控制的碳市场).")
    oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, AuthError):
            return problem(401, exc.code, exc.message, request.url.path)
        if isinstance(exc, NotFound):
            return problem(404, "not_found", exc.message, request.url.path)
        if isinstance(exc, IdempotencyConflict):
            return problem(409, exc.code, exc.message, request.url.path)
        return problem(STATUS.get(exc.code, 422), exc.code, exc.message, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return problem(422, "request_invalid", f"{where}: {first.get('msg', 'invalid')}", request.url.path)

    @app.exception_handler(DataError)
    async def bad_data(request: Request, exc: DataError) -> JSONResponse:
        # the database refused a value the routes let through (a NUL byte, a string too long for
        # its column …): the request's fault, said as such
        return problem(422, "request_invalid", "a value in the request is not acceptable (its length or characters)",
                       request.url.path)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_error", str(exc.detail), request.url.path)

    app.add_middleware(AuditLog, engine=engine, registry=registry)

    def current(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
        token = token or request.cookies.get(COOKIE)  # the dashboard keeps its token in a cookie
        if not token:
            raise AuthError("not_authenticated", "log in first (POST /auth/token)")
        actor = auth.actor_for(token)
        request.state.user = actor.user
        return actor

    Me = Annotated[Actor, Depends(current)]

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> dict[str, str]:
        with engine.connect() as c:
            c.execute(text("SELECT 1 FROM accounts LIMIT 1"))
        return {"status": "ready"}

    @app.post("/auth/token")
    def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, object]:
        got = auth.login(form.username, form.password, client=request.client.host if request.client else "")
        return {"access_token": got.access_token, "token_type": got.token_type, "expires_in": got.expires_in}

    @app.post("/auth/logout")
    def logout(me: Me) -> dict[str, int]:
        return {"revoked": auth.revoke(me.user)}

    @app.get("/registry/accounts/{number}/balances", response_model=list[BalanceRead])
    def balances(number: AccountNo, me: Me) -> list[BalanceRead]:
        visible_account(registry, me, number)
        return [BalanceRead(unit_class=b.unit_class, restriction_id=b.restriction_id, total=b.total,
                            reserved=b.reserved, available=b.available) for b in queries.balances(number)]

    def run(me: Actor, op: Op) -> TxnRead:
        out = registry.submit(me, [op])[0]
        rec = out.record
        assert rec is not None
        return TxnRead(txn=rec.id, type=rec.type.value, status=rec.status.value, quantity=rec.quantity,
                       serials=[list(r) for r in rec.ranges], replayed=out.replayed)

    @app.post("/registry/transfers", response_model=TxnRead, status_code=201)
    def transfer(body: TransferCreate, me: Me,
                 idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> TxnRead:
        frm = visible_account(registry, me, body.from_account)
        to = registry.account_ref(body.to_account)
        return run(me, Op("transfer", key=idempotency_key, from_account=frm.id, to_account=to.id,
                          unit_class=registry.unit_class_id(body.unit_class), quantity=body.quantity))

    @app.post("/registry/surrenders", response_model=TxnRead, status_code=201)
    def surrender(body: SurrenderCreate, me: Me,
                  idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> TxnRead:
        frm = visible_account(registry, me, body.from_account)
        return run(me, Op("surrender", key=idempotency_key, from_account=frm.id,
                          unit_class=registry.unit_class_id(body.unit_class), quantity=body.quantity,
                          compliance_year=body.compliance_year))

    # -- the exchange --------------------------------------------------------------------------------
    @app.get("/market/instruments")
    def instruments() -> list[dict[str, object]]:
        """Public: the instruments traded, with their market and last close (fen)."""
        return hub.instruments()

    @app.get("/market/{instrument}/book")
    def book(instrument: Instrument, levels: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, object]:
        """Public: depth (price fen, tonnes) each side, the reference price and the band."""
        ex, d = hub.depth(instrument, levels)
        return {"instrument": instrument, "currency": "CNY", "reference_fen": ex.reference,
                "band_fen": [ex.rules.band_low, ex.rules.band_high],
                "bids": [{"price_fen": p, "quantity": q} for p, q in d["bids"]],
                "asks": [{"price_fen": p, "quantity": q} for p, q in d["asks"]]}

    @app.get("/market/{instrument}/trades")
    def trades(instrument: Instrument, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               since: datetime | None = None) -> list[dict[str, object]]:
        """Public: the tape, oldest first (ISO times, prices in fen, tonnes)."""
        prints = hub.get(instrument).prints(since, last=limit)
        return [{"at": p.at.isoformat(), "price_fen": p.price, "quantity": p.quantity, "mode": p.mode} for p in prints]

    @app.get("/market/{instrument}/bars")
    def bars_(instrument: Instrument, minutes: Annotated[int | None, Query(ge=1, le=1440)] = None) -> list[dict[str, object]]:
        """Public: OHLCV bars (daily, or intraday of N minutes), listed trades only, Asia/Shanghai."""
        from openets.market.data import bars

        return [{"start": b.start.isoformat(), "open": b.open, "high": b.high, "low": b.low, "close": b.close,
                 "volume": b.volume, "turnover_fen": b.turnover} for b in bars(hub.get(instrument).prints(), minutes=minutes)]

    @app.post("/market/{instrument}/orders", response_model=OrderRead, status_code=201)
    def place(instrument: Instrument, body: OrderCreate, me: Me) -> OrderRead:
        """Place an order for your own account; a refused order answers 422 with its reason code."""
        with hub.locked(instrument) as ex:
            placed = ex.submit(me, account=body.account, side=body.side, quantity=body.quantity,
                               price_fen=body.price_fen, type=body.type, level=body.level, client_id=body.client_id)
        if placed.status == "rejected":
            if placed.reason == "account_not_found":
                raise NotFound("account", body.account)
            raise DomainError(placed.reason or "order_rejected", f"order refused: {placed.reason}")
        return OrderRead(order_id=placed.order_id, status=placed.status, remaining=placed.remaining,
                         reason=placed.reason, trades=[{"price_fen": p, "quantity": q} for p, q in placed.trades])

    @app.delete("/market/{instrument}/orders/{order_id}")
    def cancel(instrument: Instrument, order_id: Annotated[int, Path(ge=1, le=2**53)], me: Me) -> dict[str, object]:
        with hub.locked(instrument) as ex:
            ex.cancel(me, order_id)
        return {"order_id": order_id, "status": "cancelled"}

    @app.get("/market/{instrument}/orders")
    def my_orders(instrument: Instrument, me: Me) -> list[dict[str, object]]:
        """Your party's open orders."""
        return hub.open_orders(instrument, me.party_id)

    @app.post("/market/{instrument}/deposits", response_model=CashRead, status_code=201)
    def deposit(instrument: Instrument, body: DepositCreate, me: Me) -> CashRead:
        """Pay cash in at the instrument's exchange (入金); cash is kept per market."""
        ex = hub.get(instrument)
        ex.deposit(me, body.amount_fen)
        bal, res = ex.cash(me.party_id)
        return CashRead(market=ex.market, balance_fen=bal, reserved_fen=res)

    @app.get("/market/{instrument}/cash", response_model=CashRead)
    def cash(instrument: Instrument, me: Me) -> CashRead:
        ex = hub.get(instrument)
        bal, res = ex.cash(me.party_id)
        return CashRead(market=ex.market, balance_fen=bal, reserved_fen=res)

    # -- compliance --------------------------------------------------------------------------------
    @app.get("/compliance/{market}/{year}/statuses")
    def statuses(market: MarketCode, year: Annotated[int, Path(ge=2005, le=2100)], me: Me) -> list[dict[str, object]]:
        """Regulators of the market and auditors see every company; a company sees its own."""
        from openets.services.compliance import ComplianceService

        rows = ComplianceService(registry).statuses(market, year)
        if not (me.role is Role.AUDITOR or me.is_regulator_of(market)):
            mine = registry.registration_id(me.party_id)
            rows = [r for r in rows if r.company == mine]
        return [{"company": r.company, "status": r.status.code, "code": r.status.letter, "owed": r.status.owed,
                 "surrendered": r.status.surrendered, "shortfall": r.status.shortfall} for r in rows]

    @app.get("/compliance/{market}/{year}/published")
    def published(market: MarketCode, year: Annotated[int, Path(ge=2005, le=2100)]) -> list[dict[str, object]]:
        """Public: the non-compliance list and fines (amounts in fen, CNY)."""
        from openets.services.compliance import Consequences

        registry.rulebook.market(market)
        return [{"company": p.company, "kind": p.kind, "shortfall": p.shortfall, "amount_fen": p.amount_fen,
                 "currency": "CNY", "basis": p.basis} for p in Consequences(registry).published(market, year)]

    from openets.api.capabilities import mount_capabilities
    from openets.web.pages import mount_dashboard

    mount_capabilities(app, registry=registry, current=current)
    mount_dashboard(app, registry=registry, auth=auth, hub=hub, queries=queries, current=current)
    return app
