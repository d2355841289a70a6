"""Schemathesis on the data-quality routes (/falsification) with the national market behind them, as
its two regulators (the general API fuzz runs them on Beijing, whose rules state no data-quality
sanction, so it refuses before the arithmetic): a finding recorded by the first regulator for the
second to decide, every request generated from the schema — no server error, a problem-details answer
for every refusal, each within the bound."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import text
from tests.conftest import ON_PG, PG_URL
from tests.fuzz.hostile import API_BOUND_S, TALLY, examples, write_tally

from openets.api.app import create_app
from openets.core.clock import FixedClock
from openets.services.auth import AuthService
from openets.services.falsification import FalsificationService
from openets.services.reports import ReportService
from openets.storage.db import make_engine
from openets.storage.tables import metadata
from openets.testing.builders import build_world

SECRET = "fuzz-secret-of-thirty-two-bytes-or-more"
PW = "correct horse battery"
CLOCK = FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC))  # Decree 775 in force


@pytest.fixture(scope="module")
def cea(_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if ON_PG:
        url = PG_URL
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER SEQUENCE txn_ids RESTART WITH 1"))
    else:
        path = tmp_path_factory.mktemp("fuzz-falsif") / "world.db"
        shutil.copy(_template, path)
        url = f"sqlite:///{path}"
        eng = make_engine(url)
    w = build_world(eng, CLOCK, market="CEA", vintage=2024, companies=2, issue=0, allocate=0)
    for i in range(2):
        ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company=f"CEA-REG-{i:05d}",
                                               emissions=Decimal(1000))
    FalsificationService(w.svc).record(w.reg, market="CEA", company="CEA-REG-00000", year=2023, kind="falsified",
                                       basis="invoices altered")  # finding 1, for the second regulator to decide
    auth = AuthService(w.svc)
    for user in ("CEA-reg-1", "CEA-reg-2"):
        auth.set_password(user, PW)
    yield create_app(eng, secret=SECRET, clock=CLOCK)
    eng.dispose()
    write_tally()


@pytest.mark.parametrize("user", ["CEA-reg-1", "CEA-reg-2"])
def test_the_data_quality_routes_never_fail_the_server(cea, user: str) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(cea)
    token = client.post("/auth/token", data={"username": user, "password": PW}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", cea)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/falsification")]
    assert len(operations) == 4
    answered: dict[int, int] = {}
    for op in operations:

        @settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None, phases=(Phase.explicit, Phase.generate))
        @given(case=op.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            if case.path_parameters and "finding_id" in case.path_parameters and case.method == "POST":
                case.path_parameters["finding_id"] = 1  # the recorded finding: its decision's arithmetic is reached
            t0 = time.perf_counter()
            response = case.call(headers=headers)
            took = time.perf_counter() - t0
            TALLY["api requests tried"] += 1
            case.validate_response(response, checks=[not_a_server_error])
            assert took < API_BOUND_S, (case.method, case.formatted_path, took)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            if response.status_code >= 400:
                kind = response.headers.get("content-type") or [""]
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith("application/problem+json"), (case.method, case.formatted_path, response.text)
                TALLY["api requests refused cleanly"] += 1
            else:
                TALLY["api requests answered"] += 1

        run()
    assert not any(code >= 500 for code in answered), answered
    assert any(200 <= code < 300 for code in answered), answered  # the reads at least answered
