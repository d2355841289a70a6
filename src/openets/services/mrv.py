"""Emission reports from Excel/CSV templates: read, resolve every stream's factors once, compute,
check the data; and the template itself, with Chinese and English headers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openets.core.errors import DomainError
from openets.core.numbers import parse_decimal
from openets.mrv import quality
from openets.mrv.accounting import Stream, StreamEmissions, Totals, emissions, resolve, totals
from openets.mrv.factors import Factor, FactorTable, default_factors, parse_factor_table
from openets.services.tabular import Problems, Row, Schema, read_tables, read_toml

STREAMS = Schema(
    columns=("installation", "stream_id", "kind", "fuel", "activity_unit", "ncv", "ncv_unit", "carbon_content",
             "carbon_content_unit", "oxidation", "oxidation_unit", "parameters", "gas", "grid_series", "stock_start"),
    required=("installation", "stream_id", "kind", "activity_unit"),
    aliases={"设施": "installation", "排放源": "stream_id", "源流": "stream_id", "类型": "kind", "燃料": "fuel",
             "活动数据单位": "activity_unit", "单位": "activity_unit", "低位发热量": "ncv", "低位发热量单位": "ncv_unit",
             "单位热值含碳量": "carbon_content", "单位热值含碳量单位": "carbon_content_unit", "碳氧化率": "oxidation",
             "碳氧化率单位": "oxidation_unit", "参数": "parameters", "气体": "gas", "电网因子系列": "grid_series",
             "期初库存": "stock_start"},
)
ACTIVITY = Schema(
    columns=("stream_id", "month", "quantity", "output", "ncv", "carbon_content", "purchased", "stock_end"),
    required=("stream_id", "month", "quantity"),
    aliases={"排放源": "stream_id", "源流": "stream_id", "月份": "month", "活动数据": "quantity", "消耗量": "quantity",
             "产量": "output", "批次低位发热量": "ncv", "批次单位热值含碳量": "carbon_content", "购入量": "purchased",
             "期末库存": "stock_end"},
)
def _output_schema() -> Schema:
    from openets.services.allocation import PRODUCTION

    cols = tuple(c for c in PRODUCTION.columns if c not in ("company", "history", "output_unit"))
    return Schema(cols, ("source_id", "sector"), {k: v for k, v in PRODUCTION.aliases.items() if v in cols})


SCHEMAS = {"streams": STREAMS, "activity": ACTIVITY}
KIND_ALIASES = {"燃烧": "combustion", "化石燃料燃烧": "combustion", "熟料": "clinker", "阳极": "anode",
                "外购电力": "electricity", "外购热力": "heat", "电力": "electricity", "热力": "heat"}


@dataclass(frozen=True, slots=True)
class Report:
    streams: list[StreamEmissions]
    per_installation: dict[str, Totals]
    findings: list[quality.Finding]
    output: list[dict[str, str]]  # production rows per unit or installation (the "output" sheet)

    @property
    def direct(self) -> Decimal:
        return sum((t.direct for t in self.per_installation.values()), Decimal(0))

    @property
    def indirect(self) -> Decimal:
        return sum((t.indirect for t in self.per_installation.values()), Decimal(0))


def _dec(row: Row, col: str) -> Decimal:
    return row.number(col)


def _stream(row: Row) -> Stream:
    v = row.values
    measured = {}
    for name in ("ncv", "carbon_content", "oxidation"):
        if v.get(name):
            unit = v.get(f"{name}_unit") or ""
            if not unit:
                raise DomainError("file_value", row.problem(f"{name}_unit", f"a measured {row.col(name)} needs its unit"))
            value = _dec(row, name)
            if value < 0:
                raise DomainError("file_value", row.problem(name, "cannot be negative"))
            measured[name] = Factor(value, unit, f"measured ({row.where})", "measured")
    params = {}
    for part in (v.get("parameters") or "").replace("；", ";").split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            params[key.strip()] = parse_decimal(val.strip(), key.strip())
        except (InvalidOperation, DomainError):
            raise DomainError("file_value", row.problem("parameters", f"{part!r} is not name=number")) from None
    return Stream(v["installation"], v["stream_id"], KIND_ALIASES.get(v["kind"], v["kind"]), v["activity_unit"],
                  fuel=v.get("fuel", ""), measured=measured, parameters=params, gas=v.get("gas", ""),
                  grid_series=v.get("grid_series") or "ets_reporting")


def load_factors(path: Path) -> FactorTable:
    """A factor table of a user's own (TOML): read by the one reader of users' TOML (a syntax error as one
    line with its file, line and column), then every part checked (``mrv.factors.parse_factor_table``)."""
    path = Path(path)
    return parse_factor_table(read_toml(path, "factor table", code="factor_file"), path.name)


def read_report(path: Path, *, year: int, table: FactorTable | None = None, gwp_set: str = "SAR",
                encoding: str = "utf-8-sig") -> Report:
    problems = Problems()  # every bad row of every sheet named, then refused together
    sheets = read_tables(path, {**SCHEMAS, "output": _output_schema()}, encoding=encoding, problems=problems)
    if not {"streams", "activity"} <= set(sheets):
        raise DomainError("file_kind", f"{Path(path).name}: a report has the sheets streams and activity")
    table = table or default_factors()
    resolved = {}
    opening: dict[str, Decimal] = {}
    given: set[str] = set()  # every stream the sheet names, bad ones too (their activity is not "unknown")
    for row in sheets["streams"]:
        sid = row.values["stream_id"]
        if sid in given:
            problems.add(row, "stream_id", f"{sid} appears twice")
            continue
        given.add(sid)
        if row.values.get("stock_start"):
            with problems.at(row, "stock_start"):
                opening[sid] = _dec(row, "stock_start")
        with problems.at(row):
            resolved[sid] = resolve(_stream(row), table, year=year, gwp_set=gwp_set)  # factors resolved once here
    monthly: dict[str, list[tuple[int, Decimal]]] = {sid: [] for sid in resolved}
    batch_emissions: dict[str, Decimal] = {}  # streams with batch-measured values: emissions row by row
    purchases: dict[str, list[Decimal]] = {}
    stocks: dict[str, dict[int, Decimal]] = {}
    for row in sheets["activity"]:
        sid = row.values["stream_id"]
        before = len(problems.lines)
        if sid not in given:
            problems.add(row, "stream_id", f"{sid} is not in the streams sheet")
        month = quantity = None
        with problems.at(row, "month"):
            month = _dec(row, "month")
            if month != month.to_integral_value() or not 1 <= month <= 12:
                raise DomainError("file_value", row.problem("month", f"{row.values['month']!r} is not a month (whole, 1–12)"))
        with problems.at(row, "quantity"):
            quantity = _dec(row, "quantity")
            if quantity < 0:
                raise DomainError("file_value", row.problem("quantity", f"negative consumption {quantity}"))
        v = row.values
        extra: dict[str, Decimal] = {}
        for col in ("ncv", "carbon_content", "purchased", "stock_end"):
            if v.get(col):
                with problems.at(row, col):
                    extra[col] = _dec(row, col)
        if len(problems.lines) > before or sid not in resolved or month is None or quantity is None:
            continue
        monthly[sid].append((int(month), quantity))
        if "ncv" in extra or "carbon_content" in extra:
            # a batch measured on its own (per fuel batch, 每批次实测): its values, in the stream's units,
            # replace the stream's for this row only
            with problems.at(row):
                per = resolved[sid].batch(extra.get("ncv"), extra.get("carbon_content"))
                batch_emissions[sid] = batch_emissions.get(sid, Decimal(0)) + quantity * per - quantity * resolved[sid].per_unit
        if "purchased" in extra:
            purchases.setdefault(sid, []).append(extra["purchased"])
        if "stock_end" in extra:
            stocks.setdefault(sid, {})[int(month)] = extra["stock_end"]
    for row in sheets.get("output", []):  # the supplementary data table's numbers, checked like the others
        for col in ("output", "capacity_mw", "electricity_mwh", "heat_gj", "heat_supply_ratio", "load_factor",
                    "local_factor"):
            if row.values.get(col):
                with problems.at(row, col):
                    _dec(row, col)
    problems.refuse("nothing computed")
    findings: list[quality.Finding] = []
    out = []
    for sid, r in resolved.items():
        rows = monthly[sid]
        findings += quality.month_rows(f"stream {sid}", rows)
        by_month = dict(rows)
        findings += quality.identical_neighbours(f"stream {sid}", by_month)
        findings += quality.jumps(f"stream {sid}", by_month)
        if sid in purchases:  # purchases vs consumption vs the change of stock over the year
            s = stocks.get(sid, {})
            findings += quality.fuel_balance(f"stream {sid}", sum(purchases[sid], Decimal(0)),
                                             sum(by_month.values(), Decimal(0)), opening.get(sid, Decimal(0)),
                                             s[max(s)] if s else opening.get(sid, Decimal(0)))
        e = emissions(r, by_month)
        if sid in batch_emissions:
            e = StreamEmissions(e.resolved, e.activity, e.emissions + batch_emissions[sid])
        out.append(e)
    output = [{k: v for k, v in r.values.items() if v != ""} for r in sheets.get("output", [])]
    return Report(out, totals(out), findings, output)


def bilingual(schema: Schema) -> list[str]:
    """Each column as "中文 / english": its first Chinese alias, or the English name alone."""
    zh: dict[str, str] = {}
    for alias, col in schema.aliases.items():
        zh.setdefault(col, alias)
    return [f"{zh[c]} / {c}" if c in zh else c for c in schema.columns]


def write_template(path: Path) -> Path:
    """An empty report workbook: headers in Chinese and English (the Chinese ones are read too)."""
    import openpyxl

    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "说明 readme"
    for line in (
        "排放报告模板 Emission report template (OpenETS)",
        "streams: one row per source stream 每个排放源一行. kind 类型: combustion 燃烧, clinker 熟料, anode 阳极, pfc, gas, "
        "electricity 外购电力, heat 外购热力.",
        "Measured values 实测值 (ncv 低位发热量, carbon_content 单位热值含碳量, oxidation 碳氧化率) override the defaults; give "
        "each its unit, e.g. GJ/t, tC/TJ, %.",
        "parameters 参数: clinker cao=0.65;cao_nc=0.01;mgo=0.02;mgo_nc=0 — anode sulphur=0.02;ash=0.004 — pfc "
        "ef_cf4=0.034;ef_c2f6=0.0034 (kg/t).",
        "activity: one row per stream and month 每个排放源每月一行; quantity 活动数据 in the stream's activity_unit.",
    ):
        readme.append([line])
    # sheet names and headers in both languages, as the reader takes them ("排放源 streams", "设施 / installation");
    # the accounting report's (核算报告) source streams and monthly activity, and the supplementary data
    # table (补充数据表) of output. The references give no cell layout of the official forms beyond that.
    ws = wb.create_sheet("排放源 streams")
    ws.append(bilingual(STREAMS))
    ws.append(["I1", "gas-1", "combustion", "natural_gas", "10**4 Nm3", "", "", "", "", "", "", "", "", ""])
    act = wb.create_sheet("活动数据 activity")
    act.append(bilingual(ACTIVITY))
    for m in range(1, 13):
        act.append(["gas-1", m, "", ""])
    out = wb.create_sheet("补充数据表 output")
    out.append(bilingual(_output_schema()))
    for sheet in (ws, act, out):
        sheet.freeze_panes = "A2"
        for col in sheet.iter_cols(min_row=1, max_row=1):
            sheet.column_dimensions[col[0].column_letter].width = max(12, len(str(col[0].value)) + 4)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path
