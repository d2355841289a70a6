"""Allocation use cases: read production data, run the allocation, propose it, and issue it into the
registry as one atomic, idempotent batch once a second regulator approves."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select, update

from openets.allocation import industry
from openets.allocation.changes import KINDS as CHANGE_KIND_NAMES
from openets.allocation.changes import Change, apply_changes
from openets.allocation.plan import CompanyAllocation, ConfirmedOutput, PlanResult, ProductionRow, allocate
from openets.allocation.rules import AllocationRules
from openets.allocation.runs import RunStatus, next_status
from openets.core.actor import Actor
from openets.core.batching import chunks as _chunks
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.numbers import parse_decimal
from openets.registry.commands import Allocate, ReturnExcess
from openets.registry.model import AccountStatus, AccountType
from openets.rules.loader import RuleSet
from openets.services import rulebook
from openets.services.queries import available_positions
from openets.services.registry import RegistryService
from openets.services.registry.base import person_of
from openets.services.tabular import Problems, Row, Schema, read_tables
from openets.storage import tables as t
from openets.storage.db import run_in_transaction

PRODUCTION = Schema(
    columns=("company", "source_id", "sector", "output", "output_unit", "local_factor", "fuel", "capacity_mw",
             "cooling", "electricity_mwh", "heat_gj", "heat_supply_ratio", "load_factor", "calorific", "category", "history", "waste_t",
             "generation_mwh"),
    required=("company", "source_id", "sector"),
    aliases={"企业": "company", "企业编号": "company", "统一社会信用代码": "company", "设施": "source_id",
             "设施编号": "source_id", "机组": "source_id", "机组编号": "source_id", "行业": "sector",
             "产量": "output", "产量单位": "output_unit", "地方调整系数": "local_factor", "燃料": "fuel",
             "装机容量": "capacity_mw", "冷却方式": "cooling", "供电量": "electricity_mwh", "供热量": "heat_gj",
             "供热比": "heat_supply_ratio", "负荷率": "load_factor", "负荷系数": "load_factor",
             "燃料热值类别": "calorific",
             "机组类别": "category", "类别": "category", "历史强度": "history", "协同处置量": "waste_t", "发电量": "generation_mwh"},
)
# output units accepted, in tonnes (one unit per file: a file mixing them is refused)
OUTPUT_UNITS = {"t": Decimal(1), "吨": Decimal(1), "kt": Decimal(1000), "千吨": Decimal(1000),
                "万t": Decimal(10_000), "万吨": Decimal(10_000)}
COOLING = {"水冷": "water", "空冷": "air"}
SECTORS = {"电力": "power", "发电": "power", "水泥": "cement", "电解铝": "aluminium", "铝": "aluminium"}


def read_production(path: Path, *, encoding: str = "utf-8-sig") -> list[ProductionRow]:
    problems = Problems()
    tables = read_tables(path, {"production": PRODUCTION}, kind="production", encoding=encoding, problems=problems)
    return parse_rows(tables["production"], problems)


def read_histories(path: Path, *, encoding: str = "utf-8-sig") -> tuple[list[ProductionRow], dict[tuple[str, str], list[Decimal]]]:
    """Production rows and, from the column ``history`` (历史强度), the intensities of the last years,
    oldest first, separated by semicolons: "1.95;1.90;1.85"."""
    problems = Problems()
    rows = read_tables(path, {"production": PRODUCTION}, kind="production", encoding=encoding,
                       problems=problems)["production"]
    parsed = parse_rows(rows, problems)
    return parsed, {(r.company, r.source_id): list(r.history) for r in parsed}


def parse_rows(rows: list[Row], problems: Problems | None = None) -> list[ProductionRow]:
    """Every row checked, every bad cell named (with ``problems`` already found), then refused together."""
    bad = problems if problems is not None else Problems()
    units = {r.values.get("output_unit", "") or "t" for r in rows}
    if len({OUTPUT_UNITS[u] for u in units if u in OUTPUT_UNITS}) > 1:
        bad.lines.append(f"column output_unit: mixed units {sorted(units)} in one file (one unit per file)")
    out = []
    for r in rows:
        v = r.values
        before = len(bad.lines)
        unit = v.get("output_unit") or "t"
        if unit not in OUTPUT_UNITS:
            bad.add(r, "output_unit", f"unknown unit {unit!r} (known: {', '.join(OUTPUT_UNITS)})")
        nums = {}
        for col, default in (("capacity_mw", "0"), ("output", "0"), ("local_factor", "1"), ("electricity_mwh", "0"),
                             ("heat_gj", "0"), ("heat_supply_ratio", "0"), ("load_factor", "1"), ("waste_t", "0")):
            with bad.at(r, col):
                nums[col] = r.number(col, default, negative=False)
        capacity = nums.get("capacity_mw", Decimal(0))
        if capacity != capacity.to_integral_value():
            bad.add(r, "capacity_mw", f"{v['capacity_mw']} is not whole MW")
        history: tuple[Decimal, ...] = ()
        with bad.at(r, "history"):
            history = _history(r)
        generation: Decimal | None = None
        if v.get("generation_mwh"):
            with bad.at(r, "generation_mwh"):
                generation = r.number("generation_mwh", "0", negative=False)
        if len(bad.lines) > before:
            continue
        out.append(ProductionRow(
            where=r.where, company=v["company"], source_id=v["source_id"], sector=SECTORS.get(v["sector"], v["sector"]),
            output=nums["output"] * OUTPUT_UNITS[unit], local_factor=nums["local_factor"], fuel=v.get("fuel", ""),
            capacity_mw=int(capacity), cooling=COOLING.get(v.get("cooling", ""), v.get("cooling", "")),
            electricity_mwh=nums["electricity_mwh"], heat_gj=nums["heat_gj"],
            heat_supply_ratio=nums["heat_supply_ratio"], load_factor=nums["load_factor"],
            calorific=v.get("calorific", ""), category=v.get("category", ""), history=history,
            waste_t=nums["waste_t"] * OUTPUT_UNITS[unit], generation_mwh=generation,
            headers=tuple(r.headers.items())))
    bad.refuse("nothing allocated")
    return out


class CsvConfirmedOutput:
    """The true-up's source of confirmed output, read from a CSV or Excel file (same columns as the
    production data). To be replaced by MRV reports confirmed by the regulator."""

    def __init__(self, path: Path, *, encoding: str = "utf-8-sig") -> None:
        self.path = path
        self.encoding = encoding

    def confirmed_output(self, market: str, year: int) -> list[ProductionRow]:
        return read_production(self.path, encoding=self.encoding)


CHANGES = Schema(
    columns=("kind", "on", "company", "source_id", "to_company", "note"),
    required=("kind", "on", "company"),
    aliases={"类型": "kind", "变更类型": "kind", "日期": "on", "生效日期": "on", "企业": "company", "企业编号": "company",
             "设施": "source_id", "机组": "source_id", "转入企业": "to_company", "备注": "note"},
)
CHANGE_KINDS = {"新增": "entrant", "新建": "entrant", "关停": "closure", "合并": "merger", "边界变化": "boundary",
                "不符合纳入条件": "exclusion"}


def read_changes(path: Path, *, encoding: str = "utf-8-sig") -> list[Change]:
    """New entrants, closures, mergers, boundary changes, exclusions: kind, on (date), company …"""
    problems = Problems()
    out = []
    for r in read_tables(path, {"changes": CHANGES}, kind="changes", encoding=encoding, problems=problems)["changes"]:
        v = r.values
        try:
            on = date.fromisoformat(v["on"])
        except ValueError:
            problems.add(r, "on", f"{v['on']!r} is not a date (YYYY-MM-DD)")
            continue
        kind = CHANGE_KINDS.get(v["kind"], v["kind"])
        if kind not in CHANGE_KIND_NAMES:
            problems.add(r, "kind", f"unknown change {v['kind']!r}")
            continue
        out.append(Change(kind, on, v["company"], v.get("source_id") or None, v.get("to_company") or None,
                          v.get("note", "")))
    problems.refuse("nothing applied")
    return out


def _history(r: Row) -> tuple[Decimal, ...]:
    text = r.values.get("history", "")
    try:  # bounded like every number read
        return tuple(parse_decimal(x, "history") for x in text.replace("；", ";").split(";") if x.strip())
    except DomainError:
        raise DomainError("file_value", r.problem("history", f"{text!r} is not a list of numbers")) from None


@dataclass(frozen=True, slots=True)
class RunSummary:
    run: int
    market: str
    compliance_year: int
    kind: str
    status: RunStatus
    companies: int
    total: int


class AllocationService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine

    def rules(self, market: str, year: int, on: datetime | None = None) -> AllocationRules:
        return rulebook.allocation_rules(self.registry.rulebook, market, year, on or self.registry.clock.now())

    def compute(self, rows: list[ProductionRow], *, market: str, year: int, kind: str,
                changes: list[Change] | None = None) -> PlanResult:
        if changes:
            rows = apply_changes(rows, changes, year)
        result = allocate(rows, self.rules(market, year), kind=kind)
        bad = Problems()  # every row the rules refuse, in the one shape of a bad file
        bad.lines += result.problems
        bad.refuse("nothing allocated", code="allocation_input")
        return result

    def propose(self, actor: Actor, result: PlanResult, *, market: str, year: int) -> RunSummary:
        """Store the run as proposed (nothing issued yet): a second regulator issues it."""
        actor.require_may_act()
        actor.require_regulator(market)
        items = [(a.company, a.tonnes, str(a.exact), _detail(a)) for a in result.companies]
        return run_in_transaction(self.engine, lambda c: self._store(c, actor, market, year, result.kind, items))

    def propose_industry(self, actor: Actor, verified: dict[str, tuple[str, str, Decimal]], *, market: str,
                         year: int) -> RunSummary:
        """Steel, cement and aluminium (2024): each company's allowances are its verified emissions, by
        the industrial plan's rounding (``allocation.industry``); ``verified``: company → (sector, installation,
        tCO2e)."""
        actor.require_may_act()
        actor.require_regulator(market)
        rs = self.registry.rulebook.lookup_at(market, year, self.registry.clock.now(), "industry")
        rules = rulebook.section(rs, "industry", industry.IndustryRules)
        items = [(company, industry.allocation(rules, sector, verified=v), str(v),
                  json.dumps([{"source": source, "sector": sector, "method": rules.method, "exact": str(v)}],
                             ensure_ascii=False))
                 for company, (sector, source, v) in sorted(verified.items())]
        return run_in_transaction(self.engine, lambda c: self._store(c, actor, market, year, "final", items,
                                                                     document=rs.document))

    def _industry(self, market: str, year: int, method: str) -> tuple[RuleSet, industry.IndustryRules]:
        rs = self.registry.rulebook.lookup_at(market, year, self.registry.clock.now(), "industry")
        rules = rulebook.section(rs, "industry", industry.IndustryRules)
        if rules.method != method:
            raise DomainError("kind_invalid", f"{market} {year}: the industrial plan ({rs.document}) allocates by "
                                                 f"{rules.method!r}, not {method!r}")
        return rs, rules

    def propose_industry_pre(self, actor: Actor, previous: dict[str, tuple[str, str, Decimal]], *, market: str,
                             year: int) -> RunSummary:
        """Steel, cement and aluminium (2025, ``intensity``): the pre-allocation, the plan's share (70 %)
        of each company's previous year's verified emissions (``allocation.industry.pre_allocation``);
        ``previous``: company → (sector, installation, the previous year's verified tCO2e). Proposed
        as a ``pre`` run; a second regulator issues it."""
        actor.require_may_act()
        actor.require_regulator(market)
        rs, rules = self._industry(market, year, "intensity")
        items = []
        share = rules.pre_allocation_share
        assert share is not None  # an intensity plan states it (parse_industry refuses one without)
        for company, (sector, source, v) in sorted(previous.items()):
            rules.sector(sector)  # a sector the plan does not cover is named, not pre-allocated
            items.append((company, industry.pre_allocation(rules, v), str(share * v),
                          json.dumps([{"source": source, "sector": sector, "method": "pre_allocation",
                                       "share": str(share), "previous_verified": str(v)}],
                                     ensure_ascii=False)))
        return run_in_transaction(self.engine, lambda c: self._store(c, actor, market, year, "pre", items,
                                                                     document=rs.document))

    def propose_industry_true_up(self, actor: Actor, output: dict[str, tuple[str, str, Decimal]], *, market: str,
                                 year: int, benchmarks: dict[str, Decimal] | None = None,
                                 only: Collection[str] | None = None) -> RunSummary:
        """多退少补 of an intensity plan (2025): each company's final allowances, the sector benchmark
        (the plan's, else ``benchmarks``, the user's: the references give none) × its confirmed actual
        output, less what was issued so far (the pre-allocation): positive issues more, negative takes
        back. ``output``: company → (sector, installation, tonnes of product). A company pre-allocated
        but absent from ``output`` owes everything back."""
        actor.require_may_act()
        actor.require_regulator(market)
        rs, rules = self._industry(market, year, "intensity")
        given = benchmarks or {}
        final = {company: (sector, source, q, industry.allocation(rules, sector, output=q, benchmark=given.get(sector)))
                 for company, (sector, source, q) in output.items()}

        # trued up apart (``only``): the sectors the industrial plan covers are this true-up's
        scope = None if only is None else set(rules.sectors)

        def work(c: Connection) -> RunSummary:
            issued = self._issued(c, market, year, only, scope)
            items = []
            for company in sorted(set(final) | set(issued)):
                if company not in final:
                    items.append((company, -issued[company], "0", _given_back(scope)))
                    continue
                sector, source, q, tonnes = final[company]
                bench = rules.sector(sector).benchmark or given[sector]
                items.append((company, industry.true_up(tonnes, issued.get(company, 0)), str(bench * q),
                              json.dumps([{"source": source, "sector": sector, "method": rules.method, "output": str(q),
                                           "benchmark": str(bench), "final": tonnes,
                                           "issued_before": issued.get(company, 0)}], ensure_ascii=False)))
            return self._store(c, actor, market, year, "trueup", items, document=rs.document)

        return run_in_transaction(self.engine, work)

    def propose_true_up(self, actor: Actor, confirmed: PlanResult, *, market: str, year: int,
                        only: Collection[str] | None = None) -> RunSummary:
        """多退少补: the allocation from confirmed actual output minus what was issued so far, per company.
        A company issued before but absent from the confirmed data owes back everything; with ``only``,
        only among those companies (a year whose steel, cement and aluminium are trued up apart)."""
        actor.require_may_act()
        actor.require_regulator(market)
        if confirmed.kind != "final":
            raise DomainError("kind_invalid", "a true-up is computed from the final (actual output) allocation")

        # trued up apart (``only``): the sectors of the confirmed plan's rows are this true-up's
        scope = None if only is None else {r.row.sector for a in confirmed.companies for r in a.rows}

        def work(c: Connection) -> RunSummary:
            issued = self._issued(c, market, year, only, scope)
            items = []
            final = {a.company: a for a in confirmed.companies}
            for company in sorted(set(final) | set(issued)):
                a = final.get(company)
                target = a.tonnes if a else 0
                delta = target - issued.get(company, 0)
                items.append((company, delta, str(a.exact) if a else "0", _detail(a) if a else _given_back(scope)))
            return self._store(c, actor, market, year, "trueup", items)

        return run_in_transaction(self.engine, work)

    def true_up_from(self, actor: Actor, source: ConfirmedOutput, *, market: str, year: int) -> RunSummary:
        actor.require_may_act()
        confirmed = self.compute(source.confirmed_output(market, year), market=market, year=year, kind="final")
        return self.propose_true_up(actor, confirmed, market=market, year=year)

    def _issued(self, c: Connection, market: str, year: int, only: Collection[str] | None = None,
                sectors: Collection[str] | None = None) -> dict[str, int]:
        """What was issued so far per company (``only``: of those companies). With ``sectors`` (a year
        whose power and steel, cement, aluminium are trued up apart), only the allocations of those
        sectors: a row counts when every sector its detail names is among them — so a company with power
        units and a cement line has its cement run left out of the power true-up, and the reverse. A row
        naming no sector (a true-up's give-back written before sectors were recorded) counts in each."""
        if sectors is None:
            q = (select(t.allocations.c.company, func.sum(t.allocations.c.quantity).label("n"))
                 .join(t.allocation_runs, t.allocation_runs.c.id == t.allocations.c.run_id)
                 .where(t.allocations.c.market == market, t.allocations.c.compliance_year == year,
                        t.allocation_runs.c.status == RunStatus.ISSUED.value).group_by(t.allocations.c.company))
            return {r.company: int(r.n) for r in c.execute(q) if only is None or r.company in only}
        scope = set(sectors)
        out: dict[str, int] = {}
        for r in c.execute(select(t.allocations.c.company, t.allocations.c.quantity, t.allocations.c.detail)
                           .join(t.allocation_runs, t.allocation_runs.c.id == t.allocations.c.run_id)
                           .where(t.allocations.c.market == market, t.allocations.c.compliance_year == year,
                                  t.allocation_runs.c.status == RunStatus.ISSUED.value)):
            if only is not None and r.company not in only:
                continue
            named = {d.get("sector") for d in json.loads(r.detail or "[]")}
            if named <= scope:
                out[r.company] = out.get(r.company, 0) + int(r.quantity)
        return out

    def _store(self, c: Connection, actor: Actor, market: str, year: int, kind: str,
               items: list[tuple[str, int, str, str]], document: str | None = None) -> RunSummary:
        document = document or self.rules(market, year).rule_set.document
        names = [company for company, *_ in items]
        companies = {r.registration_id: r.id for part in _chunks(names) for r in c.execute(
            select(t.parties.c.id, t.parties.c.registration_id).where(t.parties.c.registration_id.in_(part)))}
        accounts = {r.party_id: r.id for r in c.execute(
            select(t.accounts.c.id, t.accounts.c.party_id).where(
                t.accounts.c.market == market, t.accounts.c.type == AccountType.COMPLIANCE.value,
                t.accounts.c.status.in_([AccountStatus.OPEN.value, AccountStatus.SOME_RESTRICTED.value]))
            .order_by(t.accounts.c.id.desc()))}
        missing = [n for n in names if n not in companies]
        if missing:
            raise DomainError("company_unknown", f"companies not in the registry: {', '.join(missing[:5])}"
                              + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""))
        no_account = [n for n in names if companies[n] not in accounts]
        if no_account:
            raise DomainError("account_missing", f"no open {market} compliance account for: {', '.join(no_account[:5])}")
        total = sum(q for _, q, _, _ in items)
        run_id = c.execute(insert(t.allocation_runs).values(
            market=market, compliance_year=year, kind=kind, rule_document=document,
            status=RunStatus.PROPOSED.value, total=total, proposed_by=actor.user, proposed_us=to_us(self.registry.clock.now()),
        ).returning(t.allocation_runs.c.id)).scalar_one()
        c.execute(insert(t.allocations), [
            {"run_id": run_id, "market": market, "compliance_year": year, "kind": kind, "company": company,
             "party_id": companies[company], "account_id": accounts[companies[company]], "quantity": qty,
             "exact": exact, "detail": detail} for company, qty, exact, detail in items])
        return RunSummary(run_id, market, year, kind, RunStatus.PROPOSED, len(items), total)

    def issue(self, actor: Actor, run_id: int, *, unit_class: str, from_account: str) -> RunSummary:
        """Approve a proposed run and carry it out in one transaction: allocations from a government
        account; for a true-up, claw-backs to it (return_excess) up to what the company holds, the rest
        recorded as owed. Keys alloc-<run>-<company> make a repeat issue nothing twice."""
        actor.require_may_act()
        uc = self.registry.unit_class(unit_class)
        source = self.registry.account(from_account)

        def work(c: Connection) -> RunSummary:
            run = c.execute(select(t.allocation_runs).where(t.allocation_runs.c.id == run_id)).first()
            if run is None:
                raise NotFound("allocation run", run_id)
            actor.require_regulator(run.market)
            issued = next_status(run_id, run.status, "issue")
            if run.proposed_by == actor.user or person_of(c, run.proposed_by) == actor.person_key:
                raise DomainError("four_eyes", "the run must be issued by a different person than its proposer")
            if uc.market != run.market or uc.vintage != run.compliance_year:
                raise DomainError("unit_class_mismatch",
                                  f"{uc.code} is not the allowance of {run.market} {run.compliance_year}")
            rows = c.execute(select(t.allocations.c.id, t.allocations.c.company, t.allocations.c.party_id,
                                    t.allocations.c.account_id, t.allocations.c.quantity)
                             .where(t.allocations.c.run_id == run_id).order_by(t.allocations.c.id)).all()
            held = self._available(c, [r.account_id for r in rows if r.quantity < 0], uc.id)
            withholds_all = self._withholds(run.market, run.compliance_year)
            owed = (self._outstanding(c, run.market) if withholds_all
                    else self._next_year_owed(c, run.market, run.compliance_year))
            from openets.services.falsification import FalsificationService  # Decree 775: a data-fraud cut

            cuts = FalsificationService(self.registry).cuts_for(
                c, run.market, run.compliance_year, run_id, {r.company: r.quantity for r in rows if r.quantity > 0})
            ops: list[Allocate | ReturnExcess] = []
            debts: list[dict[str, Any]] = []
            now_us = to_us(self.registry.clock.now())
            for r in rows:
                key = f"alloc-{run_id}-{r.company}"
                quantity = r.quantity - cuts.get(r.company, 0)
                withheld = min(owed.get(r.company, 0), quantity) if quantity > 0 else 0
                if withheld:  # an unpaid shortfall comes out of the next allocation (Shenzhen; national, Hubei)
                    quantity -= withheld
                    debts.append({"kind": "withheld", "run_id": run_id, "market": run.market,
                                  "compliance_year": run.compliance_year, "company": r.company,
                                  "party_id": r.party_id, "quantity": withheld, "created_us": now_us})
                if quantity > 0:
                    ops.append(Allocate(key=key, from_account=source.id, to_account=r.account_id,
                                  unit_class=uc.id, quantity=quantity, compliance_year=run.compliance_year))
                elif r.quantity < 0:
                    back = min(-r.quantity, held.get(r.account_id, 0))
                    if back:
                        ops.append(ReturnExcess(key=key, from_account=r.account_id, to_account=source.id,
                                      unit_class=uc.id, quantity=back, compliance_year=run.compliance_year))
                    if back < -r.quantity:
                        debts.append({"kind": "owed", "run_id": run_id, "market": run.market, "compliance_year": run.compliance_year,
                                      "company": r.company, "party_id": r.party_id, "quantity": -r.quantity - back,
                                      "created_us": to_us(self.registry.clock.now())})
            outcomes = self.registry.submit_in(c, actor, ops)
            txn = {o.op.key: o.record.id for o in outcomes if o.record is not None}
            c.execute(update(t.allocations).where(t.allocations.c.id == bindparam("a_id")).values(txn_id=bindparam("txn")),
                      [{"a_id": r.id, "txn": txn.get(f"alloc-{run_id}-{r.company}")} for r in rows])
            if debts:
                c.execute(insert(t.allocation_debts), debts)
            self._link_runless(c, run_id, run.market, run.compliance_year, withholds_all,
                               sorted({d["company"] for d in debts if d["kind"] == "withheld"}))
            c.execute(update(t.allocation_runs).where(t.allocation_runs.c.id == run_id).values(
                status=issued.value, decided_by=actor.user, decided_us=to_us(self.registry.clock.now()),
                unit_class_id=uc.id, from_account_id=source.id))
            return RunSummary(run_id, run.market, run.compliance_year, run.kind, issued, len(rows), run.total)

        return run_in_transaction(self.engine, work)

    @staticmethod
    def _link_runless(c: Connection, run_id: int, market: str, year: int, withholds_all: bool,
                      companies: list[str]) -> None:
        """A debt recorded with no run (a deduction decided for a year that had no issued allocation run)
        is linked to the first run that withholds from it: the debts this run's withholding drew on (every
        kind but ``withheld`` where the market withholds all debts; else the ``nextyear`` rows of earlier
        years), of the companies it withheld from. A debt already linked keeps its run."""
        if not companies:
            return
        d = t.allocation_debts
        drawn = (d.c.kind != "withheld") if withholds_all else ((d.c.kind == "nextyear") & (d.c.compliance_year < year))
        for part in _chunks(companies):
            c.execute(update(d).where(d.c.run_id.is_(None), d.c.market == market, d.c.company.in_(part), drawn)
                      .values(run_id=run_id))

    def _available(self, c: Connection, account_ids: list[int], unit_class_id: int) -> dict[int, int]:
        if not account_ids:
            return {}
        q = available_positions(t.positions.c.account_id.in_(account_ids), t.positions.c.unit_class_id == unit_class_id)
        return {r.account_id: int(r.available) for r in c.execute(q)}

    def debts(self, market: str, year: int | None = None) -> dict[str, int]:
        """What companies still owe (owed − withheld), for one compliance year or all."""
        with self.engine.connect() as c:
            return self._outstanding(c, market, year)

    def _outstanding(self, c: Connection, market: str, year: int | None = None) -> dict[str, int]:
        d = t.allocation_debts
        signed = case((d.c.kind == "withheld", -d.c.quantity), else_=d.c.quantity)
        q = select(d.c.company, func.sum(signed).label("n")).where(d.c.market == market).group_by(d.c.company)
        if year is not None:
            q = q.where(d.c.compliance_year == year)
        return {r.company: int(r.n) for r in c.execute(q) if r.n}

    def _next_year_owed(self, c: Connection, market: str, year: int) -> dict[str, int]:
        """What a market whose allocation rules do not withhold every debt still withholds: the shortfall
        a regulator's decision put against the next year's allocation (``nextyear`` rows of an earlier
        compliance year: Decree 775 Art. 24 and the 2021 Measures, an equal amount; Hubei, the rules'
        multiple), less what allocations withheld already (the only ``withheld`` rows such a market has).
        A claw-back a company could not return (``owed``) is not withheld here: no rule says so.

        A deduction larger than the next year's allocation: the rest stays owed and is withheld by the
        runs issued after (a further run of that year, then the years after it) until it is paid.
        unverified: the texts in shared/reference say only that the shortfall is deducted from "next
        year's allowances" (mechanisms.md §8.1: Decree 775 Art. 24, "equal deduction from next year's
        allowances"; the 2021 Measures, "deducted from next year's allocation"; Hubei 371号 as recalled in
        compliance.toml) — none says what becomes of a rest the next year's allocation cannot cover
        (neither that it is carried to the year after nor that it lapses), so the behaviour is kept as it
        was: carried until paid. (The wording "不足部分…从其下一年度配额中…扣除" is Shenzhen's rule — the
        account deduction's rest — not Decree 775's; it says no more about a rest beyond next year.)"""
        d = t.allocation_debts
        signed = case((d.c.kind == "withheld", -d.c.quantity), else_=d.c.quantity)
        q = (select(d.c.company, func.sum(signed).label("n")).where(
            d.c.market == market, ((d.c.kind == "nextyear") & (d.c.compliance_year < year)) | (d.c.kind == "withheld"))
            .group_by(d.c.company))
        return {r.company: int(r.n) for r in c.execute(q) if r.n and r.n > 0}

    def _withholds(self, market: str, year: int) -> bool:
        try:
            return self.rules(market, year).withhold_debts
        except DomainError:
            return False

    def initial_allocation(self, market: str, year: int, company: str) -> int | None:
        """The company's initial annual allocation — the issued pre-allocation, or where a market
        allocates the year at once, that allocation (true-ups excluded) — what e.g. Hubei's offset
        cap of 10 % refers to."""
        with self.engine.connect() as c:
            q = (select(t.allocations.c.kind, t.allocations.c.quantity)
                 .join(t.allocation_runs, t.allocation_runs.c.id == t.allocations.c.run_id)
                 .where(t.allocations.c.market == market, t.allocations.c.compliance_year == year,
                        t.allocations.c.company == company, t.allocations.c.kind.in_(["pre", "final"]),
                        t.allocation_runs.c.status == RunStatus.ISSUED.value))
            got = c.execute(q).all()
        pre = [q for k, q in got if k == "pre"]
        final = [q for k, q in got if k == "final"]
        return sum(pre) if pre else (sum(final) if final else None)


def _given_back(scope: set[str] | None) -> str:
    """The detail of a true-up row that takes back all a company was issued: the sectors it covers, so
    that a later true-up of other sectors does not count it (none: the whole company's)."""
    return json.dumps([{"sector": s, "method": "given_back"} for s in sorted(scope or ())], ensure_ascii=False)


def _detail(a: CompanyAllocation) -> str:
    return json.dumps([{"source": r.row.source_id, "sector": r.row.sector, "method": r.method, "exact": str(r.exact),
                        **r.detail} for r in a.rows], ensure_ascii=False)


