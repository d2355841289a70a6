"""``openets auction notice | bid | close | results`` as a user meets them (times set with OPENETS_NOW)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app
from openets.registry.commands import CentralTransfer
from openets.services.exchange import open_exchange
from openets.testing.builders import build_world

RULES = """[auction]
market = "SH"
document = "test notice"
volume = 1000000
opens_at = "2017-06-30T09:30:00+08:00"
closes_at = "2017-06-30T10:30:00+08:00"
reserve_fen = 4000
deposit = "full"
eligible_rule = "covered"
"""


def test_auction_commands(db_url: str, engine, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="SH", companies=2, issue=2_000_000, allocate=0)
    w.svc.one(w.reg, CentralTransfer(from_account=w.issuance.id, to_account=w.svc.account("SH-AUCTION").id,
                        unit_class=w.unit_class.id, quantity=1_000_000))
    open_exchange(w.svc, w.unit_class.code).deposit(w.companies[0], 10**11)
    rules = tmp_path / "notice.toml"
    rules.write_text(RULES, encoding="utf-8")

    def run(*args: str, at: str, ok: bool = True):  # type: ignore[no-untyped-def]
        r = CliRunner().invoke(app, ["auction", *args, "--db", db_url, "--json"], env={"OPENETS_NOW": at})
        if ok:
            assert r.exit_code == 0, r.stderr
            return json.loads(r.stdout)
        assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        return r.stderr

    n = run("notice", "--rules", str(rules), "--unit-class", w.unit_class.code, "--as", "SH-reg-1",
            at="2017-06-29T16:00:00")
    nid = str(n["notice"])
    assert "auction_not_open" in run("bid", nid, "--price", "41.00", "--quantity", "100", "--as", "SH-co-0",
                                     at="2017-06-29T16:05:00", ok=False)
    assert run("bid", nid, "--price", "41.00", "--quantity", "600000", "--as", "SH-co-0",
               at="2017-06-30T09:40:00")["deposit_fen"] == 4100 * 600_000
    assert "cash_insufficient" in run("bid", nid, "--price", "41.00", "--quantity", "1", "--as", "SH-co-1",
                                      at="2017-06-30T09:41:00", ok=False)  # no cash for the deposit
    assert "auction_open" in run("close", nid, "--as", "SH-reg-1", at="2017-06-30T10:00:00", ok=False)
    out = run("close", nid, "--as", "SH-reg-1", at="2017-06-30T10:31:00")
    assert (out["clearing_price_fen"], out["volume_sold_t"]) == (4100, 600_000)
    pub = run("results", nid, at="2017-07-01T10:00:00")
    assert pub["status"] == "settled" and pub["revenue_fen"] == 4100 * 600_000
