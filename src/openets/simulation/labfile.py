"""The lab file (政策实验室): one TOML file naming a market's rules, the years, trading days, the
penalty, the discount rate and the seed, and a firms table beside it (CSV or Excel, English or Chinese
headers). Everything is checked before anything runs, and every problem is named with its place —
the file, the row and the column header as the user wrote it — all of them, not the first.

```toml
[lab]
name = "cement and power, one year"
market = "CEA"             # whose trading rules (band, sessions, delivery, fees) the exchange applies
years = [2021]             # consecutive; banking carries a surplus from one to the next
trading_days = 60
orders_per_day = 400
penalty_yuan = "200"       # per tonne not surrendered: the price ceiling
discount_rate = "0.05"     # a year: what a banked tonne's expected price is discounted by
seed = 1
firms = "firms.csv"        # next to the lab file
start_price_yuan = "48"    # optional: the first reference price (default: the market's rule)
allocation_factor = ["1"]  # optional, one per year: each firm's allocation × this
price_floor_yuan = "40"    # optional: a floor the regulator defends by buying at it (a reserve)
bau_shock = "0.05"         # optional: an ensemble's emission shocks, the sd of each firm's BAU factor

[investors]                # optional: non-covered holders trading on a view of the price
count = 5
cash_yuan = "2000000"      # each investor's cash at the start
view_premium = "0.10"      # its expected price: the analytic price × (1 + this) ...
# view_yuan = ["60"]       # ... or a price path, one per year (give one of the two)
```

An investor (a 投资机构 with a holding account, no obligation) values a tonne at its view of the year's
price discounted to today at the discount rate over the trading days left; it buys below that value and
sells above it (the same ZI-C quoting as the firms), within its cash and the market's holding limit.

Firms table: ``firm_id`` (企业编号), ``sector`` (行业), ``bau_t`` (基准情景排放: emissions without
abatement, rounded up to whole tonnes, the unit a surrender counts), ``allocation_t`` (配额) or
``benchmark`` (基准值, t per unit of output) with ``output`` (产量), and the MAC as ``mac_slope``
(边际减排成本斜率, yuan per tonne per tonne abated) or ``mac_points`` (边际减排成本曲线,
``tonnes:yuan`` pairs separated by ``;``, e.g. ``1000:20; 3000:60``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openets.core.errors import BadInput, DomainError
from openets.core.numbers import MAX_TONNES, parse_decimal, parse_int
from openets.services.tabular import Problems, Row, Schema, read_tables, read_toml
from openets.simulation.economics import Firm, Mac, intensity_allocation


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabHead(_Strict):
    name: str = Field(min_length=1, max_length=200)
    market: str = Field("CEA", description="the market whose rules the exchange applies")
    years: list[int] = Field(min_length=1, max_length=10)
    trading_days: int = Field(ge=1, le=250)
    orders_per_day: int = Field(400, ge=1, le=100_000)
    penalty_yuan: Decimal = Field(gt=0, le=100_000)
    discount_rate: Decimal = Field(Decimal("0.05"), ge=0, le=1)
    seed: int = Field(1, ge=0, le=2**31)
    firms: str = Field(min_length=1)
    start_price_yuan: Decimal | None = Field(None, gt=0, le=100_000)
    allocation_factor: list[Decimal] | None = None
    # a floor defended by a reserve that buys every allowance offered at it (policy-lab.md §3: a floor
    # or a stability reserve is a what-if); None: no floor
    price_floor_yuan: Decimal | None = Field(None, gt=0, le=100_000)
    # ensembles (--runs N > 1): each run draws each firm's BAU × (1 + e), e ~ Normal(0, bau_shock)
    # truncated at ±3 sd, seeded by the run's seed. 5 % is this lab's assumption (unverified: no
    # source gives the year-to-year spread of a firm's emissions around its BAU); 0: no shocks
    # the share of each allocation issued before trading; the rest after the last trading day, before
    # surrender (the national market's pre-allocation and true-up); 1: all of it before
    pre_allocation: Decimal = Field(Decimal(1), gt=0, le=1)
    # offsets (CCER and the like) a firm may surrender: up to this share of its verified emissions,
    # bought outside the allowance market at offset_price_yuan (the lab's assumption; required with a cap)
    offset_cap: Decimal = Field(Decimal(0), ge=0, le=Decimal("0.5"))
    offset_price_yuan: Decimal | None = Field(None, ge=0, le=100_000)
    # the most a firm may carry into the next year, tonnes (China 2023–24: 10,000 t + 1.5 × net sales —
    # this lab's limit is the flat part only); the rest is cancelled at the year's end. None: no limit
    bank_limit_t: int | None = Field(None, ge=0, le=MAX_TONNES)
    bau_shock: Decimal = Field(Decimal("0.05"), ge=0, le=Decimal("0.3"))

    @model_validator(mode="after")
    def _years(self) -> LabHead:
        if any(not 2013 <= y <= 2060 for y in self.years):
            raise ValueError("years are between 2013 and 2060")
        if self.years != list(range(self.years[0], self.years[0] + len(self.years))):
            raise ValueError("years are consecutive, oldest first")
        if self.offset_cap and self.offset_price_yuan is None:
            raise ValueError("an offset_cap needs offset_price_yuan (what an offset costs the firms)")
        if self.allocation_factor is not None:
            if len(self.allocation_factor) != len(self.years):
                raise ValueError("allocation_factor has one value per year")
            if any(not Decimal(0) < f <= 10 for f in self.allocation_factor):
                raise ValueError("each allocation_factor is in (0, 10]")
        return self


ONE_VIEW = "give the view as view_premium or view_yuan, one of the two"


def _crossed(data: object) -> list[str]:
    """The checks across fields that pydantic runs only once every field is valid, run on the raw file
    too, so that a file with a bad field and a conflict between fields has both named at once."""
    inv = data.get("investors") if isinstance(data, dict) else None
    if isinstance(inv, dict) and ("view_premium" in inv) == ("view_yuan" in inv):
        return [f"investors: {ONE_VIEW}"]
    return []


class Investors(_Strict):
    count: int = Field(ge=1, le=1000)
    cash_yuan: Decimal = Field(gt=0, le=10**12)
    view_premium: Decimal | None = Field(None, gt=-1, le=10)
    view_yuan: list[Decimal] | None = None

    @model_validator(mode="after")
    def _view(self) -> Investors:
        if (self.view_premium is None) == (self.view_yuan is None):
            raise ValueError(ONE_VIEW)
        if self.view_yuan is not None and any(not Decimal(0) < v <= 100_000 for v in self.view_yuan):
            raise ValueError("each view_yuan is a price in (0, 100000]")
        return self


class LabFile(_Strict):
    lab: LabHead
    investors: Investors | None = None

    @model_validator(mode="after")
    def _views(self) -> LabFile:
        if self.investors is not None and self.investors.view_yuan is not None \
                and len(self.investors.view_yuan) != len(self.lab.years):
            raise ValueError("investors.view_yuan has one price per year of lab.years")
        return self


COLUMNS = ("firm_id", "sector", "bau_t", "allocation_t", "benchmark", "output", "mac_slope", "mac_points")
SCHEMA = Schema(COLUMNS, (), {"企业编号": "firm_id", "行业": "sector", "基准情景排放": "bau_t", "配额": "allocation_t",
                              "基准值": "benchmark", "产量": "output", "边际减排成本斜率": "mac_slope",
                              "边际减排成本曲线": "mac_points"})
SHEETS = {"firms": SCHEMA, "企业": SCHEMA}


@dataclass(frozen=True, slots=True)
class FirmRow:
    firm_id: str
    sector: str
    bau: int  # tonnes, rounded up
    allocation: int  # tonnes (benchmark × output rounded half up when given so)
    slope: Fraction | None
    points: tuple[tuple[Fraction, Fraction], ...]
    benchmark: Decimal | None = None  # when the allocation is benchmark × output (a what-if may change it)
    output: Decimal | None = None

    def curve(self) -> Mac:
        return Mac(Fraction(self.bau), slope=self.slope, points=self.points)


@dataclass(frozen=True, slots=True)
class Lab:
    head: LabHead
    firms: tuple[FirmRow, ...]
    path: Path
    investors: Investors | None = None

    def factor(self, t: int) -> Decimal:
        return self.head.allocation_factor[t] if self.head.allocation_factor else Decimal(1)

    def allocation(self, f: FirmRow, t: int) -> int:
        """A firm's allocation in year index t: its table allocation × the year's factor, rounded down
        (a cap is never exceeded by rounding)."""
        return int(Decimal(f.allocation) * self.factor(t))

    def firms_of(self, t: int) -> list[Firm]:
        return [Firm(f.firm_id, f.sector, f.curve(), Fraction(self.allocation(f, t))) for f in self.firms]


def _fraction(d: Decimal) -> Fraction:
    return Fraction(d)


def _points(text: str, what: str) -> tuple[tuple[Fraction, Fraction], ...]:
    pts = []
    for part in (p.strip() for p in text.replace("；", ";").split(";")):
        if not part:
            continue
        a, sep, m = part.partition(":")
        if not sep:
            raise BadInput("mac_points_invalid", f"{what}: {part!r} is not tonnes:yuan")
        pts.append((_fraction(parse_decimal(a, what, minimum=0, maximum=MAX_TONNES)),
                    _fraction(parse_decimal(m, what, minimum=0, maximum=10**7))))
    if not pts:
        raise BadInput("mac_points_invalid", f"{what}: no tonnes:yuan points")
    return tuple(pts)


def _firm(r: Row, problems: list[str]) -> FirmRow | None:
    """One row checked: every problem of it appended (named by row and header as written)."""
    before = len(problems)

    col = r.col

    def need(c: str) -> str:
        v = r.values.get(c, "")
        if not v:
            problems.append(f"{r.where}, {col(c)}: empty")
        return v

    def num(c: str, parse: type[int] | type[Decimal], positive: bool = False) -> Decimal | None:
        v = need(c)
        if not v:
            return None
        try:
            d = (Decimal(parse_int(v, col(c), maximum=MAX_TONNES)) if parse is int
                 else parse_decimal(v, col(c), minimum=0, maximum=MAX_TONNES))
        except BadInput as exc:
            problems.append(f"{r.where}, {exc.message}")
            return None
        if positive and d <= 0:
            problems.append(f"{r.where}, {col(c)}: {v} is not above 0")
            return None
        return d

    firm_id, sector = need("firm_id"), need("sector")
    bau = num("bau_t", Decimal, positive=True)
    v = r.values
    allocation: int | None = None
    b: Decimal | None = None
    o: Decimal | None = None
    if v.get("allocation_t") and (v.get("benchmark") or v.get("output")):
        problems.append(f"{r.where}: give {col('allocation_t')} or {col('benchmark')} and {col('output')}, not both")
    elif v.get("allocation_t"):
        a = num("allocation_t", int)
        allocation = None if a is None else int(a)
    elif v.get("benchmark") or v.get("output"):
        b, o = num("benchmark", Decimal), num("output", Decimal)
        allocation = None if b is None or o is None else intensity_allocation(b, o)
    else:
        problems.append(f"{r.where}: no allocation: give {col('allocation_t')}, or {col('benchmark')} and {col('output')}")
    slope: Decimal | None = None
    points: tuple[tuple[Fraction, Fraction], ...] = ()
    if bool(v.get("mac_slope")) == bool(v.get("mac_points")):
        problems.append(f"{r.where}: give the MAC as {col('mac_slope')} or {col('mac_points')}, one of the two")
    elif v.get("mac_slope"):
        slope = num("mac_slope", Decimal, positive=True)
    else:
        try:
            points = _points(v["mac_points"], col("mac_points"))
            Mac(Fraction(1), points=points)  # the curve's own checks (rising points)
        except DomainError as exc:
            problems.append(f"{r.where}, {exc.message}" if isinstance(exc, BadInput)
                            else f"{r.where}, {col('mac_points')}: {exc.message}")
    if len(problems) > before or bau is None or allocation is None:
        return None
    return FirmRow(firm_id, sector, int(bau.to_integral_value(rounding=ROUND_CEILING)), allocation,
                   None if slope is None else _fraction(slope), points, b, o)


def load_lab(path: Path) -> Lab:
    """Read and check a lab file and its firms table; every problem named, then refused as one."""
    path = Path(path)
    try:  # the one reader of a user's TOML: a syntax error as one line with the file, line and column
        data = read_toml(path, "lab file", code="lab_invalid")
    except DomainError as exc:
        raise DomainError({"file_missing": "lab_unreadable", "file_encoding": "lab_invalid"}.get(
            exc.code, exc.code), exc.message) from None
    try:
        doc = LabFile.model_validate(data)
        head, investors = doc.lab, doc.investors
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(x) for x in e['loc']) or 'lab'}: "
                 f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors()]
        lines += [f"{path}: {c}" for c in _crossed(data) if f"{path}: {c}" not in lines]
        raise DomainError("lab_invalid", _all(lines)) from None
    table = (path.parent / head.firms).resolve()
    bad = Problems()  # the one collector and message of every table read (services/tabular.py)
    tables = read_tables(table, SHEETS, kind="firms", problems=bad)
    rows = next(iter(tables.values()))
    problems = bad.lines
    firms: list[FirmRow] = []
    seen: dict[str, str] = {}
    for r in rows:
        f = _firm(r, problems)
        fid = r.values.get("firm_id", "")
        if fid and fid in seen:
            problems.append(r.problem("firm_id", f"{fid} again (first at {seen[fid]})"))
            continue
        seen.setdefault(fid, r.where)
        if f is not None:
            firms.append(f)
    if not rows and not problems:
        problems.append(f"{table.name}: no firms")
    bad.refuse("nothing run", code="lab_invalid")
    return Lab(head, tuple(firms), path, investors)


def _all(problems: list[str]) -> str:
    return f"{len(problems)} problem{'s' if len(problems) > 1 else ''}: " + "; ".join(problems)
