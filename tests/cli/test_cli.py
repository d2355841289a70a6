"""The command line as a user meets it: a walk-through, then bad input of every kind — one line on
stderr, a non-zero exit, nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def cli(db: str, *args: str, ok: bool = True) -> dict | list:  # type: ignore[type-arg]
    result = runner.invoke(app, ["registry", args[0], "--db", db, "--json", *args[1:]])
    if ok:
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return {"stderr": lines[0], "exit": result.exit_code}


@pytest.fixture
def world(db_url: str) -> str:
    cli(db_url, "init")
    cli(db_url, "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")  # the bootstrap
    cli(db_url, "add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    cli(db_url, "add-user", "wang", "--role", "regulator", "--market", "BJ", "--person", "P-wang", "--as", "root")
    p1 = cli(db_url, "add-party", "--kind", "company", "--name", "甲", "--market", "BJ",
             "--registration-id", "R1", "--as", "li")["party"]  # type: ignore[index]
    p2 = cli(db_url, "add-party", "--kind", "company", "--name", "乙", "--market", "BJ",
             "--registration-id", "R2", "--as", "li")["party"]  # type: ignore[index]
    cli(db_url, "add-user", "zhao", "--role", "company", "--party", str(p1), "--as", "li")
    cli(db_url, "add-user", "sun", "--role", "company", "--party", str(p2), "--as", "li")
    cli(db_url, "open-account", "--market", "BJ", "--type", "compliance", "--number", "BJ-A", "--as", "zhao")
    cli(db_url, "open-account", "--market", "BJ", "--type", "compliance", "--number", "BJ-B", "--as", "sun")
    cli(db_url, "approve-account", "BJ-A", "BJ-B", "--as", "li")
    cli(db_url, "create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "1000000", "--as", "li")
    txn = cli(db_url, "issue", "BEA-2016", "500000", "--to", "BJ-ISSUANCE", "--as", "li", "--key", "i1")
    assert txn["status"] == "awaiting_approval"  # type: ignore[index]
    cli(db_url, "approve", str(txn["txn"]), "--as", "wang")  # type: ignore[index]
    cli(db_url, "transfer", "BEA-2016", "10000", "--type", "allocate", "--from", "BJ-ISSUANCE", "--to", "BJ-A",
        "--as", "li")
    return db_url


def snapshot(db: str) -> tuple:  # type: ignore[type-arg]
    from openets.storage.db import make_engine

    eng = make_engine(db)
    with eng.connect() as conn:
        out = (conn.execute(text("SELECT count(*) FROM journal")).scalar_one(),
               conn.execute(text("SELECT count(*) FROM parties")).scalar_one(),
               conn.execute(text("SELECT count(*) FROM accounts")).scalar_one(),
               tuple(conn.execute(text("SELECT * FROM positions ORDER BY 1, 2, 3")).all()))
    eng.dispose()
    return out


def test_walkthrough_balance_trace_totals(world: str) -> None:
    t = cli(world, "transfer", "BEA-2016", "2500", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao", "--key", "t1")
    again = cli(world, "transfer", "BEA-2016", "2500", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao", "--key", "t1")
    assert again["replayed"] and again["txn"] == t["txn"]  # type: ignore[index]
    cli(world, "surrender", "BEA-2016", "2500", "--from", "BJ-B", "--year", "2016", "--as", "sun")
    bal = cli(world, "balance", "BJ-A")
    assert [(b["unit_class"], b["total"], b["available"]) for b in bal] == [("BEA-2016", 7500, 7500)]  # type: ignore[index]
    serial = t["serials"][0][0]  # type: ignore[index]
    steps = cli(world, "trace", "BEA-2016", str(serial))
    assert [s["type"] for s in steps] == ["issue", "allocate", "transfer", "surrender"]  # type: ignore[index]
    totals = cli(world, "totals")
    assert totals[0]["conserved"] and totals[0]["surrendered"] == 2500  # type: ignore[index]
    assert cli(world, "verify-journal")["ok"]  # type: ignore[index]
    assert cli(world, "history", "BJ-A")[0]["type"] == "transfer"  # type: ignore[index]


@pytest.mark.parametrize("args, needle", [
    (["transfer", "BEA-2016", "5", "--from", "BJ-NOPE", "--to", "BJ-B", "--as", "zhao"], "not found"),
    (["transfer", "BEA-2016", "0", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "positive"),
    (["transfer", "BEA-2016", "-5", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "no such option: -5"),
    (["transfer", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao", "--", "BEA-2016", "-5"], "positive"),
    (["transfer", "BEA-2016", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "missing argument"),
    (["transfer", "BEA-2016", "1.5", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "whole"),
    (["transfer", "BEA-2016", "abc", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "not a number"),
    (["transfer", "BEA-2016", "10001", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "available"),
    (["transfer", "BEA-2099", "1", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "not found"),
    (["transfer", "BEA-2016", "1", "--from", "BJ-A", "--to", "BJ-B", "--as", "sun"], "does not represent"),
    (["transfer", "BEA-2016", "1", "--from", "BJ-A", "--to", "BJ-B", "--as", "nobody"], "does not represent"),
    (["surrender", "BEA-2016", "1", "--from", "BJ-A", "--year", "2016"], "not logged in"),
    (["balance", "BJ-NOPE"], "not found"),
    (["trace", "BEA-2016", "999999999"], "never issued"),
    (["balance", "BJ-A", "--as-of", "yesterday"], "not an ISO date"),  # was Python's raw "Invalid isoformat" (issue 19)
    (["verify-journal", "--checkpoint", "/nonexistent/cp.gz"], "not a readable checkpoint"),
    (["restore", "/nonexistent/backup.db", "--as", "root"], "no such backup"),
])
def test_bad_input_one_line_nonzero_nothing_changed(world: str, args: list[str], needle: str) -> None:
    before = snapshot(world)
    out = cli(world, *args, ok=False)
    assert needle.lower() in out["stderr"].lower(), out  # type: ignore[index]
    assert snapshot(world) == before


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_import_files_bad_and_good(world: str, tmp_path: Path) -> None:
    before = snapshot(world)
    header = "ref,kind,name,market,registration_id,region\n"
    bad_files = [
        (_write(tmp_path / "parties.csv", (header + "p1,company,丙,BJ,R9,110105\np2,company,丁\n").encode()),
         "truncated"),
        (_write(tmp_path / "gbk.csv", (header + "p1,company,丙,BJ,R9,110105\n").encode("gbk")), "utf-8"),
        (_write(tmp_path / "parties2.csv", b'ref,kind,name\np1,company,"unterminated\n'), "malformed"),
        (_write(tmp_path / "parties3.csv", (header + "p1,company,丙,BJ,R9,1101\n").encode()), "gb/t 2260"),
        (_write(tmp_path / "parties4.csv", (header + "p1,emperor,丙,BJ,R9,110105\n").encode()), "row 2"),
        (_write(tmp_path / "book.xlsx", b"PK\x03\x04truncated zip"), "excel"),
        (_write(tmp_path / "data.txt", b"x"), ".csv and .xlsx"),
    ]
    for path, needle in bad_files:
        kind = ["--kind", "parties"] if path.suffix == ".csv" else []
        out = cli(world, "import", str(path), *kind, "--as", "li", ok=False)
        assert needle.lower() in out["stderr"].lower(), (path.name, out)  # type: ignore[index]
        assert snapshot(world) == before
    # a workbook whose last allocation overdraws: nothing of it lands
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "parties"
    ws.append(["ref", "kind", "name", "market", "registration_id", "region"])
    ws.append(["c1", "company", "丙水泥", "BJ", "R3", "110111"])
    ws2 = wb.create_sheet("installations")
    ws2.append(["ref", "party_ref", "name", "county_code", "sector"])
    ws2.append(["i1", "c1", "丙水泥一厂", "110111", "cement"])
    ws3 = wb.create_sheet("accounts")
    ws3.append(["number", "party_ref", "market", "type"])
    ws3.append(["BJ-C", "c1", "BJ", "compliance"])
    ws4 = wb.create_sheet("allocations")
    ws4.append(["key", "unit_class", "from_account", "account", "quantity"])
    ws4.append(["a1", "BEA-2016", "BJ-ISSUANCE", "BJ-A", 1000])
    ws4.append(["a2", "BEA-2016", "BJ-ISSUANCE", "BJ-B", 10_000_000])
    wb.save(tmp_path / "world.xlsx")
    out = cli(world, "import", str(tmp_path / "world.xlsx"), "--as", "li", ok=False)
    assert "allocations row 3" in out["stderr"]  # type: ignore[index]
    assert snapshot(world) == before
    ws4.delete_rows(3)
    wb.save(tmp_path / "world.xlsx")
    counts = cli(world, "import", str(tmp_path / "world.xlsx"), "--as", "li")
    assert counts == {"parties": 1, "installations": 1, "generating_units": 0, "accounts": 1, "issuances": 0,
                      "allocations": 1, "already_present": 0}
    assert cli(world, "balance", "BJ-A")[0]["total"] == 11_000  # type: ignore[index]


def test_verify_journal_exit_code_on_tampering(world: str) -> None:
    from openets.storage.db import make_engine

    eng = make_engine(world)
    with eng.begin() as conn:
        if eng.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER journal_no_update"))
        else:
            conn.execute(text("ALTER TABLE journal DISABLE TRIGGER journal_append_only"))
        conn.execute(text("UPDATE journal SET d_total = 7 WHERE seq = (SELECT max(seq) FROM journal)"))
        if eng.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE journal ENABLE TRIGGER journal_append_only"))
    eng.dispose()
    result = runner.invoke(app, ["registry", "verify-journal", "--db", world])
    assert result.exit_code == 2 and "edited" in result.stderr


def test_serve_refuses_what_would_break_before_starting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENETS_SECRET", raising=False)
    r = runner.invoke(app, ["serve", "--workers", "2", "--db", "sqlite:///unused.db"])
    assert r.exit_code != 0 and "OPENETS_SECRET" in r.stderr and "Traceback" not in r.stderr
    monkeypatch.setenv("OPENETS_NOW", "not a time")
    r = runner.invoke(app, ["serve", "--db", "sqlite:///unused.db"])
    assert r.exit_code != 0 and "OPENETS_NOW" in r.stderr
