"""Errors as RFC 9457 problem details; bad input never answers 500."""

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.services.auth import AuthError

PROBLEM = "application/problem+json"
STATUS = {"not_found": 404, "idempotency_conflict": 409, "too_many_attempts": 429}


def problem(status: int, code: str, detail: str, instance: str = "") -> JSONResponse:
    return JSONResponse({"type": f"https://openets.dev/problems/{code}", "title": code.replace("_", " "),
                         "status": status, "detail": detail, "instance": instance}, status_code=status,
                        media_type=PROBLEM)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, AuthError):
        return problem(401, exc.code, exc.message, request.url.path)
    if isinstance(exc, NotFound):
        return problem(404, "not_found", exc.message, request.url.path)
    if isinstance(exc, IdempotencyConflict):
        return problem(409, exc.code, exc.message, request.url.path)
    return problem(STATUS.get(exc.code, 422), exc.code, exc.message, request.url.path)


async def invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(x) for x in first.get("loc", ()))
    return problem(422, "request_invalid", f"{where}: {first.get('msg', 'invalid')}", request.url.path)


async def bad_data(request: Request, exc: Exception) -> JSONResponse:
    # the database refused a value the routes let through (a NUL byte, a string too long for
    # its column …): the request's fault, said as such
    return problem(422, "request_invalid", "a value in the request is not acceptable (its length or characters)",
                   request.url.path)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, "http_error", str(exc.detail), request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(DataError, bad_data)
    app.add_exception_handler(HTTPException, http_error)
