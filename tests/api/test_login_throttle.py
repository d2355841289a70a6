"""Issue 19 item 6: failed logins are counted in the database — per user name and per client
address — so the limit holds across app instances (workers) and restarts; X-Forwarded-For counts
only when configured; an unknown user costs the same password hash as a known one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import openets.services.auth as auth_module
from openets.api.app import create_app
from openets.services.auth import FAILURES_PER_CLIENT, FAILURES_PER_USER, AuthService

PW, SECRET = "correct horse battery", "test-secret-of-thirty-two-bytes-or-more"  # as tests/api/conftest.py


def token(c: TestClient, user: str, password: str, **headers: str) -> int:
    return c.post("/auth/token", data={"username": user, "password": password}, headers=headers).status_code


def test_lock_out_holds_across_two_app_instances_and_a_restart(make_api, engine, clock) -> None:  # type: ignore[no-untyped-def]
    c1, _ = make_api(("BJ-co-0",))
    c2 = TestClient(create_app(engine, secret=SECRET, clock=clock))  # a second worker on the same database
    for i in range(FAILURES_PER_USER):  # 5 wrong passwords, alternating between the workers
        assert token(c1 if i % 2 else c2, "BJ-co-0", f"wrong {i}") == 401
    assert token(c1, "BJ-co-0", PW) == 429  # locked, even with the right password, on both
    assert token(c2, "BJ-co-0", PW) == 429
    c3 = TestClient(create_app(engine, secret=SECRET, clock=clock))  # a restart keeps the count
    assert token(c3, "BJ-co-0", PW) == 429
    assert token(c3, "BJ-co-1", "wrong") == 401  # another user name is not locked by it


def test_a_new_forwarded_address_per_try_does_not_bypass_it(make_api, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = make_api(("BJ-co-0",))
    for i in range(FAILURES_PER_USER + 3):
        assert token(c, "BJ-co-0", "wrong", **{"X-Forwarded-For": f"10.0.0.{i}"}) == (
            401 if i < FAILURES_PER_USER else 429)
    assert token(c, "BJ-co-0", PW, **{"X-Forwarded-For": "10.9.9.9"}) == 429
    # configured to trust a proxy, the header names the address; the user name's own count still holds
    auth = AuthService(c.app.state.services.registry, forwarded=True)
    assert auth.client_of("127.0.0.1", "203.0.113.7, 10.0.0.1") == "10.0.0.1"  # the proxy's own entry: the last
    assert AuthService(c.app.state.services.registry, forwarded=False).client_of("127.0.0.1", "10.0.0.1") == "127.0.0.1"
    with pytest.raises(auth_module.DomainError) as refused:
        auth.login("BJ-co-0", PW, client=auth.client_of("127.0.0.1", "198.51.100.1"))
    assert refused.value.code == "too_many_attempts"


def test_spraying_many_user_names_from_one_address_is_limited(make_api) -> None:  # type: ignore[no-untyped-def]
    c, _ = make_api(("BJ-co-0",))
    names = [f"user-{i}" for i in range(FAILURES_PER_CLIENT)]  # 20 names × 1 password: none reaches 5 of its own
    for name in names:
        assert token(c, name, "Password1!") == 401
    assert token(c, "user-new", "Password1!") == 429  # the address is limited, for any name
    assert token(c, "BJ-co-0", PW) == 429  # a real user's right password, from that address, too
    other = c.app.state.services.auth
    assert other.login("BJ-co-0", PW, client="192.0.2.1").access_token  # from elsewhere the user still logs in


def test_unknown_and_known_users_both_cost_a_hash(make_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c, _ = make_api(("BJ-co-0",))
    calls: list[str] = []
    real = auth_module._hasher

    class Counting:
        def verify(self, digest: str, password: str) -> bool:
            calls.append(digest)
            return real.verify(digest, password)

    monkeypatch.setattr(auth_module, "_hasher", Counting())
    assert token(c, "nobody-at-all", "wrong") == 401
    assert token(c, "BJ-co-0", "wrong") == 401
    assert len(calls) == 2 and all(d.startswith("$argon2id$") for d in calls)  # one argon2 verify each
    assert calls[0] != calls[1]  # the unknown user's against the dummy hash, the known one's against theirs
