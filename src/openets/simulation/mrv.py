"""Stage 3, MRV: each company's monthly activity data and annual report, the verifier's work (now
and then a finding and a correction), the regulator's confirmation, and the obligation that follows."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from openets.compliance.core import obligation
from openets.core.actor import SYSTEM_SETUP, Role
from openets.mrv.accounting import Stream, display, resolve
from openets.mrv.documents import Finding
from openets.mrv.factors import Factor, FactorTable, default_factors
from openets.registry.model import PartyKind
from openets.services.compliance import ComplianceService
from openets.services.reports import ReportService
from openets.simulation.state import Company, Market, Progress, at
from openets.simulation.trading import first_trading_day


def run_mrv(markets: list[Market], progress: Progress) -> None:
    table = default_factors()
    gas = Stream("I1", "S1", "combustion", "10**4 Nm3", fuel="natural_gas")
    diesel = Stream("I1", "S2", "combustion", "t", fuel="diesel")
    for m in markets:
        code, year, svc, rng = m.spec.code, m.spec.year, m.svc, m.rng
        per = {s.stream_id: resolve(s, table, year=year).per_unit for s in (gas, diesel)}
        d0 = max(date(year + 1, 3, 20), (m.spec.starts or date(year, 6, 30)) + timedelta(days=10))
        m.clock.at = at(d0, 10)
        rules = ComplianceService(svc).compliance_rules(code, year)
        rounding = rules.rounding
        # verification 21 days after the report, confirmation 15 later; squeezed when the year starts
        # late (the 2024 industrial plan came 45 days before its deadline; the national 2023 plan 77
        # days): everything, and the allocation 5 days after it, before the deadline and before the first
        # trading day (the agents trade what the true-up gave them: it must have arrived by then)
        first = first_trading_day(m)
        room = max(min((rules.deadline - d0).days - 10, (first - d0).days - 6), 2)
        verify_after, confirm_after = min(21, room // 2), min(36, room)
        reports = ReportService(svc)
        if m.verifier is None:  # the market's first year (a next year keeps its verifier)
            ver = svc.create_party(kind=PartyKind.VERIFIER, name=f"{code}核查机构", registration_id=f"VER-{code}")
            svc.add_user(SYSTEM_SETUP, name=f"{code.lower()}-verifier", party_id=ver, role=Role.VERIFIER)
            m.verifier = svc.actor(f"{code.lower()}-verifier")
        verifier = m.verifier
        ver = verifier.party_id
        tick = progress.stage(f"{code} MRV", len(m.companies))
        for c in m.companies:
            streams: list[dict[str, Any]]
            output: list[dict[str, Any]]
            if c.units:  # a power company (a power market's industry companies have none)
                streams, output, direct = power_streams(c, table, year)
            else:
                # monthly activity data: gas for ~85 %, diesel for the rest, with a seasonal shape
                monthly: dict[str, list[Decimal]] = {"S1": [], "S2": []}
                for month in range(1, 13):
                    share = c.actual / 12 * Decimal(str(1 + 0.25 * math.cos((month - 1) / 12 * 2 * math.pi)))
                    monthly["S1"].append((share * Decimal("0.85") / per["S1"]).quantize(Decimal("0.001")))
                    monthly["S2"].append((share * Decimal("0.15") / per["S2"]).quantize(Decimal("0.001")))
                direct = display(sum((sum(v) * per[k] for k, v in monthly.items()), Decimal(0)))
                streams = [{"stream": k, "fuel": f, "monthly": [str(x) for x in v], "tco2_per_unit": str(per[k])}
                           for (k, v), f in zip(monthly.items(), ("natural_gas", "diesel"))]
                output = [{"source_id": "I1", "sector": c.sector}]
                if c.output:  # an intensity plan: the product output the true-up multiplies the benchmark by
                    output[0]["output"] = str(c.output)
            m.clock.at = at(d0, 10)
            rid = reports.submit(c.actor, market=code, year=year, emissions=direct, output=output, streams=streams)
            m.clock.at = at(d0 + timedelta(days=verify_after), 10)
            reports.assign(m.r1, rid, str(ver))
            reports.step(verifier, rid, "start_verification")
            findings: list[Finding] = []
            verified = direct
            if rng.random() < 0.06:  # the verifier finds fuel purchases missing from the records
                factor = Decimal(str(1 + rng.uniform(0.01, 0.04)))
                verified = display(direct * factor)
                if c.units:  # the correction lands on the units too
                    output = [{**o, "emissions": str(display(Decimal(o["emissions"]) * factor))} for o in output]
                    verified = sum((Decimal(o["emissions"]) for o in output), Decimal(0))
                findings = [Finding("major", "fuel purchase records missing for two months: corrected")]
            elif rng.random() < 0.1:
                findings = [Finding("minor", "meter calibration certificate renewed late")]
            reports.verify(verifier, rid, emissions=verified, output=output, findings=findings,
                           statement="verified")
            m.clock.at = at(d0 + timedelta(days=confirm_after), 10)
            reports.step(m.r2, rid, "confirm")
            c.verified = verified
            c.obligation = obligation(verified, rounding=rounding)
            tick(1)


def power_streams(c: Company, table: FactorTable, year: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Decimal]:
    """A power company's units: coal with measured NCV, carbon content and oxidation (no coal
    defaults are shipped), gas with the defaults; monthly fuel from each unit's emissions."""
    coal = {"ncv": Factor(Decimal("20.91"), "GJ/t", "monthly lab analysis", "measured"),
            "carbon_content": Factor(Decimal("26.2"), "tC/TJ", "monthly lab analysis", "measured"),
            "oxidation": Factor(Decimal("98"), "percent", "monthly lab analysis", "measured")}
    streams: list[dict[str, Any]] = []
    output: list[dict[str, Any]] = []
    total = Decimal(0)
    for u in c.units:
        st = (Stream(u["source_id"], f"{u['source_id']}-F", "combustion", "t", fuel="coal", measured=coal)
              if u["fuel"] == "coal" else
              Stream(u["source_id"], f"{u['source_id']}-F", "combustion", "10**4 Nm3", fuel="natural_gas"))
        per = resolve(st, table, year=year).per_unit
        monthly = [(u["emissions"] / 12 * Decimal(str(1 + 0.2 * math.cos((mo - 1) / 12 * 2 * math.pi))) / per)
                   .quantize(Decimal("0.001")) for mo in range(1, 13)]
        emitted = display(sum(monthly, Decimal(0)) * per)
        total += emitted
        streams.append({"stream": st.stream_id, "fuel": st.fuel, "monthly": [str(x) for x in monthly],
                        "tco2_per_unit": str(per)})
        output.append({"source_id": u["source_id"], "sector": "power", "fuel": u["fuel"],
                       "capacity_mw": u["capacity_mw"], "cooling": u["cooling"], "electricity_mwh": str(u["mwh"]),
                       "generation_mwh": str(u["mwh"]),
                       "heat_gj": "0", "heat_supply_ratio": "0", "load_factor": str(u["load_factor"]),
                       "emissions": str(emitted)})
    return streams, output, total
