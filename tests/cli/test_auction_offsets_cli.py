import json
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()
RULES = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "auctions" / "shanghai-2017.toml"


def test_auction_clear_on_files(tmp_path: Path) -> None:
    bids = tmp_path / "bids.csv"
    bids.write_text("投标人,申报编号,价格,数量,时间\n1,a,45.00,800000,2017-06-30T09:35\n2,a,43.00,700000,2017-06-30T09:40\n"
                    "3,a,43.00,700000,2017-06-30T09:50\n4,a,41.00,500000,2017-06-30T09:31\n"
                    "5,a,46.00,100000,2017-06-30T10:31\n", encoding="utf-8")
    r = runner.invoke(app, ["auction", "clear", "--bids", str(bids), "--rules", str(RULES), "--reserve", "41.52",
                            "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["clearing_price_fen"] == 4300 and out["volume_sold_t"] == 2_000_000 and out["winners"] == 3
    assert {x["bidder"]: x["reason"] for x in out["rejected"]} == {4: "below_reserve (4152 fen)", 5: "after_close"}
    assert "fills" not in out  # individual bids stay private
    bids.write_text("bidder,bid_id,price,quantity,at\n1,a,45.001,10,2017-06-30T09:35\n", encoding="utf-8")
    r = runner.invoke(app, ["auction", "clear", "--bids", str(bids), "--rules", str(RULES)])
    assert r.exit_code == 1 and "0.01-yuan tick" in r.stderr


def test_offsets_check_eligibility(tmp_path: Path) -> None:
    credits = tmp_path / "credits.csv"
    credits.write_text(
        "id,standard,project_id,project_type,province,county,period_start,period_end,quantity,boundary_of,tags\n"
        "a,CCER,P1,rural_biogas,42,421100,2014-01-01,2014-12-31,60000,,hubei_key_poverty_county_yangtze_cluster\n"
        "b,CCER,P2,forestry,42,421100,2016-01-01,2016-12-31,10,,hubei_key_poverty_county_yangtze_cluster\n",
        encoding="utf-8")
    r = runner.invoke(app, ["offsets", "check-eligibility", str(credits), "--market", "HB", "--year", "2016",
                            "--company", "HB1", "--basis", "500000", "--applied-on", "2017-06-15", "--json"])
    assert r.exit_code == 0, r.stderr
    out = {x["credit"]: x for x in json.loads(r.stdout)}
    assert out["a"]["usable"] == 50_000 and "over the cap" in out["a"]["reasons"]
    assert out["b"]["usable"] == 0 and "outside 2013-01-01–2015-12-31" in out["b"]["reasons"]


def test_offsets_project_and_issue_on_the_command_line(db_url: str) -> None:
    def cli(*args: str) -> dict:  # type: ignore[type-arg]
        r = runner.invoke(app, [args[0], args[1], "--db", db_url, "--json", *args[2:]])
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)

    cli("registry", "init")
    cli("registry", "add-user", "root", "--role", "administrator", "--market", "HB", "--person", "P-root")  # the bootstrap
    cli("registry", "add-user", "hb-1", "--role", "regulator", "--market", "HB", "--person", "P-hb-1", "--as", "root")
    cli("registry", "add-user", "hb-2", "--role", "regulator", "--market", "HB", "--person", "P-hb-2", "--as", "root")
    owner = cli("registry", "add-party", "--kind", "investor", "--name", "业主", "--registration-id", "O1", "--as", "root")["party"]
    cli("offsets", "project", "--project-id", "001", "--name", "沼气", "--type", "rural_biogas", "--province", "42",
        "--county", "421123", "--owner", str(owner), "--crediting-start", "2013-01-01", "--crediting-end",
        "2016-12-31", "--market", "HB", "--tag", "hubei_key_poverty_county_yangtze_cluster", "--as", "hb-1")
    got = cli("offsets", "issue", "001", "--vintage", "2014", "--quantity", "5000", "--as", "hb-1")
    assert got["status"] == "awaiting_approval"
    assert cli("registry", "approve", str(got["txn"]), "--as", "hb-2")["status"] == "completed"
    bad = runner.invoke(app, ["offsets", "issue", "999", "--vintage", "2014", "--quantity", "1", "--as", "hb-1",
                              "--db", db_url])
    assert bad.exit_code == 1 and "not found" in bad.stderr


def test_market_replay(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("at,instrument,order_id,party,side,type,price,quantity,action\n"
                      "2021-07-16T09:30:00,CEA,1,10,sell,limit,49.00,100,\n"
                      "2021-07-16T09:30:01,CEA,2,11,sell,limit,48.50,50,\n"
                      "2021-07-16T09:30:02,CEA,3,20,buy,limit,49.00,120,\n"
                      "2021-07-16T09:30:03,CEA,1,10,sell,limit,,0,cancel\n"
                      "2021-07-16T09:30:04,CEA,4,20,buy,limit,60.00,10,\n", encoding="utf-8")
    r = runner.invoke(app, ["market", "replay", str(orders), "--band-low", "43.20", "--band-high", "52.80", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    trades = [(e["buy_id"], e["sell_id"], e["price"], e["quantity"]) for e in out["events"] if e["kind"] == "trade"]
    assert trades == [(3, 2, 4850, 50), (3, 1, 4900, 70)]
    assert [e for e in out["events"] if e["kind"] == "rejected"][0]["reason"] == "price_outside_band"
    assert out["books"]["CEA"] == {"bids": [], "asks": []}  # order 1's rest cancelled
