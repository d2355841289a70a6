"""What the API tests share: a Beijing world behind the app, users with passwords, logging in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from openets.api.app import create_app
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
