"""Issue 19 item 5: creating a user or granting a role is an act of an administrator (any role) or a
regulator (company, investor, verifier users of its own market), audited with who did it. The attack:
one person proposes an issuance, then tries to create a second regulator of the same market to
approve it — refused, and the issued total unchanged. The bootstrap works once, on an empty registry."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app
from openets.storage.db import make_engine

runner = CliRunner()


def reg(db: str, *args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
    r = runner.invoke(app, ["registry", args[0], "--db", db, "--json", *args[1:]])
    if ok:
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)  # type: ignore[no-any-return]
    lines = r.stderr.strip().splitlines()
    assert r.exit_code != 0 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return {"stderr": lines[0]}


def issued(db: str) -> int:
    return sum(int(x["issued"]) for x in reg(db, "totals"))  # type: ignore[arg-type,union-attr]


def test_a_proposer_cannot_create_the_regulator_who_would_approve(db_url: str) -> None:
    reg(db_url, "init")
    reg(db_url, "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")
    reg(db_url, "add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    reg(db_url, "create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "5000000", "--as", "li")
    txn = reg(db_url, "issue", "BEA-2016", "1000000", "--to", "BJ-ISSUANCE", "--as", "li", "--key", "i1")
    assert issued(db_url) == 0  # awaiting a second person
    refused = reg(db_url, "add-user", "li-2", "--role", "regulator", "--market", "BJ", "--person", "P-li-2",
                  "--as", "li", ok=False)
    assert "may not grant the regulator role" in refused["stderr"]
    nobody = reg(db_url, "add-user", "li-2", "--role", "regulator", "--market", "BJ", "--person", "P-li-2", ok=False)
    assert "only the first administrator" in nobody["stderr"]  # without an acting user: refused too
    # no second regulator exists to approve: the approval as "li-2" finds no such user
    reg(db_url, "approve", str(txn["txn"]), "--as", "li-2", ok=False)
    assert issued(db_url) == 0  # the issued total did not grow
    with make_engine(db_url).connect() as c:
        assert c.execute(text("SELECT count(*) FROM users WHERE name = 'li-2'")).scalar() == 0
        rows = c.execute(text("SELECT user_name, source, action, status, answer FROM audit_log "
                              "WHERE action = 'openets.registry.add-user' ORDER BY id")).all()
    # the bootstrap, the admin's grant, and the refused grant by li: each its own row, with who did it
    assert [(r.user_name, r.source, r.status) for r in rows] == [
        (None, "cli-bootstrap", 0), ("root", "cli-local-admin", 0), ("li", "cli-local-admin", 1)]
    assert rows[2].answer == "not_authorised"


def test_admin_creates_a_regulator_who_creates_company_users_of_its_market_only(db_url: str) -> None:
    reg(db_url, "init")
    reg(db_url, "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")
    assert "person" in reg(db_url, "add-user", "li", "--role", "regulator", "--market", "BJ", "--as", "root",
                           ok=False)["stderr"]  # a regulator needs a natural person
    reg(db_url, "add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    bj = reg(db_url, "add-party", "--kind", "company", "--name", "甲", "--market", "BJ", "--registration-id", "R1", "--as", "li")
    sh = reg(db_url, "add-party", "--kind", "company", "--name", "乙", "--market", "SH", "--registration-id", "R2", "--as", "root")
    reg(db_url, "add-user", "zhao", "--role", "company", "--party", str(bj["party"]), "--as", "li")
    assert "grants roles only for parties of BJ" in reg(db_url, "add-user", "sun", "--role", "company", "--party",
                                                         str(sh["party"]), "--as", "li", ok=False)["stderr"]
    reg(db_url, "add-user", "sun", "--role", "company", "--party", str(sh["party"]), "--as", "root")  # the admin may
    refused = reg(db_url, "add-user", "li-3", "--role", "administrator", "--market", "BJ", "--person", "P-3",
                  "--as", "li", ok=False)  # a regulator grants no administrator
    assert "may not grant" in refused["stderr"]
    refused = reg(db_url, "add-user", "x", "--role", "regulator", "--party", str(bj["party"]), "--market", "BJ",
                  "--person", "P-x", "--as", "zhao", ok=False)  # a company user grants nothing
    assert "may not grant" in refused["stderr"]


def test_the_bootstrap_works_once(db_url: str) -> None:
    reg(db_url, "init")
    reg(db_url, "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")
    again = reg(db_url, "add-user", "root-2", "--role", "administrator", "--market", "BJ", "--person", "P-2",
                ok=False)
    assert "only the first administrator" in again["stderr"]
    r = runner.invoke(app, ["users", "create", "root-3", "--role", "administrator", "--market", "SH", "--person",
                            "P-3", "--db", db_url])
    assert r.exit_code == 1 and "only the first administrator" in r.stderr
    r = runner.invoke(app, ["users", "grant", "root", "--role", "regulator", "--market", "SH", "--db", db_url])
    assert r.exit_code == 1 and "only the first administrator" in r.stderr  # granting needs an actor too
    r = runner.invoke(app, ["users", "grant", "root", "--role", "regulator", "--market", "SH", "--as", "root",
                            "--db", db_url, "--json"])
    assert r.exit_code == 0, r.stderr  # the administrator (a person recorded) may
