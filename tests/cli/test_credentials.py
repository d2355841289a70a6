"""`openets users password` and `users revoke` are acts of an acting user (the logged-in one, or `--as`
in local administration mode), decided by the service's grant rules: a password only one's own or by an
administrator; a revocation by oneself, an administrator, or a regulator of the user's market for the
company, investor and verifier users it could grant. A refusal is one line, changes no credential and
no token, and has its audit row."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from tests.fuzz.hostile import TALLY, write_tally
from typer.testing import CliRunner

from openets.cli.app import app
from openets.storage.db import make_engine

runner = CliRunner()
PW = "a long password"


def call(db: str, *args: str, ok: bool = True, stdin: str | None = None) -> dict:  # type: ignore[type-arg]
    r = runner.invoke(app, [*args, "--db", db, "--json"], input=stdin)
    if ok:
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)  # type: ignore[no-any-return]
    lines = r.stderr.strip().splitlines()
    assert r.exit_code != 0 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    TALLY["role-boundary cases refused"] += 1
    return {"stderr": lines[0]}


def credentials(db: str) -> list[tuple[object, ...]]:
    """What a refusal must leave as it was: every password hash and every token's standing."""
    with make_engine(db).connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT 'cred', user_name, password_hash FROM credentials UNION ALL "
            "SELECT 'token', user_name, CAST(revoked AS TEXT) FROM api_tokens ORDER BY 1, 2, 3"))]


@pytest.fixture
def people(db_url: str) -> str:
    db = db_url
    call(db, "registry", "init")
    call(db, "users", "create", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")
    for name in ("li", "wang"):
        call(db, "users", "create", name, "--role", "regulator", "--market", "BJ", "--person", f"P-{name}",
             "--as", "root")
    bj = call(db, "registry", "add-party", "--kind", "company", "--name", "甲", "--market", "BJ",
              "--registration-id", "R1", "--as", "li")["party"]
    sh = call(db, "registry", "add-party", "--kind", "company", "--name", "乙", "--market", "SH",
              "--registration-id", "R2", "--as", "root")["party"]
    aud = call(db, "registry", "add-party", "--kind", "regulator", "--name", "审计", "--registration-id", "A1", "--as", "root")["party"]
    call(db, "users", "create", "zhao", "--role", "company", "--party", str(bj), "--as", "li")
    call(db, "users", "create", "sun", "--role", "company", "--party", str(sh), "--as", "root")
    call(db, "users", "create", "aud", "--role", "auditor", "--party", str(aud), "--as", "root")
    for name in ("root", "li", "wang", "zhao", "sun", "aud"):
        call(db, "users", "password", name, "--as", "root", stdin=PW + "\n")  # an administrator sets anyone's
    return db


def test_a_password_is_set_by_oneself_or_an_administrator(people: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = people
    before = credentials(db)
    for who, target, why in (("li", "zhao", "only its own password"),  # a regulator: not others' passwords
                             ("zhao", "li", "only its own password"),
                             ("wang", "li", "only its own password"),  # a fellow regulator neither
                             ("aud", "zhao", "changes nothing"),  # the auditor moves nothing
                             ("root", "nobody", "not found")):
        refused = call(db, "users", "password", target, "--as", who, stdin="another long password\n", ok=False)
        assert why in refused["stderr"], (who, target, refused)
    assert "not logged in" in call(db, "users", "password", "zhao", stdin="another long password\n",
                                   ok=False)["stderr"]  # nobody acting: refused, no longer anyone's to set
    assert credentials(db) == before  # nothing changed by any refusal
    call(db, "users", "password", "zhao", "--as", "zhao", stdin="zhao's own new one\n")  # oneself
    call(db, "users", "password", "aud", "--as", "aud", stdin="the auditor's own\n")  # one's own, even the auditor
    changed = {r[1] for r in set(credentials(db)) - set(before)}
    assert changed == {"zhao", "aud"}
    # logged in (no local administration): the session's user is the acting one
    monkeypatch.delenv("OPENETS_LOCAL_ADMIN")
    call(db, "login", "li", "--password-stdin", stdin=PW + "\n")
    assert "only its own password" in call(db, "users", "password", "wang", stdin="x" * 12 + "\n", ok=False)["stderr"]
    call(db, "users", "password", "li", stdin="li's new password\n")
    call(db, "logout")
    call(db, "login", "li", "--password-stdin", stdin="li's new password\n")  # the new one works
    with make_engine(db).connect() as c:
        rows = c.execute(text("SELECT user_name, status, answer FROM audit_log WHERE action = "
                              "'openets.users.password' ORDER BY id")).all()
    assert ("li", 1, "not_authorised") in rows and ("aud", 1, "read_only") in rows and ("zhao", 0, "ok") in rows
    write_tally()


def test_a_revocation_by_oneself_an_administrator_or_the_markets_regulator(people: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = people
    monkeypatch.delenv("OPENETS_LOCAL_ADMIN")
    for name in ("zhao", "sun", "wang"):  # each gets a session to lose (the last login's file is wang's)
        call(db, "login", name, "--password-stdin", stdin=PW + "\n")
    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    before = credentials(db)
    for who, target, why in (("li", "sun", "company role of SH"),  # another market's company
                             ("li", "wang", "regulator role of BJ"),  # a fellow regulator: not a role li grants
                             ("li", "root", "administrator role of BJ"),
                             ("zhao", "sun", "may not revoke"),  # a company revokes nobody else
                             ("aud", "zhao", "changes nothing"),
                             ("li", "nobody", "not found")):
        refused = call(db, "users", "revoke", target, "--as", who, ok=False)
        assert why in refused["stderr"], (who, target, refused)
    assert credentials(db) == before
    assert call(db, "users", "revoke", "zhao", "--as", "li")["revoked"] == 1  # BJ's regulator, a BJ company user
    assert call(db, "users", "revoke", "sun", "--as", "sun")["revoked"] == 1  # oneself
    assert call(db, "users", "revoke", "wang", "--as", "root")["revoked"] == 1  # the administrator, anyone
    with make_engine(db).connect() as c:
        assert c.execute(text("SELECT count(*) FROM api_tokens WHERE revoked = 0")).scalar() == 0
        rows = c.execute(text("SELECT user_name, status, answer FROM audit_log WHERE action = "
                              "'openets.users.revoke' ORDER BY id")).all()
    assert [(r.user_name, r.status) for r in rows] == [
        ("li", 1), ("li", 1), ("li", 1), ("zhao", 1), ("aud", 1), ("li", 1), ("li", 0), ("sun", 0), ("root", 0)]
    monkeypatch.delenv("OPENETS_LOCAL_ADMIN")
    assert "log in again" in call(db, "whoami", ok=False)["stderr"]  # wang's session (the file's) ended
    write_tally()
