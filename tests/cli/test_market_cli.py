"""``openets market …`` as a user meets it: cash in, orders, the book, the tape, bars, the close,
reconciliation; bad orders refused with a reason code and nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def run(db: str, group: str, *args: str, ok: bool = True, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    env = {"OPENETS_NOW": "2017-06-01T10:00:00", **(env or {})}  # a Thursday morning session in Beijing
    result = runner.invoke(app, [group, args[0], "--db", db, "--json", *args[1:]], env=env)
    if ok:
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def world(db_url: str) -> str:
    r = lambda *a: run(db_url, "registry", *a)  # noqa: E731
    r("init")
    r("add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")  # the bootstrap
    r("add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    r("add-user", "wang", "--role", "regulator", "--market", "BJ", "--person", "P-wang", "--as", "root")
    for i, name in enumerate(("zhao", "sun")):
        p = r("add-party", "--kind", "company", "--name", name, "--market", "BJ", "--registration-id", f"R{i}", "--as", "li")["party"]
        r("add-user", name, "--role", "company", "--party", str(p), "--as", "li")
        r("open-account", "--market", "BJ", "--type", "compliance", "--number", f"BJ-{name}", "--as", name)
    r("approve-account", "BJ-zhao", "BJ-sun", "--as", "li")
    r("create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "1000000", "--as", "li")
    txn = r("issue", "BEA-2016", "500000", "--to", "BJ-ISSUANCE", "--as", "li", "--key", "i1")
    r("approve", str(txn["txn"]), "--as", "wang")
    for name in ("zhao", "sun"):
        r("transfer", "BEA-2016", "10000", "--type", "allocate", "--from", "BJ-ISSUANCE", "--to", f"BJ-{name}",
          "--as", "li")
    return db_url


def test_market_walkthrough(world: str) -> None:
    m = lambda *a, **k: run(world, "market", *a, **k)  # noqa: E731
    assert m("deposit", "BEA-2016", "--amount", "100000", "--as", "sun")["balance_yuan"] == "100000.00"
    sell = m("submit", "BEA-2016", "--side", "sell", "--quantity", "300", "--price", "50.00", "--account", "BJ-zhao",
             "--client-id", "z-1", "--as", "zhao")
    assert sell["status"] == "open"
    buy = m("submit", "BEA-2016", "--side", "buy", "--quantity", "100", "--price", "51", "--account", "BJ-sun",
            "--as", "sun")
    assert buy["status"] == "filled" and buy["trades"] == [{"price_yuan": "50.00", "quantity": 100}]
    book = m("book", "BEA-2016")
    assert book["asks"] == [{"price_yuan": "50.00", "quantity": 200}] and book["reference_yuan"] is None
    assert [t["price_yuan"] for t in m("trades", "BEA-2016")] == ["50.00"]
    assert m("bars", "BEA-2016")[0]["close"] == "50.00"
    assert m("stats", "BEA-2016")[0]["volume"] == 100
    png = Path(world.split("///")[-1]).parent / "k.png" if world.startswith("sqlite") else Path("/tmp/openets-k.png")
    assert m("chart", "BEA-2016", "--out", str(png))["bars"] == {"BEA-2016": 1}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # bad orders: a reason code, a non-zero exit, nothing changed
    for args, reason in (
        (("--quantity", "0", "--price", "50"), None),  # not a whole positive tonnage: refused before it is an order
        (("--quantity", "10", "--price", "50.001"), None),
        (("--quantity", "10", "--price", "50", "--client-id", "z-1"), "duplicate_client_order_id"),
        (("--quantity", "99999", "--price", "50"), "available_balance"),
    ):
        line = m("submit", "BEA-2016", "--side", "sell", "--account", "BJ-zhao", "--as", "zhao", *args, ok=False)
        if reason:
            assert reason in line
    assert "market_closed" in m("submit", "BEA-2016", "--side", "sell", "--quantity", "1", "--price", "50",
                                "--account", "BJ-zhao", "--as", "zhao", ok=False,
                                env={"OPENETS_NOW": "2017-06-03T10:00:00"})  # a Saturday
    assert "not_found" in m("cancel", "BEA-2016", str(sell["order"]), "--as", "sun", ok=False)  # not sun's order
    assert m("book", "BEA-2016")["asks"] == [{"price_yuan": "50.00", "quantity": 200}]
    assert "not_authorised" in m("close", "BEA-2016", "--as", "zhao", ok=False)
    assert m("reconcile", "BEA-2016", "--as", "li")["clean"]
    assert m("close", "BEA-2016", "--as", "li")["close_yuan"] == "50.00"
    assert m("book", "BEA-2016")["asks"] == []
    assert m("book", "BEA-2016", env={"OPENETS_NOW": "2017-06-02T10:00:00"})["band_yuan"] == ["40.00", "60.00"]
