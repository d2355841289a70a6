"""Schemathesis against the OpenAPI spec: whatever it sends, the API never answers 500.

(Driven through hypothesis directly: schemathesis' pytest fixture integration does not run on this
pytest version.)"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from openets.api.app import create_app
from openets.services.auth import AuthService
from openets.testing.builders import build_world

SECRET = "fuzz-secret-of-thirty-two-bytes-or-more"


def test_no_server_errors(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    AuthService(w.svc).set_password("BJ-co-0", "correct horse battery")
    app = create_app(engine, secret=SECRET)
    token = TestClient(app).post("/auth/token", data={"username": "BJ-co-0",
                                                      "password": "correct horse battery"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 6
    for op in operations:
        if op.path in ("/auth/token", "/auth/logout"):  # logging out would end the fuzzing session
            continue

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=op.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
