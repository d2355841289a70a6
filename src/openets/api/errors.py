"""Errors as RFC 9457 problem details — every one: refusals, body-parsing and routing errors (404,
405 raised by Starlette itself), and the unexpected (a 500 says nothing of the internals). Bad input
never answers 500."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.services.auth import AuthError

PROBLEM = "application/problem+json"
# a refusal of who is asking (not of what was asked) is 403; every other refusal of the domain 422
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "read_only": 403,
    "not_authorised": 403,
    "approver_not_authorised": 403,
    "actor_authorised": 403,  # the registry's named check: the actor does not hold or regulate the account
    "four_eyes": 403,  # the approver is the proposer's own natural person
    "not_a_representative": 403,
    "not_assigned": 403,  # a verifier not assigned to the report
    "bidder_not_eligible": 403,
    "idempotency_conflict": 409,
    "too_many_attempts": 429,
}


def answer(request: Request, status: int, code: str, detail: str) -> Response:
    """A problem details answer; for the dashboard's pages an HTML page saying the same (the renderer
    the dashboard puts on ``app.state.error_page``)."""
    request.state.problem = code  # the audit row's answer
    render = getattr(request.app.state, "error_page", None)
    if render is not None:
        page = render(request, status, code, detail)
        if page is not None:
            return page
    return problem(status, code, detail, request.url.path)


def problem(status: int, code: str, detail: str, instance: str = "") -> JSONResponse:
    return JSONResponse({"type": f"https://openets.dev/problems/{code}", "title": code.replace("_", " "),
                         "status": status, "detail": detail, "instance": instance}, status_code=status,
                        media_type=PROBLEM)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, AuthError):
        return answer(request, 401, exc.code, exc.message)
    if isinstance(exc, NotFound):
        return answer(request, 404, "not_found", exc.message)
    if isinstance(exc, IdempotencyConflict):
        return answer(request, 409, exc.code, exc.message)
    return answer(request, STATUS.get(exc.code, 422), exc.code, exc.message)


async def invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(x) for x in first.get("loc", ()))
    return answer(request, 422, "request_invalid", f"{where}: {first.get('msg', 'invalid')}")


async def bad_data(request: Request, exc: Exception) -> Response:
    # the database refused a value the routes let through (a NUL byte, a string too long for
    # its column …): the request's fault, said as such
    return answer(request, 422, "request_invalid", "a value in the request is not acceptable (its length or characters)")


_HTTP_CODES = {400: "request_invalid", 401: "unauthorised", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "request_too_large", 415: "unsupported_media_type"}


async def http_error(request: Request, exc: Exception) -> Response:
    # Starlette's own (routing: 404, 405) and FastAPI's (a subclass: body parsing) alike
    assert isinstance(exc, HTTPException)
    resp = answer(request, exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail))
    for name, value in (exc.headers or {}).items():
        resp.headers[name] = value
    return resp


async def overflow(request: Request, exc: Exception) -> Response:
    # a number the schemas let through that the database driver cannot bind (SQLite: beyond 2**63)
    return answer(request, 422, "number_too_large", "a number in the request is beyond the range kept (2**63)")


async def unexpected(request: Request, exc: Exception) -> Response:
    logging.getLogger("openets.api").exception("unexpected error on %s %s", request.method, request.url.path)
    return answer(request, 500, "internal_error", "the server failed to answer this request; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(DataError, bad_data)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OverflowError, overflow)
    app.add_exception_handler(Exception, unexpected)
