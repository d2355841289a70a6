"""``openets registry import --chunk-rows``: the file goes in in chunks; the same file again skips
what is there; a bad chunk size is one clear line (issue 19 item 10)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_registry_import_in_chunks_then_again(db_url: str, tmp_path: Path) -> None:
    assert _run("registry", "init", "--db", db_url, "--json")[0] == 0
    assert _run("registry", "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root",
                "--db", db_url, "--json")[0] == 0  # the first administrator (bootstrap)
    assert _run("registry", "add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li",
                "--as", "root", "--db", db_url, "--json")[0] == 0
    path = tmp_path / "parties.csv"
    path.write_text("ref,kind,name,market,registration_id\n"
                    + "".join(f"p{i},company,企业{i},BJ,R{i}\n" for i in range(5)), encoding="utf-8")
    base = ("registry", "import", str(path), "--kind", "parties", "--as", "li", "--db", db_url)
    args = (*base, "--chunk-rows", "2")
    code, out, err = _run(*args, "--json")
    assert code == 0, err
    assert json.loads(out)["parties"] == 5 and json.loads(out)["already_present"] == 0
    code, out, err = _run(*args, "--json")  # a re-run (after a crash, say) finds all five there
    assert code == 0, err
    assert json.loads(out)["parties"] == 0 and json.loads(out)["already_present"] == 5
    code, out, err = _run(*base, "--chunk-rows", "0")
    assert code != 0 and err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "chunk-rows" in err and "Traceback" not in err
