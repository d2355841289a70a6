"""The authenticated command line: `openets login` keeps an owner-only, expiring session per database;
commands act as the logged-in user; `--as` is refused outside the local administration mode (and
audited as such inside it); `registry pending` lists what waits for a second regulator; every change
and refusal has its audit row, readable with `openets audit`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app
from openets.storage.db import make_engine

runner = CliRunner()
PW = "a long password"


def call(db: str, *args: str, ok: bool = True, stdin: str | None = None) -> dict | list | str:  # type: ignore[type-arg]
    r = runner.invoke(app, [*args, "--db", db, "--json"], input=stdin)
    if ok:
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)  # type: ignore[no-any-return]
    assert r.exit_code != 0 and "Traceback" not in r.stderr
    return r.stderr.strip()


@pytest.fixture
def market(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    call(db_url, "registry", "init")
    call(db_url, "users", "create", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")
    for name in ("li", "wang"):
        call(db_url, "users", "create", name, "--role", "regulator", "--market", "BJ", "--person", f"P-{name}",
             "--as", "root", "--password-stdin", stdin=PW + "\n")
    call(db_url, "registry", "create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "1000000",
         "--as", "li")
    monkeypatch.delenv("OPENETS_LOCAL_ADMIN")  # from here on, as people without the database in hand
    return db_url


def audit_rows(db: str) -> list[dict[str, object]]:
    with make_engine(db).connect() as c:
        return [dict(r._mapping) for r in c.execute(text("SELECT * FROM audit_log ORDER BY id"))]


def test_login_acts_as_the_user_and_four_eyes_hold(market: str, tmp_path: Path) -> None:
    db = market
    assert "not logged in" in call(db, "registry", "issue", "BEA-2016", "1000", "--to", "BJ-ISSUANCE", ok=False)
    refused = call(db, "registry", "issue", "BEA-2016", "1000", "--to", "BJ-ISSUANCE", "--as", "li", ok=False)
    assert "local administration" in refused  # --as without a credential
    assert "wrong user name or password" in call(db, "login", "li", "--password-stdin", stdin="nope\n", ok=False)
    got = call(db, "login", "li", "--password-stdin", stdin=PW + "\n")
    session = Path(got["session_file"])  # type: ignore[index]
    assert session.is_relative_to(tmp_path) and stat.S_IMODE(session.stat().st_mode) == 0o600
    assert PW not in session.read_text()
    assert call(db, "whoami")["user"] == "li"  # type: ignore[index]
    txn = call(db, "registry", "issue", "BEA-2016", "2000", "--to", "BJ-ISSUANCE", "--key", "k1")
    assert txn["status"] == "awaiting_approval"  # type: ignore[index]
    # the proposer sees it as theirs, and is refused approving it
    mine = call(db, "registry", "pending")
    assert [(t["kind"], t["id"], t["yours"]) for t in mine] == [("transaction", str(txn["txn"]), True)]  # type: ignore[index]
    # what it is, from the catalogue: in English by default, in Chinese with --lang zh
    assert mine[0]["what"] == "issuance 2,000 t BEA-2016 → BJ-ISSUANCE"  # type: ignore[index]
    assert call(db, "registry", "pending", "--lang", "zh")[0]["what"] == "签发 2,000 吨 BEA-2016 → BJ-ISSUANCE"  # type: ignore[index]
    assert "[lang_invalid]" in call(db, "registry", "pending", "--lang", "fr", ok=False)
    assert "[four_eyes]" in call(db, "registry", "approve", str(txn["txn"]), ok=False)  # type: ignore[index]
    assert "logged in as li" in call(db, "registry", "pending", "--as", "wang", ok=False)
    call(db, "logout")
    assert "not logged in" in call(db, "registry", "pending", ok=False)
    call(db, "login", "wang", "--password-stdin", stdin=PW + "\n")
    theirs = call(db, "registry", "pending")
    assert [(t["id"], t["yours"], t["proposed_by"]) for t in theirs] == [(str(txn["txn"]), False, "li")]  # type: ignore[index]
    assert call(db, "registry", "approve", str(txn["txn"]))["status"] == "completed"  # type: ignore[index]
    assert call(db, "registry", "pending") == []
    rows = audit_rows(db)
    by = [(r["user_name"], r["role"], r["source"], r["action"], r["answer"]) for r in rows]
    # the set-up in local administration mode says so; the logged-in users' rows say cli
    assert ("li", "regulator", "cli-local-admin", "openets.registry.create-unit-class", "ok") in by
    assert ("li", "regulator", "cli", "openets.registry.issue", "ok") in by
    assert ("wang", "regulator", "cli", "openets.registry.approve", "ok") in by
    four_eyes = [r for r in rows if r["user_name"] == "li" and r["action"] == "openets.registry.approve"]
    assert len(four_eyes) == 1 and four_eyes[0]["status"] == 1 and four_eyes[0]["answer"] != "ok"  # refused, recorded
    assert all(r["market_at_us"] is None for r in rows)  # the system clock: one time on the row
    # read back through `openets audit`, filtered
    seen = call(db, "audit", "--user", "li", "--action", "openets.registry")
    assert {r["action"] for r in seen} >= {"openets.registry.issue", "openets.registry.approve"}  # type: ignore[index]
    assert all(r["user"] == "li" for r in seen)  # type: ignore[index]


def test_an_expired_or_revoked_session_is_refused(market: str) -> None:
    db = market
    call(db, "login", "li", "--password-stdin", stdin=PW + "\n")
    with make_engine(db).begin() as c:
        c.execute(text("UPDATE api_tokens SET expires_us = 0 WHERE user_name = 'li'"))
    assert "expired" in call(db, "registry", "pending", ok=False)
    call(db, "login", "li", "--password-stdin", stdin=PW + "\n")
    assert call(db, "registry", "pending") == []
    call(db, "users", "revoke", "li")
    assert "log in again" in call(db, "registry", "pending", ok=False)


def test_users_list_names_each_party(market: str) -> None:
    rows = call(market, "users", "list")
    li = next(r for r in rows if r["user"] == "li")  # type: ignore[index,union-attr]
    assert li["role"] == "regulator" and li["market"] == "BJ" and li["password"] is True
    assert li["party_name"] and li["credit_code"] == "—"  # the market's registry has no credit code
