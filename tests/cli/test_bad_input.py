"""Issue 19, items 2, 7 and 8: input that once gave a traceback, a raw Python message, a hang or a wrong
success on the command line. Each: exit code non-zero, one line on stderr (no traceback, no raw
message), within a fraction of a second, and — for commands that change state — nothing changed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()
RAW = ("Traceback", "invalid literal for int()", "Invalid isoformat string", "day is out of range for month",
       "is not a valid PartyKind", "codec can't decode", "[Errno", "OverflowError", "KeyError", "ZeroDivisionError",
       "AssertionError", "InvalidOperation", "decimal.")
RULES = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "auctions" / "shanghai-2017.toml"


def refused(*args: str, budget: float = 5.0) -> str:  # a hang took minutes; the machine is shared
    """Run ``openets *args``; assert a clean refusal and return its one stderr line."""
    t0 = time.perf_counter()
    result = runner.invoke(app, list(args))
    elapsed = time.perf_counter() - t0
    assert result.exit_code != 0, (args, result.stdout)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    for raw in RAW:
        assert raw not in result.stderr, (args, result.stderr)
    assert elapsed < budget, (args, elapsed)
    return lines[0]


def ok(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def world(db_url: str) -> str:
    def reg(*args: str) -> object:
        return ok("registry", args[0], "--db", db_url, *args[1:])

    reg("init")
    reg("add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")  # the bootstrap
    reg("add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    reg("add-user", "wang", "--role", "regulator", "--market", "BJ", "--person", "P-wang", "--as", "root")
    p1 = reg("add-party", "--kind", "company", "--name", "甲", "--market", "BJ", "--registration-id", "R1", "--as", "li")["party"]  # type: ignore[index]
    p2 = reg("add-party", "--kind", "company", "--name", "乙", "--market", "BJ", "--registration-id", "R2", "--as", "li")["party"]  # type: ignore[index]
    reg("add-user", "zhao", "--role", "company", "--party", str(p1), "--as", "li")
    reg("add-user", "sun", "--role", "company", "--party", str(p2), "--as", "li")
    reg("open-account", "--market", "BJ", "--type", "compliance", "--number", "BJ-A", "--as", "zhao")
    reg("open-account", "--market", "BJ", "--type", "compliance", "--number", "BJ-B", "--as", "sun")
    reg("approve-account", "BJ-A", "BJ-B", "--as", "li")
    reg("create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "1000000", "--as", "li")
    txn = reg("issue", "BEA-2016", "500000", "--to", "BJ-ISSUANCE", "--as", "li", "--key", "i1")
    reg("approve", str(txn["txn"]), "--as", "wang")  # type: ignore[index]
    reg("transfer", "BEA-2016", "10000", "--type", "allocate", "--from", "BJ-ISSUANCE", "--to", "BJ-A", "--as", "li")
    return db_url


def snapshot(db: str) -> tuple[object, ...]:
    from openets.services.database import make_engine

    eng = make_engine(db)
    with eng.connect() as conn:
        out = tuple(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                    for name in ("journal", "transactions", "parties", "accounts", "users", "cash_accounts", "cash_journal", "orders"))
        out += (tuple(conn.execute(text("SELECT * FROM positions ORDER BY 1, 2, 3")).all()),)
    eng.dispose()
    return out


BIG = str(2**63)


@pytest.mark.parametrize("args, needle", [
    (["transfer", "BEA-2016", "1e999999999", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "exponent"),
    (["transfer", "BEA-2016", "Infinity", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "whole number"),
    (["transfer", "BEA-2016", "NaN", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "whole number"),
    (["transfer", "BEA-2016", BIG, "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "maximum"),
    (["transfer", "BEA-2016", "9" * 40, "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao"], "digits"),
    (["transfer", "BEA-2016", "5", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao", "--type", "approve"], "transfer"),
    (["transfer", "BEA-2016", "5", "--from", "BJ-A", "--to", "BJ-B", "--as", "zhao", "--restriction", BIG], "range"),
    (["issue", "BEA-2016", BIG, "--to", "BJ-ISSUANCE", "--as", "li"], "maximum"),
    (["approve", BIG, "--as", "wang"], "range"),
    (["reverse", BIG, "--as", "wang"], "range"),
    (["release", BIG, "--as", "li"], "range"),
    (["balance", "BJ-A", "--as-of", "9999-12-31T23:59:59-12:00"], "outside"),
    (["balance", "BJ-A", "--as-of", "2016-02-30"], "not an iso date"),
    (["trace", "BEA-2016", BIG], "range"),
    (["add-party", "--kind", "company", "--name", "甲\x00乙", "--market", "BJ"], "nul"),
    (["add-party", "--kind", "company", "--name", "丙", "--market", "BJ", "--registration-id", "R\x009"], "nul"),
    (["import", "/nonexistent/parties.csv", "--kind", "parties", "--as", "li"], "no such file"),
    (["open-account", "--market", "BJ", "--type", "compliance", "--number", "X\x00", "--as", "zhao"], "nul"),
    (["history", "BJ-A", "--limit", "-1"], "--limit"),
    (["holdings", "--party", BIG], "range"),
])
def test_registry_refusals(world: str, args: list[str], needle: str) -> None:
    before = snapshot(world)
    line = refused("registry", args[0], "--db", world, *args[1:])
    assert needle.lower() in line.lower(), line
    assert snapshot(world) == before


def test_import_rows_refused_cleanly(world: str, tmp_path: Path) -> None:
    header = "ref,kind,name,market,registration_id,region\n"
    cases = [
        ("p1,emperor,丙,BJ,R9,110105\n", "not one of"),
        ("p1,company,丙\x00,BJ,R9,110105\n", "nul"),
    ]
    before = snapshot(world)
    for n, (row, needle) in enumerate(cases):
        path = tmp_path / f"parties{n}.csv"
        path.write_text(header + row, encoding="utf-8")
        line = refused("registry", "import", str(path), "--kind", "parties", "--as", "li", "--db", world)
        assert needle in line.lower() and "row 2" in line, line
    issuance = tmp_path / "issuances.csv"
    issuance.write_text("key,unit_class,account,quantity\nk1,BEA-2016,BJ-A,1e999999999\n", encoding="utf-8")
    line = refused("registry", "import", str(issuance), "--kind", "issuances", "--as", "li", "--db", world)
    assert "exponent" in line, line
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"ref,kind,name\np1,company,\xe9\xff\n")
    assert "utf-8" in refused("registry", "import", str(latin), "--kind", "parties", "--as", "li", "--db", world)
    assert snapshot(world) == before


def test_market_refusals(world: str, tmp_path: Path) -> None:
    ok("market", "book", "BEA-2016", "--db", world)  # opening the exchange adds its party: not a refusal's doing
    before = snapshot(world)
    for amount, needle in (("Infinity", "finite"), ("1e999999999", "exponent"), ("1e20", "maximum"), ("NaN", "finite")):
        line = refused("market", "deposit", "BEA-2016", "--amount", amount, "--as", "zhao", "--db", world)
        assert needle in line, line
    for price in ("1e999990", "Infinity", "-5"):
        refused("market", "submit", "BEA-2016", "--side", "buy", "--quantity", "10", "--price", price,
                "--account", "BJ-A", "--as", "zhao", "--db", world)
    assert "outside" in refused("market", "trades", "BEA-2016", "--since", "9999-12-31T23:59:59-23:59", "--db", world)
    assert snapshot(world) == before


def _orders(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "orders.csv"
    path.write_text("at,instrument,order_id,party,side,type,price,quantity,action\n" + "".join(rows), encoding="utf-8")
    return str(path)


def test_market_replay_bounds(tmp_path: Path) -> None:
    good = _orders(tmp_path, "2021-07-16T09:30:00,CEA,1,10,sell,limit,49.00,100,\n")
    for opts, needle in ((["--tick", "0"], "tick"), (["--lot", "0"], "lot"), (["--tick", "-1"], "tick"),
                         (["--lot", "-5"], "lot"), (["--band-low", "50", "--band-high", "40"], "above"),
                         (["--band-low", "Infinity"], "finite"), (["--tick", BIG], "tick")):
        assert needle in refused("market", "replay", good, *opts), opts
    for row, needle in (("2021-07-16T09:30:00,CEA,1,10,sell,limit,49.00,100,modify\n", "submit or cancel"),
                        ("2021-07-16T09:30:00,CEA,x,10,sell,limit,49.00,100,\n", 'column "order_id": \'x\' is not a number'),
                        (f"2021-07-16T09:30:00,CEA,{BIG},10,sell,limit,49.00,100,\n", "maximum"),
                        ("2021-07-16T09:30:00,CEA,1,10,sell,limit,1e999990,100,\n", "exponent"),
                        ("2021-02-30T09:30:00,CEA,1,10,sell,limit,49.00,100,\n", 'column "at": \'2021-02-30T09:30:00\' is not an ISO')):
        assert needle in refused("market", "replay", _orders(tmp_path, row)), row


def _bids(tmp_path: Path, *rows: str, name: str = "bids.csv") -> str:
    path = tmp_path / name
    path.write_text("bidder,bid_id,price,quantity,at\n" + "".join(rows), encoding="utf-8")
    return str(path)


def _rules(tmp_path: Path, body: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text("[auction]\n" + body, encoding="utf-8")
    return str(path)


def test_auction_clear_bounds(tmp_path: Path) -> None:
    bids = _bids(tmp_path, "1,a,45.00,100,2017-06-30T09:35\n")
    rules = str(RULES)
    for reserve, needle in (("Infinity", "finite"), ("-1", "minimum"), ("1e999999999", "exponent")):
        assert needle in refused("auction", "clear", "--bids", bids, "--rules", rules, "--reserve", reserve), reserve
    for body, needle in (('closes_at = "2017-06-30T10:30"\n', "volume is missing"),
                         ('volume = 100\nlot = 0\ncloses_at = "2017-06-30T10:30"\n', "lot"),
                         ('volume = 100\ncloses_at = "2017-06-31T10:30"\n', "not an iso date"),
                         ('volume = "many"\ncloses_at = "2017-06-30T10:30"\n', "volume"),
                         ('volume = 100\ncloses_at = "2017-06-30T10:30"\ntie_break = "coin"\n', "tie_break")):
        assert needle in refused("auction", "clear", "--bids", bids, "--rules", _rules(tmp_path, body)).lower(), body
    dupes = _bids(tmp_path, "1,a,45.00,100,2017-06-30T09:35\n1,a,44.00,100,2017-06-30T09:36\n",
                   name="dupes.csv")
    assert "twice" in refused("auction", "clear", "--bids", dupes, "--rules", rules)
    assert "maximum" in refused("auction", "clear", "--bids", bids, "--rules", rules, "--eligible", f"1,{BIG}")
    naive = _rules(tmp_path, "volume = 100\ncloses_at = 2017-06-30T10:30:00\n")  # a TOML local date-time
    r = runner.invoke(app, ["auction", "clear", "--bids", bids, "--rules", naive, "--json"])
    assert r.exit_code == 0, r.stderr  # read in the market's zone, like every naive time
    assert json.loads(r.stdout)["volume_sold_t"] == 100


def _report(tmp_path: Path, *, oxidation: str = "", month: str = "1", quantity: str = "100") -> str:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "streams"
    head = ["installation", "stream_id", "kind", "activity_unit", "fuel"]
    row = ["I1", "S1", "combustion", "t", "diesel"]
    if oxidation:
        head += ["oxidation", "oxidation_unit"]
        row += [oxidation, "percent"]
    ws.append(head)
    ws.append(row)
    act = wb.create_sheet("activity")
    act.append(["stream_id", "month", "quantity"])
    act.append(["S1", month, quantity])
    path = tmp_path / "report.xlsx"
    wb.save(path)
    return str(path)


def test_mrv_calc_bounds(tmp_path: Path) -> None:
    assert "exponent" in refused("mrv", "calc", _report(tmp_path, quantity="1e300"), "--year", "2016")
    assert "0–100 %" in refused("mrv", "calc", _report(tmp_path, oxidation="500"), "--year", "2016")
    for month in ("0", "13"):
        assert "not a month" in refused("mrv", "calc", _report(tmp_path, month=month), "--year", "2016")
    assert "no such file" in refused("mrv", "calc", str(tmp_path / "nope.xlsx"), "--year", "2016")


def test_offsets_credit_file_bounds(tmp_path: Path) -> None:
    head = "id,standard,project_id,project_type,province,county,period_start,period_end,quantity,boundary_of,tags\n"
    cases = (("a,CCER,P1,forestry,42,421100,2014-01-01,2014-02-30,10,,\n", "not a valid date"),
             ("a,CCER,P1,forestry,42,421100,2014-12-31,2014-01-01,10,,\n", "before"),
             ("a,CCER,P1,forestry,42,421100,2014-01-01,2014-12-31,1e999999999,,\n", "exponent"),
             ("a,CCER,P1,forestry,42,421100,2014-01-01,2014-12-31,10,,\na,CCER,P1,forestry,42,421100,2014-01-01,"
              "2014-12-31,10,,\n", "twice"))
    for rows, needle in cases:
        path = tmp_path / "credits.csv"
        path.write_text(head + rows, encoding="utf-8")
        line = refused("offsets", "check-eligibility", str(path), "--market", "HB", "--year", "2016", "--company", "HB1",
                       "--basis", "500000")
        assert needle in line, line


def test_cap_plan_bounds() -> None:
    assert "2300" in refused("cap", "plan", "--target-year", "99999999")  # was a decimal.Overflow traceback
    assert "exponent" in refused("cap", "plan", "--share", "1e999999999")
    assert "finite" in refused("cap", "plan", "--growth", "Infinity")
