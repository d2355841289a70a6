"""`openets registry verify` and `checkpoint` as a user meets them: JSON out, exit 2 with one line
naming the first problem, a key needed for checkpoints, an edited checkpoint refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from openets.cli.app import app
from openets.registry.commands import Transfer
from openets.testing.builders import build_world

runner = CliRunner()
KEY = "the regulator's key, kept offline"


def reg(db: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["registry", args[0], "--db", db, "--json", *args[1:]], env=env)


def test_verify_checkpoint_and_appended_since(engine: Engine, db_url: str, clock, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    w = build_world(engine, clock, companies=2)
    clean = reg(db_url, "verify")
    assert clean.exit_code == 0, clean.stderr
    assert json.loads(clean.stdout)["ok"] is True
    cp = tmp_path / "cp.json.gz"
    monkeypatch.delenv("OPENETS_CHECKPOINT_KEY", raising=False)
    nokey = reg(db_url, "checkpoint", "--out", str(cp))
    assert nokey.exit_code == 1 and "no checkpoint key" in nokey.stderr and not cp.exists()
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY)
    assert reg(db_url, "checkpoint", "--out", str(cp), "--key-file", str(keyfile)).exit_code == 0
    a, b = w.accounts
    w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=w.unit_class.id, quantity=5))
    later = reg(db_url, "verify", "--checkpoint", str(cp), env={"OPENETS_CHECKPOINT_KEY": KEY})
    assert later.exit_code == 0, later.stderr
    assert json.loads(later.stdout)["appended_since_checkpoint"]["transactions"] == {"transfer": 1}
    chains = reg(db_url, "verify-journal", "--checkpoint", str(cp), "--key-file", str(keyfile))
    assert chains.exit_code == 0 and json.loads(chains.stdout)["ok"]
    with gzip.open(cp, "rt") as fh:
        doc = json.load(fh)
    doc["payload"]["journal"]["count"] += 1
    with gzip.open(cp, "wt") as fh:
        json.dump(doc, fh)
    forged = reg(db_url, "verify", "--checkpoint", str(cp), "--key-file", str(keyfile))
    lines = forged.stderr.strip().splitlines()
    assert forged.exit_code == 1 and len(lines) == 1 and "bad signature" in lines[0] and "Traceback" not in forged.stderr


def test_verify_exit_2_names_the_problem(engine: Engine, db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    build_world(engine, clock, companies=2)
    with engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET quantity = quantity + 1 WHERE type = 'allocate'"))
    r = reg(db_url, "verify")
    assert r.exit_code == 2
    problems = json.loads(r.stdout)["problems"]
    assert {p["code"] for p in problems} == {"lines_disagree_with_transaction", "position_differs_from_transactions"}
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "lines_disagree_with_transaction (transaction" in lines[0]


def test_verify_as_csv_is_one_readable_document(engine: Engine, db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    """--csv: the summary row, then each list as its own block after a blank line and "# name" (a
    reader can split it), never two headers run together."""
    import csv
    import io

    w = build_world(engine, clock, companies=2)
    with engine.begin() as c:  # tamper: one position raised by 7 t, so there is a problems block
        c.execute(text("UPDATE positions SET total = total + 7 WHERE account_id = :a"), {"a": w.accounts[0].id})
    got = runner.invoke(app, ["registry", "verify", "--db", db_url, "--csv"])
    assert got.exit_code == 2
    head, *blocks = got.stdout.strip().split("\n\n")
    summary = list(csv.DictReader(io.StringIO(head)))
    assert len(summary) == 1 and summary[0]["ok"] in ("False", "false")
    assert blocks and blocks[0].startswith("# problems\n")
    problems = list(csv.DictReader(io.StringIO(blocks[0].split("\n", 1)[1])))
    assert problems and all(p["code"] for p in problems)
