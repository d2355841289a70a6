"""What the API tests share: a Beijing world behind the app, users with passwords, logging in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from openets.api.app import create_app
from openets.core.clock import FixedClock
from openets.services.auth import AuthService
from openets.testing.builders import World, build_world

PW = "correct horse battery"
SECRET = "test-secret-of-thirty-two-bytes-or-more"


@pytest.fixture
def make_api(engine, clock) -> Callable[..., tuple[TestClient, World]]:  # type: ignore[no-untyped-def]
    """``make_api(users, setup=None)``: build the world (two Beijing companies), run ``setup(world)`` to
    add parties and users, give ``users`` the password, and serve the app on the test clock."""

    def make(users: tuple[str, ...], setup: Callable[[World], None] | None = None) -> tuple[TestClient, World]:
        w = build_world(engine, clock)
        if setup is not None:
            setup(w)
        auth = AuthService(w.svc)
        for user in users:
            auth.set_password(user, PW)
        return TestClient(create_app(engine, secret=SECRET, clock=clock)), w

    return make


@pytest.fixture
def login() -> Callable[[TestClient, str], dict[str, str]]:
    def do(c: TestClient, user: str) -> dict[str, str]:
        r = c.post("/auth/token", data={"username": user, "password": PW})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return do


CEA_CLOCK = FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC))  # Decree 775 in force (1 May 2024)
CEA_USERS = ("CEA-reg-1", "CEA-reg-2", "CEA-co-0", "BJ-reg-1", "auditor")


@pytest.fixture
def cea_api(engine):  # type: ignore[no-untyped-def]
    """The national market's two regulators and two companies (A with its 2023 report determined), a
    Beijing regulator, an auditor; the app on 3 March 2025 (Decree 775 in force). Returns the client,
    the world and each user's bearer header."""
    from decimal import Decimal

    from openets.core.actor import SYSTEM_SETUP, Role
    from openets.registry.model import PartyKind
    from openets.services.reports import ReportService
    from openets.testing.builders import market_regulators

    w = build_world(engine, CEA_CLOCK, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000",
                                           emissions=Decimal(90_000))
    market_regulators(w.svc, "BJ")
    aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=aud, role=Role.AUDITOR)
    auth = AuthService(w.svc)
    for user in CEA_USERS:
        auth.set_password(user, PW)
    c = TestClient(create_app(engine, secret=SECRET, clock=CEA_CLOCK))
    tokens = {}
    for user in CEA_USERS:
        r = c.post("/auth/token", data={"username": user, "password": PW})
        assert r.status_code == 200, r.text
        tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return c, w, tokens
