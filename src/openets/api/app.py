"""``create_app``: the REST API. Errors are RFC 9457 problem details; bad input never answers 500."""


from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import Engine, insert, text

from openets import __version__
from openets.core.actor import Actor
from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.registry.engine import to_us
from openets.services.access import visible_account
from openets.services.auth import AuthError, AuthService
from openets.services.ops import Op
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction

PROBLEM = "application/problem+json"
STATUS = {"not_found": 404, "idempotency_conflict": 409, "too_many_attempts": 429}


def problem(status: int, code: str, detail: str, instance: str = "") -> JSONResponse:
    return JSONResponse({"type": f"https://openets.dev/problems/{code}", "title": code.replace("_", " "),
                         "status": status, "detail": detail, "instance": instance}, status_code=status,
                        media_type=PROBLEM)


class TransferCreate(BaseModel):
    unit_class: str = Field(examples=["BEA-2016"])
    quantity: int = Field(gt=0, description="whole tonnes")
    from_account: str
    to_account: str


class SurrenderCreate(BaseModel):
    unit_class: str
    quantity: int = Field(gt=0, description="whole tonnes")
    from_account: str
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


def create_app(engine: Engine, *, secret: str | None = None) -> FastAPI:
    registry = RegistryService(engine)
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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_error", str(exc.detail), request.url.path)

    @app.middleware("http")
    async def audit(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            row = {"user_name": getattr(request.state, "user", None), "method": request.method,
                   "path": request.url.path, "status": response.status_code, "at_us": to_us(registry.clock.now())}
            run_in_transaction(engine, lambda c: c.execute(insert(t.audit_log).values(**row)))
        return response

    def current(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
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
    def balances(number: str, me: Me) -> list[BalanceRead]:
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
        to = registry.account(body.to_account)
        uc = registry.unit_class(body.unit_class)
        return run(me, Op("transfer", key=idempotency_key, from_account=frm.id, to_account=to.id, unit_class=uc.id,
                          quantity=body.quantity))

    @app.post("/registry/surrenders", response_model=TxnRead, status_code=201)
    def surrender(body: SurrenderCreate, me: Me,
                  idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> TxnRead:
        frm = visible_account(registry, me, body.from_account)
        uc = registry.unit_class(body.unit_class)
        return run(me, Op("surrender", key=idempotency_key, from_account=frm.id, unit_class=uc.id,
                          quantity=body.quantity, compliance_year=body.compliance_year))

    return app
