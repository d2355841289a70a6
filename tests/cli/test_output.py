"""What the command line prints: nested results as sub-tables, serial ranges with a dash, headers
wrapped between words, account numbers, help texts with their brackets, choices refused by the
parser, and CSV wherever there is JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openets.cli import output
from openets.cli.app import app

runner = CliRunner()
RULES = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "auctions" / "shanghai-2017.toml"
BIDS = ("bidder,bid_id,price,quantity,at\n1,a,45.00,800000,2017-06-30T09:35\n2,a,43.00,700000,2017-06-30T09:40\n"
        "4,a,41.00,500000,2017-06-30T09:31\n")


@pytest.fixture
def bids(tmp_path: Path) -> Path:
    path = tmp_path / "bids.csv"
    path.write_text(BIDS, encoding="utf-8")
    return path


def clear(bids: Path, *extra: str) -> str:
    r = runner.invoke(app, ["auction", "clear", "--bids", str(bids), "--rules", str(RULES), "--reserve", "41.52",
                            "--show-bids", *extra])
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_nested_results_are_sub_tables_not_python_reprs(bids: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "width", 100)
    out = clear(bids)
    assert "{'" not in out and "[{" not in out and "'bidder'" not in out
    # the fills as a table of their own: bidder 1 got 800,000 t and bidder 2 700,000 t (1.5 Mt at 43.00)
    fills = out[out.index("auction result: fills"):]
    assert [line.split("│")[1:4] for line in fills.splitlines() if line.startswith("│")] == [
        [" 1      ", " a      ", " 800000   "], [" 2      ", " a      ", " 700000   "]]
    assert "below_reserve (4152 fen)" in out[out.index("auction result: rejected"):]


def test_headers_wrap_between_words_in_a_narrow_terminal(bids: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "width", 34)
    out = clear(bids)
    assert "clearing price" in out and "price_f" not in out and "f en" not in out.replace("fen)", "")
    rows = [{"clearing_price_fen": 4300, "volume_sold_t": 1_500_000, "cover_ratio": "0.75", "winners": 2}]
    with output.console.capture() as cap:
        output.print_table(rows, title="t")
    text = cap.get()
    # too narrow for four columns of whole words: the row as field / value, every word whole
    for word in ("clearing price fen", "volume sold t", "cover ratio", "1500000"):
        assert word in text
    monkeypatch.setattr(output.console, "width", 44)  # wide enough for the words, not for whole headers
    with output.console.capture() as cap:
        output.print_table(rows, title="t")
    head = [line.split("┃")[1:5] for line in cap.get().splitlines() if line.startswith("┃")]
    assert [" ".join(" ".join(cells[i] for cells in head).split()) for i in range(4)] == [
        "clearing price fen", "volume sold t", "cover ratio", "winners"]  # wrapped between words only


def test_serial_ranges_with_a_dash_and_accounts_by_number(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "width", 120)

    def cli(*args: str, as_json: bool = True) -> str:
        r = runner.invoke(app, ["registry", args[0], "--db", db_url, *(["--json"] if as_json else []), *args[1:]])
        assert r.exit_code == 0, r.stderr
        return r.stdout

    cli("init")
    cli("add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root")  # the bootstrap
    cli("add-user", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root")
    cli("add-user", "wang", "--role", "regulator", "--market", "BJ", "--person", "P-wang", "--as", "root")
    party = json.loads(cli("add-party", "--kind", "company", "--name", "甲", "--market", "BJ",
                           "--registration-id", "R1", "--as", "li"))["party"]
    cli("add-user", "zhao", "--role", "company", "--party", str(party), "--as", "li")
    cli("open-account", "--market", "BJ", "--type", "compliance", "--number", "BJ-A", "--as", "zhao")
    cli("approve-account", "BJ-A", "--as", "li")
    cli("create-unit-class", "--market", "BJ", "--vintage", "2016", "--cap", "1000000", "--as", "li")
    txn = json.loads(cli("issue", "BEA-2016", "500000", "--to", "BJ-ISSUANCE", "--as", "li", "--key", "i1"))
    cli("approve", str(txn["txn"]), "--as", "wang")
    moved = json.loads(cli("transfer", "BEA-2016", "10", "--type", "allocate", "--from", "BJ-ISSUANCE", "--to", "BJ-A",
                           "--as", "li", "--key", "a1"))
    assert moved["from"] == "BJ-ISSUANCE" and moved["to"] == "BJ-A"  # numbers, not the internal ids
    # 10 t out of the one block 1..500,000: the sender keeps the lower part, 1..499,990, so the
    # moved range is 500,000 − 10 + 1 = 499,991 .. 500,000
    assert moved["serials"] == [[499_991, 500_000]]
    table = cli("transfer", "BEA-2016", "10", "--type", "allocate", "--from", "BJ-ISSUANCE", "--to", "BJ-A",
                "--as", "li", "--key", "a1", as_json=False)  # the same key: the first transaction again
    assert "499991–500000" in table and "[[" not in table and "BJ-ISSUANCE" in table and "BJ-A" in table
    history = cli("history", "BJ-A", as_json=False)
    assert "499991–500000" in history and "499991-500000" not in history
    rows = list(csv.DictReader(io.StringIO(cli("trace", "BEA-2016", "499995", "--csv", as_json=False))))
    assert [(r["type"], r["to_account"], r["serials"]) for r in rows] == [("issue", "BJ-ISSUANCE", "1–500000"),
                                                                         ("allocate", "BJ-A", "499991–500000")]


def test_help_keeps_square_brackets() -> None:
    r = runner.invoke(app, ["run", "--help"])
    assert "one [[markets]] table per market" in " ".join(r.stdout.split())
    r = runner.invoke(app, ["auction", "clear", "--help"])
    assert "(TOML, section [auction])" in " ".join(r.stdout.split())


@pytest.mark.parametrize(("args", "needle"), [
    (["market", "submit", "BEA-2016", "--side", "sideways", "--quantity", "1", "--account", "A"],
     "'sideways' is not one of 'buy', 'sell'"),
    (["market", "submit", "BEA-2016", "--side", "buy", "--type", "stop", "--quantity", "1", "--account", "A"],
     "'stop' is not one of 'limit', 'market', 'select'"),
    (["registry", "transfer", "BEA-2016", "1", "--from", "A", "--to", "B", "--type", "issue"], "'issue' is not one of"),
    (["allocation", "run", "x.csv", "--market", "BJ", "--year", "2016", "--kind", "half"], "'half' is not one of"),
])
def test_an_invalid_choice_is_refused_by_the_parser(args: list[str], needle: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_csv_wherever_there_is_json(bids: Path) -> None:
    text = clear(bids, "--csv")
    head, rejected, fills = text.split("\n\n")
    main = list(csv.DictReader(io.StringIO(head)))
    assert main == [{"clearing_price_fen": "4300", "volume_sold_t": "1500000", "bidders": "3", "winners": "2",
                     "cover_ratio": "0.75", "cancelled": ""}]
    assert rejected.startswith("# rejected\n") and fills.startswith("# fills\n")
    assert list(csv.DictReader(io.StringIO(fills.split("\n", 1)[1]))) == [
        {"bidder": "1", "bid_id": "a", "quantity": "800000"}, {"bidder": "2", "bid_id": "a", "quantity": "700000"}]
    for pair in (["--json", "--csv"], ["--csv", "--json"]):  # refused while parsing: a usage error, nothing run
        both = runner.invoke(app, ["auction", "clear", "--bids", str(bids), "--rules", str(RULES), *pair])
        assert both.exit_code == 2 and both.stdout == "", (pair, both.stdout)
        assert both.stderr.strip().splitlines() == ["error: --json and --csv: choose one (see --help)"], both.stderr

    def options(cmd, path: str = "") -> list[tuple[str, bool, bool]]:  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs is not None:
            return [x for name, c in subs.items() for x in options(c, f"{path} {name}")]
        names = {o for p in cmd.params for o in getattr(p, "opts", [])}
        return [(path, "--json" in names, "--csv" in names)]

    import typer

    every = options(typer.main.get_command(app))
    assert [p for p, j, c in every if j != c] == [] and sum(j for _p, j, _c in every) > 60


def test_every_bad_bid_is_named_under_the_files_own_headers(tmp_path: Path) -> None:
    """A bid file with four bad rows names all four (Chinese headers as written), clears nothing."""
    path = tmp_path / "bids.csv"
    path.write_text("投标人,申报编号,价格,数量,时间\n"
                    "b1,a,45.00,800000,2017-06-30T09:35\n"  # row 2: a bidder id that is not a number
                    "1,b,1e400,700000,2017-06-30T09:40\n"  # row 3: a price beyond any bound
                    "2,c,43,9223372036854775808,2017-06-30T09:41\n"  # row 4: 2**63 t
                    "3,d,44,100,2017-06-30T09:42\n"  # row 5: good
                    "3,d,44,100,2017-06-30T09:43\n", encoding="utf-8")  # row 6: the same (bidder, bid) again
    result = runner.invoke(app, ["auction", "clear", "--bids", str(path), "--rules", str(RULES)])
    err = result.stderr.strip()
    assert result.exit_code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: 4 problems, nothing cleared: ")
    for needle in ("row 2, column \"投标人\": 'b1' is not a number", "row 3, column \"价格\": '1e400'",
                   'row 4, column "数量": 9223372036854775808 t', "row 6, column \"申报编号\": bidder 3 bid 'd' is given twice"):
        assert needle in err, (needle, err)
    assert "invalid literal" not in err and result.stdout == ""


def test_empty_lists_and_serial_blocks_read_as_words_not_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A result with no trades says so ("trades none", not "trades []"); serial blocks read 1–5, 9–12."""
    monkeypatch.setattr(output.console, "width", 100)
    with output.console.capture() as cap:
        output.print_table({"order": 7, "status": "resting", "trades": [], "serials": [[1, 5], [9, 12]]}, title="order")
    text = cap.get()
    assert "[]" not in text and "[[" not in text and "'" not in text
    lines = {line.split("┃")[1].strip() if "┃" in line else line.split("│")[1].strip(): line
             for line in text.splitlines() if "│" in line or "┃" in line}
    assert "none" in lines["trades"] and "1–5, 9–12" in lines["serials"]


@pytest.mark.parametrize(("option", "value", "needle"), [
    ("--eligible", "1,b1", "--eligible: 'b1' is not a number (bidder ids, comma-separated)"),
    ("--reserve", "-1", "--reserve: -1 yuan is below the minimum 0 yuan"),
    ("--reserve", "1e400", "--reserve: '1e400' has an exponent beyond ±30"),
    ("--reserve", "9223372036854775808", "--reserve: 9223372036854775808 yuan is above the maximum"),
])
def test_auction_options_refused_in_words_not_python_messages(bids: Path, option: str, value: str, needle: str) -> None:
    r = runner.invoke(app, ["auction", "clear", "--bids", str(bids), "--rules", str(RULES), option, value])
    err = r.stderr.strip()
    assert r.exit_code == 1 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert needle in err, err
    assert "invalid literal" not in err and "Traceback" not in err and r.stdout == ""
