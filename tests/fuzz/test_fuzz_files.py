"""Every kind of file the CLI reads, as a valid file mutated by hypothesis: a hostile cell, a missing
column, a duplicated row (duplicate ids), another encoding, a file cut short, an extra header. For each:
a clean answer (no traceback, no raw Python message, one line when refused) within the bound, and the
database unchanged when refused. A file with several bad rows names every one of them."""

from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.fuzz.hostile import CLI_BOUND_S, HOSTILE, TALLY, bounded, examples, invoke, raw_in, timed

from openets.storage.db import make_engine
from openets.testing.digest import digest

EXAMPLES = examples(10)  # per file kind
RUNS = itertools.count()  # a lab run's database
RULES = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "auctions" / "shanghai-2017.toml"


@dataclass(frozen=True)
class Kind:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    number: str  # a numeric column: every row's made bad, the refusal must name every row
    args: tuple[str, ...]  # the command, FILE where the file goes
    suffix: str = ".csv"


KINDS = (
    Kind("parties", ("ref", "kind", "name", "name_en", "market", "registration_id", "sector", "region"),
         (("p1", "company", "甲电厂", "A", "BJ", "FZ-R1", "power", "110105"),
          ("p2", "company", "乙电厂", "B", "BJ", "FZ-R2", "power", "110105")), "region",
         ("registry", "import", "FILE", "--kind", "parties", "--as", "BJ-reg-1")),
    Kind("installations", ("ref", "party_ref", "name", "county_code", "sector"),
         (("fz-in1", "BJ-REG-00000", "一号厂", "110105", "power"), ("fz-in2", "BJ-REG-00001", "二号厂", "110105", "power")),
         "county_code", ("registry", "import", "FILE", "--kind", "installations", "--as", "BJ-reg-1")),
    # a generating unit names an installation of the same file (CSV: one kind per file, so every valid
    # row is refused as an unknown installation; the mutations still must be refused cleanly)
    Kind("generating_units", ("installation_ref", "name", "capacity_mw", "fuel", "cooling", "category"),
         (("fz-in1", "1号机组", "300", "coal", "wet", "300MW"), ("fz-in1", "2号机组", "600", "coal", "air", "600MW")),
         "capacity_mw", ("registry", "import", "FILE", "--kind", "generating_units", "--as", "BJ-reg-1")),
    Kind("accounts", ("number", "party_ref", "market", "type", "name"),
         (("FZ-ACC-1", "BJ-REG-00000", "BJ", "holding", "一般"), ("FZ-ACC-2", "BJ-REG-00001", "BJ", "holding", "一般")),
         "type", ("registry", "import", "FILE", "--kind", "accounts", "--as", "BJ-reg-1")),
    Kind("issuances", ("key", "unit_class", "account", "quantity"),
         (("fz-i1", "BEA-2016", "BJ-ISSUANCE", "10"), ("fz-i2", "BEA-2016", "BJ-ISSUANCE", "20")), "quantity",
         ("registry", "import", "FILE", "--kind", "issuances", "--as", "BJ-reg-1")),
    Kind("allocations", ("key", "unit_class", "from_account", "account", "quantity"),
         (("fz-a1", "BEA-2016", "BJ-ISSUANCE", "BJ-C00000", "5"), ("fz-a2", "BEA-2016", "BJ-ISSUANCE", "BJ-C00001", "5")),
         "quantity", ("registry", "import", "FILE", "--kind", "allocations", "--as", "BJ-reg-1")),
    Kind("credits", ("id", "standard", "project_id", "project_type", "province", "county", "period_start",
                     "period_end", "quantity", "boundary_of", "tags"),
         (("a", "CCER", "P1", "forestry", "42", "421100", "2014-01-01", "2014-12-31", "10", "", ""),
          ("b", "CCER", "P2", "forestry", "42", "421100", "2014-01-01", "2014-12-31", "20", "", "")), "quantity",
         ("offsets", "check-eligibility", "FILE", "--market", "HB", "--year", "2016", "--company", "HB1",
          "--basis", "500000")),
    Kind("bids", ("bidder", "bid_id", "price", "quantity", "at"),
         (("1", "a", "45.00", "100", "2017-06-30T09:35"), ("2", "b", "44.00", "100", "2017-06-30T09:36")), "price",
         ("auction", "clear", "--bids", "FILE", "--rules", str(RULES))),
    Kind("orders", ("at", "instrument", "order_id", "party", "side", "type", "price", "quantity", "action"),
         (("2021-07-16T09:30:00", "CEA", "1", "10", "sell", "limit", "49.00", "100", ""),
          ("2021-07-16T09:30:01", "CEA", "2", "11", "buy", "limit", "49.00", "100", "")), "quantity",
         ("market", "replay", "FILE")),
    Kind("firms", ("firm_id", "sector", "bau_t", "allocation_t", "mac_slope"),
         (("A", "cement", "100", "80", "1"), ("B", "cement", "100", "120", "2")), "bau_t",
         ("lab", "run", "LAB")),
    Kind("sectors", ("sector", "base", "potential", "growth", "policy"),
         (("power", "3000", "1", "1", "1"), ("cement", "1000", "1", "1.5", "1")), "base",
         ("cap", "sectors", "FILE", "--covered", "3000")),
)
LAB = '[lab]\nname = "fuzz"\nyears = [2021]\ntrading_days = 1\norders_per_day = 4\npenalty_yuan = "100"\nfirms = "{firms}"\n'


def encode(kind: Kind, rows: list[list[str]], header: list[str], how: str) -> bytes:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    if how == "gbk":
        return text.encode("gbk", errors="replace")
    if how == "latin-1":
        return text.encode("latin-1", errors="replace")
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "nul":
        return text.encode("utf-8", "surrogateescape").replace(b",", b",\x00", 1)
    return text.encode("utf-8", "surrogateescape")


@st.composite
def mutated(draw: st.DrawFn, kind: Kind) -> tuple[str, bytes]:
    header, rows = list(kind.header), [list(r) for r in kind.rows]
    how = draw(st.sampled_from(("cell", "cells", "drop column", "duplicate row", "extra header", "encoding",
                                "cut short", "empty", "rename header")))
    enc = "utf-8"
    if how == "cell":
        rows[draw(st.integers(0, len(rows) - 1))][draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(HOSTILE))
    elif how == "cells":
        for r in rows:
            r[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(HOSTILE))
    elif how == "drop column":
        j = draw(st.integers(0, len(header) - 1))
        header, rows = header[:j] + header[j + 1:], [r[:j] + r[j + 1:] for r in rows]
    elif how == "duplicate row":
        rows.append(list(rows[0]))
    elif how == "extra header":
        header.append(draw(st.sampled_from(("quantity", "x", ""))))
    elif how == "encoding":
        enc = draw(st.sampled_from(("gbk", "latin-1", "utf-16", "nul")))
    elif how == "rename header":
        header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(("数量", "", "\x00", "QUANTITY")))
    body = encode(kind, rows, header, enc)
    if how == "cut short":
        body = body[:draw(st.integers(0, len(body) - 1))]
    if how == "empty":
        body = b""
    return how, body


@pytest.fixture(scope="module")
def world(fuzz_world, tmp_path_factory):  # type: ignore[no-untyped-def]
    url, _ = fuzz_world
    root = tmp_path_factory.mktemp("fuzz-files")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("OPENETS_LOCAL_ADMIN", "1")
        mp.setenv("OPENETS_NOW", "2017-06-14T10:00:00+08:00")
        yield url, make_engine(url), root


def run_file(kind: Kind, body: bytes, world: typing.Any) -> tuple[int, str]:
    url, eng, root = world
    path = root / f"{kind.name}{kind.suffix}"
    path.write_bytes(body)
    args = [a.replace("FILE", str(path)) for a in kind.args]
    if "LAB" in args:
        lab = root / "lab.toml"
        lab.write_text(LAB.format(firms=path.name), encoding="utf-8")
        args = [str(lab) if a == "LAB" else a for a in args] + ["--db", f"sqlite:///{root / f'lab-{next(RUNS)}.db'}"]
    elif args[0] in ("registry",):
        args += ["--db", url]
    before = digest(eng)
    with bounded(CLI_BOUND_S), timed() as took:
        result = invoke(args)
    TALLY["file inputs tried"] += 1
    # an answer's own data may name the driver (the database URL): Python's words are looked for in
    # what it says on stderr, and a traceback anywhere
    shown = result.stderr + ("Traceback" if "Traceback" in result.stdout else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (kind.name, body[:300], repr(result.exception))
    assert raw_in(shown) is None, (kind.name, body[:300], raw_in(shown), shown[-1500:])
    assert took[0] < CLI_BOUND_S * (3 if kind.name == "firms" else 1), (kind.name, took[0])  # a valid lab file runs agents
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (kind.name, body[:300], result.stderr[-1500:])
        assert digest(eng) == before, (kind.name, body[:300], "a refused file changed the database")
        TALLY["file inputs refused cleanly"] += 1
        return result.exit_code, lines[0]
    TALLY["file inputs answered"] += 1
    return 0, result.stdout


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_mutated_file(world, kind: Kind) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
    @given(m=mutated(kind))
    def run(m: tuple[str, bytes]) -> None:
        run_file(kind, m[1], world)

    run()


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_bad_row_is_named(world, kind: Kind) -> None:  # type: ignore[no-untyped-def]
    j = kind.header.index(kind.number)
    rows = [list(r) for r in kind.rows]
    for r in rows:
        r[j] = "1e999999999"  # an exponent no parser may expand
    code, line = run_file(kind, encode(kind, rows, list(kind.header), "utf-8"), world)
    assert code != 0, (kind.name, line)
    assert "row 2" in line and "row 3" in line, (kind.name, line)


@pytest.mark.parametrize("body", [
    "", "[[[", "[auction]\n", "auction = 1\n", "[auction]\nvolume = 100\n", '[auction]\nvolume = "many"\ncloses_at = "2017-06-30T10:30"\n',
    '[auction]\nvolume = 100\nlot = 0\ncloses_at = "2017-06-30T10:30"\n', '[auction]\nvolume = -5\ncloses_at = "2017-06-30T10:30"\n',
    f'[auction]\nvolume = {2**70}\ncloses_at = "2017-06-30T10:30"\n', '[auction]\nvolume = 1e999\ncloses_at = "2017-06-30T10:30"\n',
    '[auction]\nvolume = 100\ncloses_at = "9999-12-31T23:59:59-23:59"\n', '[auction]\nvolume = 100\ncloses_at = 1\n',
    '[auction]\nvolume = 100\ncloses_at = "2017-06-30T10:30"\nreserve_fen = inf\n',
    "\udcff",
], ids=lambda b: repr(b)[:30])
def test_auction_rule_files(world, body: str) -> None:  # type: ignore[no-untyped-def]
    """The auction rule file (TOML): regression of the harness's finding (an empty file answered
    "(KeyError)" in its message)."""
    _, _, root = world
    rules = root / "rules.toml"
    rules.write_bytes(body.encode("utf-8", "surrogateescape"))
    bids = root / "bids-ok.csv"
    bids.write_text("bidder,bid_id,price,quantity,at\n1,a,45.00,100,2017-06-30T09:35\n", encoding="utf-8")
    with bounded(CLI_BOUND_S):
        result = invoke(["auction", "clear", "--bids", str(bids), "--rules", str(rules)])
    TALLY["file inputs tried"] += 1
    lines = result.stderr.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1 and raw_in(result.stderr) is None, (body, result.stderr)
    TALLY["file inputs refused cleanly"] += 1


STREAMS = (("installation", "stream_id", "kind", "activity_unit", "fuel"), ("I1", "S1", "combustion", "t", "diesel"))
ACTIVITY = (("stream_id", "month", "quantity"), ("S1", "1", "100"), ("S1", "2", "120"))


def workbook(streams: list[list[str]], activity: list[list[str]]) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "streams"
    for r in streams:
        ws.append(r)
    act = wb.create_sheet("activity")
    for r in activity:
        act.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@st.composite
def mutated_report(draw: st.DrawFn) -> bytes:
    streams, activity = [list(r) for r in STREAMS], [list(r) for r in ACTIVITY]
    sheet = draw(st.sampled_from((streams, activity)))
    how = draw(st.sampled_from(("cell", "drop column", "duplicate row", "cut short")))
    if how == "cell":
        sheet[draw(st.integers(1, len(sheet) - 1))][draw(st.integers(0, len(sheet[0]) - 1))] = draw(
            st.sampled_from(HOSTILE).filter(lambda v: "\x00" not in v and "\x1b" not in v and "\udcff" not in v))
    elif how == "drop column":
        j = draw(st.integers(0, len(sheet[0]) - 1))
        sheet[:] = [r[:j] + r[j + 1:] for r in sheet]
    elif how == "duplicate row":
        sheet.append(list(sheet[1]))
    cut = draw(st.integers(0, 999))  # drawn before the bytes: a workbook's length varies (its saved time)
    body = workbook(streams, activity)
    return body[:len(body) * cut // 1000] if how == "cut short" else body


MRV = Kind("report", (), (), "", ("mrv", "calc", "FILE", "--year", "2016"), suffix=".xlsx")


def test_mutated_mrv_workbook(world) -> None:  # type: ignore[no-untyped-def]
    """The MRV report workbook (sheets streams and activity; openpyxl refuses control characters in
    cells, so those are the CSV kinds' to try)."""

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
    @given(body=mutated_report())
    def run(body: bytes) -> None:
        run_file(MRV, body, world)

    run()
    rows = [list(ACTIVITY[0]), *([*r[:2], "1e999999999"] for r in ACTIVITY[1:])]
    code, line = run_file(MRV, workbook([list(r) for r in STREAMS], rows), world)
    assert code != 0 and "row 2" in line and "row 3" in line, line


# TOML files a user gives: a valid file, then one of its values replaced by a hostile TOML literal (a
# wrong type, a number beyond any range, a date that does not exist), a line dropped or doubled, the file
# cut short or in another encoding
SCENARIOS = Path(__file__).resolve().parents[2] / "src" / "openets" / "scenarios"
TOML_VALUES = ('"x"', '""', "-1", "0", "nan", "inf", "-inf", "1e999", "1e300", str(2**63), str(2**62), str(2**70), "-0.0",
               "0.5", "[]", "{}", "[1, 2, 3]", '["a", 1]', "{ value = 1 }", "true", '"1e999999999"', '"NaN"',
               '"Infinity"', '"-5"', '"\\u0000"', '"a\\u0000b"', "1979-05-27", "9999-12-31T23:59:59-23:59",
               '"2017-02-30"', '"9999-12-31T23:59:59-23:59"', '"碳排放权交易"', '"' + "x" * 10_000 + '"', '"../../etc/passwd"')


@dataclass(frozen=True)
class TomlKind:
    name: str
    body: str  # a valid file
    args: tuple[str, ...]  # FILE where the file goes
    beside: tuple[tuple[str, str], ...] = ()  # files it names, written next to it
    bound: float = 1.0  # × CLI_BOUND_S: a valid lab file runs agents


def _bundled(name: str) -> str:
    return "\n".join(line for line in (SCENARIOS / name).read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))


FACTORS = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "factors" / "default.toml"
TOML_KINDS = (
    TomlKind("scenario", _bundled("pilots-2016.toml"), ("run", "FILE", "--check"),
             beside=(("pilots-2016-rules.toml", (SCENARIOS / "pilots-2016-rules.toml").read_text(encoding="utf-8")),)),
    TomlKind("lab", LAB.format(firms="lab-firms.csv"), ("lab", "run", "FILE"),
             beside=(("lab-firms.csv", "firm_id,sector,bau_t,allocation_t,mac_slope\nA,cement,100,80,1\nB,cement,100,120,2\n"),),
             bound=3),
    TomlKind("factors", FACTORS.read_text(encoding="utf-8"), ("mrv", "calc", "WORKBOOK", "--year", "2016", "--factors", "FILE")),
)


@st.composite
def mutated_toml(draw: st.DrawFn, kind: TomlKind) -> bytes:
    lines = kind.body.splitlines()
    values = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("[")]
    how = draw(st.sampled_from(("value", "value", "value", "drop line", "double line", "cut short", "encoding",
                                "empty", "table")))
    if how == "value":
        i = draw(st.sampled_from(values))
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {draw(st.sampled_from(TOML_VALUES))}"
    elif how == "drop line":
        del lines[draw(st.sampled_from(values))]
    elif how == "double line":
        i = draw(st.sampled_from(values))
        lines.insert(i, lines[i])
    elif how == "table":  # a table header renamed or doubled
        heads = [i for i, line in enumerate(lines) if line.startswith("[")]
        if heads:
            lines[draw(st.sampled_from(heads))] = draw(st.sampled_from(("[x]", "[[lab]]", "[scenario.x]", "[fuel]", "[[grid]]")))
    text = "\n".join(lines) + "\n"
    if how == "encoding":
        return text.encode(draw(st.sampled_from(("gbk", "utf-16", "latin-1"))), errors="replace")
    if how == "cut short":
        body = text.encode("utf-8")
        return body[:draw(st.integers(0, len(body) - 1))]
    return b"" if how == "empty" else text.encode("utf-8")


def run_toml(kind: TomlKind, body: bytes, world: typing.Any) -> tuple[int, str]:
    _, eng, root = world
    path = root / f"{kind.name}.toml"
    path.write_bytes(body)
    for name, text in kind.beside:
        (root / name).write_text(text, encoding="utf-8")
    args = [str(path) if a == "FILE" else a for a in kind.args]
    if "WORKBOOK" in args:
        wb = root / "report-ok.xlsx"
        if not wb.exists():
            wb.write_bytes(workbook([list(r) for r in STREAMS], [list(r) for r in ACTIVITY]))
        args = [str(wb) if a == "WORKBOOK" else a for a in args]
    if kind.name == "lab":  # a database of its own for each run (a second run on one is refused)
        args += ["--db", f"sqlite:///{root / f'lab-{next(RUNS)}.db'}"]
    before = digest(eng)
    with bounded(CLI_BOUND_S * kind.bound), timed() as took:
        result = invoke(args)
    TALLY["file inputs tried"] += 1
    shown = result.stderr + ("Traceback" if "Traceback" in result.stdout else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (kind.name, body[:300], repr(result.exception))
    assert raw_in(shown) is None, (kind.name, body[:300], raw_in(shown), shown[-1500:])
    assert took[0] < CLI_BOUND_S * kind.bound, (kind.name, took[0])
    assert digest(eng) == before, (kind.name, "a file that is only read changed the database")
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (kind.name, body[:300], result.stderr[-1500:])
        TALLY["file inputs refused cleanly"] += 1
        return result.exit_code, lines[0]
    TALLY["file inputs answered"] += 1
    return 0, result.stdout


@pytest.mark.parametrize("kind", TOML_KINDS, ids=[k.name for k in TOML_KINDS])
def test_mutated_toml_file(world, kind: TomlKind) -> None:  # type: ignore[no-untyped-def]
    code, said = run_toml(kind, kind.body.encode("utf-8"), world)
    assert code == 0, said  # the valid file is accepted

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
    @given(body=mutated_toml(kind))
    def run(body: bytes) -> None:
        run_toml(kind, body, world)

    run()


@pytest.mark.parametrize("kind", TOML_KINDS, ids=[k.name for k in TOML_KINDS])
def test_a_toml_syntax_error_names_its_line(world, kind: TomlKind) -> None:  # type: ignore[no-untyped-def]
    """services/tabular.read_toml: the file, the line and the column of the first syntax error, one line."""
    lines = kind.body.splitlines()
    i = next(i for i, line in enumerate(lines) if "=" in line and not line.startswith("["))
    lines[i] = lines[i].split("=", 1)[0] + "= "  # line i + 1: a key without a value
    code, line = run_toml(kind, ("\n".join(lines) + "\n").encode("utf-8"), world)
    assert code == 1 and f"{kind.name}.toml, line {i + 1}, column " in line and "(invalid value)" in line, line
