"""Schemathesis against the OpenAPI document, as a company, a regulator and the auditor: whatever it
sends, no server error, a problem-details answer for every refusal, each answer within the bound; the
auditor's whole run leaves the database's digest as it was (it reads everything and moves nothing).

(Driven through hypothesis directly: schemathesis' pytest fixture integration does not run on this
pytest version.)"""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from tests.fuzz.hostile import API_BOUND_S, TALLY, examples

from openets.api.app import create_app
from openets.services.auth import AuthService
from openets.storage.db import make_engine
from openets.testing.digest import digest

SECRET = "fuzz-secret-of-thirty-two-bytes-or-more"
PW = "correct horse battery"
EXAMPLES = examples(8)  # per operation and role: ~40 operations × 3 roles
SESSION = ("/auth/token", "/auth/logout")  # logging out would end the fuzzing session


@pytest.fixture(scope="module")
def api(fuzz_world):  # type: ignore[no-untyped-def]
    url, w = fuzz_world
    eng = make_engine(url)
    auth = AuthService(w.svc)
    for user in ("BJ-co-0", "BJ-reg-1", "fuzz-auditor"):
        auth.set_password(user, PW)
    app = create_app(eng, secret=SECRET)
    yield app, eng
    eng.dispose()


@pytest.mark.parametrize("user", ["BJ-co-0", "BJ-reg-1", "fuzz-auditor"])
def test_no_server_error_slow_answer_or_raw_body(api, user: str) -> None:  # type: ignore[no-untyped-def]
    app, eng = api
    client = TestClient(app)
    token = client.post("/auth/token", data={"username": user, "password": PW}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 20
    before = digest(eng)
    for op in operations:
        if op.path in SESSION:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None, phases=(Phase.explicit, Phase.generate))
        @given(case=op.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            response = case.call(headers=headers)
            took = time.perf_counter() - t0
            TALLY["api requests tried"] += 1
            case.validate_response(response, checks=[not_a_server_error])
            assert took < API_BOUND_S, (case.method, case.formatted_path, took)
            if response.status_code >= 400:
                kind = response.headers.get("content-type") or [""]  # schemathesis keeps each header as a list
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith(("application/problem+json", "text/html")), (
                    case.method, case.formatted_path, response.status_code, kind, response.text[:300])
                TALLY["api requests refused cleanly"] += 1
            else:
                TALLY["api requests answered"] += 1

        run()
    if user == "fuzz-auditor":
        assert digest(eng) == before, "the auditor's requests changed the database"
