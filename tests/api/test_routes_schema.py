"""Every API route declares its response model and a unique, stable operation id; /openapi.json builds."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from openets.api.app import create_app


def _app():  # type: ignore[no-untyped-def]
    return create_app(create_engine("sqlite://"), secret="schema-secret-of-thirty-two-bytes-or-more")


def test_every_route_has_a_response_model_and_a_unique_operation_id() -> None:
    app = _app()
    routes = [r for r in iter_route_contexts(app.routes) if r.methods]  # the routers' routes flattened
    api = [r for r in routes if r.include_in_schema]
    assert len(api) == 42  # with the four /falsification routes, GET /registry/verification, GET /audit, GET /compliance/{m}/{y}/rates,
    # POST /registry/limits, GET /registry/accounts/{n}/limits
    assert [f"{sorted(r.methods)} {r.path}" for r in api if r.response_model is None] == []
    assert all(r.tags for r in api)  # each route belongs to its capability's router
    ids = [r.unique_id for r in routes if hasattr(r, "unique_id")]  # the dashboard's pages too
    assert len(ids) == len(routes) - 1  # all but /openapi.json (/docs, /redoc: routes of api/docs.py, served offline)
    assert len(ids) == len(set(ids))
    assert {r.unique_id for r in api} >= {"market-place", "registry-transfer", "mrv-get_report", "auctions-bid"}


def test_openapi_builds_with_the_schemas_and_problem_details() -> None:
    schema = TestClient(_app()).get("/openapi.json").json()
    ops = [op for path in schema["paths"].values() for op in path.values()]
    assert len(ops) == 42 and len({op["operationId"] for op in ops}) == 42
    for op in ops:
        ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
        assert ok["content"]["application/json"]["schema"], op["operationId"]
        problem = op["responses"]["4XX"]["content"]
        assert problem["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    for name in ("TxnRead", "BookRead", "ReportRead", "ReportPage", "AllocationPage", "ProjectPage", "AuctionRead"):
        assert name in schema["components"]["schemas"]
