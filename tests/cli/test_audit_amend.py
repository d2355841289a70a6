"""A CLI command whose service call committed (writing the command's audit row, "ok") and whose later
step then refused: the command's one audit row is amended to the refusal, never left saying ok."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app
from openets.cli.session import Failure, acting, audited
from openets.core.errors import DomainError
from openets.services.auth import AuthService
from openets.services.registry import RegistryService
from openets.storage.db import make_engine

PW = "a long password"


def _rows(db: str) -> list[dict[str, object]]:
    with make_engine(db).connect() as c:
        return [dict(r._mapping) for r in c.execute(text("SELECT * FROM audit_log ORDER BY id"))]


@pytest.fixture
def db(db_url: str) -> str:
    for args in (["registry", "init"],
                 ["users", "create", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root"]):
        r = CliRunner().invoke(app, [*args, "--db", db_url, "--json"])
        assert r.exit_code == 0, r.stderr
    return db_url


@pytest.mark.parametrize("refusal", [DomainError("later_refused", "a later step refused"), Failure("no")])
def test_a_refusal_after_a_commit_amends_the_commands_row(db: str, refusal: Exception) -> None:
    before = len(_rows(db))
    svc = RegistryService(make_engine(db))
    with pytest.raises(type(refusal)), audited():
        actor = acting(svc, "root")  # local administration mode (tests/cli/conftest.py)
        AuthService(svc).set_password("root", PW, actor=actor)  # commits, and writes the row: ok
        assert _rows(db)[-1]["answer"] == "ok"
        raise refusal
    rows = _rows(db)[before:]
    want = "later_refused" if isinstance(refusal, DomainError) else "refused"
    assert [(r["user_name"], r["status"], r["answer"]) for r in rows] == [("root", 1, want)]  # one row, amended
    with make_engine(db).connect() as c:  # the committed step stays committed: the row tells of a refusal after it
        assert c.execute(text("SELECT count(*) FROM credentials WHERE user_name = 'root'")).scalar() == 1


def test_a_refusal_already_on_the_row_keeps_its_reason(db: str) -> None:
    """An order logged (the row written, ok), then refused at matching: that write puts the refusal's
    reason on the row (``refused_in_request``), and the command's closing refusal (``order rejected``)
    leaves it so, not the bare "refused"."""
    from openets.storage.db import refused_in_request, run_in_transaction

    before = len(_rows(db))
    svc = RegistryService(make_engine(db))
    with pytest.raises(Failure), audited():
        AuthService(svc).set_password("root", PW, actor=acting(svc, "root"))
        run_in_transaction(svc.engine, lambda c: refused_in_request(c, "available_cash"))
        raise Failure("order rejected: available_cash")
    assert [(r["status"], r["answer"]) for r in _rows(db)[before:]] == [(1, "available_cash")]


def test_a_command_that_committed_and_succeeded_keeps_ok(db: str) -> None:
    before = len(_rows(db))
    svc = RegistryService(make_engine(db))
    with audited():
        AuthService(svc).set_password("root", PW, actor=acting(svc, "root"))
    assert [(r["status"], r["answer"]) for r in _rows(db)[before:]] == [(0, "ok")]


def test_a_weak_password_is_refused_before_the_user_is_created(db: str) -> None:
    """``users create --password-stdin`` with a 9-character password (fewer than the 10 asked): refused
    before the user exists — no user row left without a password — and the refusal is the command's
    one audit row. ``users password`` refuses it the same way, by the same check."""
    from openets.services.auth import check_password

    before = len(_rows(db))
    r = CliRunner().invoke(app, ["users", "create", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li",
                                 "--as", "root", "--password-stdin", "--db", db], input="123456789\n")
    assert r.exit_code == 1 and "at least 10 characters [password_weak]" in r.stderr and "Traceback" not in r.stderr
    with make_engine(db).connect() as c:
        assert c.execute(text("SELECT count(*) FROM users WHERE name = 'li'")).scalar() == 0
    assert [(x["user_name"], x["status"], x["answer"]) for x in _rows(db)[before:]] == [("root", 1, "password_weak")]
    r = CliRunner().invoke(app, ["users", "password", "root", "--as", "root", "--db", db], input="short\n")
    assert r.exit_code == 1 and "[password_weak]" in r.stderr
    with pytest.raises(DomainError) as e:
        check_password("x" * 9)
    assert e.value.code == "password_weak"
    check_password("x" * 10)  # ten characters: accepted
    r = CliRunner().invoke(app, ["users", "create", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li",
                                 "--as", "root", "--password-stdin", "--db", db], input=PW + "\n")
    assert r.exit_code == 0, r.stderr
