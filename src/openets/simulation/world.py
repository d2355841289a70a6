"""Stage 1, parties and accounts: the market's two regulators, then every company and investor
with its representative and its approved account, and the companies' emissions drawn from the
market's random generator (a power company's generating units too); some companies are marked to
surrender late or never."""

from __future__ import annotations

import math
import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection

from openets.allocation.methods import load_rate
from openets.core.actor import SYSTEM_SETUP, Actor, Role
from openets.core.ids import PartyId
from openets.registry.model import AccountType, PartyKind
from openets.services.database import run_in_transaction as in_transaction
from openets.simulation.abatement import abated_at, draw_mac
from openets.simulation.schema import MarketSpec, UnitKind
from openets.simulation.state import Company, Market, Progress


def set_up(m: Market, progress: Progress) -> None:
    s, svc, code = m.spec, m.svc, m.spec.code
    m.first_year = s.year
    party = svc.registry_party(code)
    for n in (1, 2):
        svc.add_user(SYSTEM_SETUP, name=f"{code.lower()}-reg-{n}", party_id=party, role=Role.REGULATOR, market=code)
    m.regulators = svc.actor(f"{code.lower()}-reg-1"), svc.actor(f"{code.lower()}-reg-2")
    rng = m.rng
    lo, hi = s.emissions_t
    n_never = int(s.companies * s.never_share)
    n_late = int(s.companies * s.late_share)
    tick = progress.stage(f"{code} parties and accounts", s.companies + s.investors)
    # the curves from a generator of their own: the companies' emissions stay the draws they were
    mac_rng = random.Random(f"abatement {m.seed} {code}")

    def work(c: Connection) -> tuple[list[Company], list[Company]]:
        out: list[Company] = []
        inv: list[Company] = []
        for i in range(s.companies + s.investors):
            investor = i >= s.companies
            reg_id = f"{code}{'I' if investor else 'C'}{i:05d}"
            sector = "investment" if investor else s.sectors[i % len(s.sectors)]
            pid = svc.create_party(kind=PartyKind.INVESTOR if investor else PartyKind.COMPANY,
                                   name=f"{code}{'投资' if investor else '企业'}{i:05d}",
                                   name_en=f"{code} {'investor' if investor else 'company'} {i}", market=code,
                                   registration_id=reg_id, sector=sector, conn=c)
            user = f"{reg_id.lower()}-rep"
            svc.add_user(SYSTEM_SETUP, name=user, party_id=pid, role=Role.INVESTOR if investor else Role.COMPANY, conn=c)
            actor = Actor(user, PartyId(pid), Role.INVESTOR if investor else Role.COMPANY)
            acc = svc.request_account(actor, market=code, type=AccountType.HOLDING if investor
                                      else AccountType.COMPLIANCE, number=f"{reg_id}-A", conn=c)
            svc.decide_account(m.r1, acc.number, approve=True, conn=c)
            base = Decimal(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            history = tuple((base * Decimal(str(rng.uniform(0.93, 1.07)))).quantize(Decimal(1)) for _ in range(3))
            change = Decimal(str(rng.uniform(float(s.emissions_change[0]), float(s.emissions_change[1]))))
            co = Company(reg_id, pid, actor, acc.id, acc.number, sector, history,
                         (sum(history, Decimal(0)) / 3 * (1 + change)).quantize(Decimal("0.01")))
            if s.power and not investor:  # (a power market's industry companies are drawn below)
                co.units = power_units(rng, base, change, s.fleet)
                co.actual = sum((u["emissions"] for u in co.units), Decimal(0))
            if not investor:
                abate(co, s, mac_rng)
            (inv if investor else out).append(co)
            tick(1)
        return out, inv

    m.companies, m.investors = in_transaction(svc.engine, work)
    industry = _industry_companies(m, s.companies + s.investors, mac_rng) if s.industry is not None else []
    order = list(range(len(m.companies)))
    rng.shuffle(order)
    for k in order[:n_never]:
        m.companies[k].behaviour = "never"
    for k in order[n_never:n_never + n_late]:
        m.companies[k].behaviour = "late"
    m.companies += industry


def _industry_companies(m: Market, first: int, mac_rng: random.Random) -> list[Company]:
    """A power market's steel, cement and aluminium companies (``MarketSpec.industry``), numbered after its
    power companies and investors, their emissions drawn after every power company's (so that the power
    companies' draws stay what they were without them); on time all (their allowances are their emissions
    in their first year)."""
    s, svc, code, rng = m.spec, m.svc, m.spec.code, m.rng
    ind = s.industry
    assert ind is not None
    lo, hi = ind.emissions_t

    def work(c: Connection) -> list[Company]:
        out: list[Company] = []
        for j in range(ind.companies):
            reg_id = f"{code}C{first + j:05d}"
            sector = ind.sectors[j % len(ind.sectors)]
            pid = svc.create_party(kind=PartyKind.COMPANY, name=f"{code}企业{first + j:05d}",
                                   name_en=f"{code} company {first + j}", market=code,
                                   registration_id=reg_id, sector=sector, conn=c)
            user = f"{reg_id.lower()}-rep"
            svc.add_user(SYSTEM_SETUP, name=user, party_id=pid, role=Role.COMPANY, conn=c)
            actor = Actor(user, PartyId(pid), Role.COMPANY)
            acc = svc.request_account(actor, market=code, type=AccountType.COMPLIANCE, number=f"{reg_id}-A", conn=c)
            svc.decide_account(m.r1, acc.number, approve=True, conn=c)
            base = Decimal(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            history = tuple((base * Decimal(str(rng.uniform(0.93, 1.07)))).quantize(Decimal(1)) for _ in range(3))
            change = Decimal(str(rng.uniform(float(ind.emissions_change[0]), float(ind.emissions_change[1]))))
            co = Company(reg_id, pid, actor, acc.id, acc.number, sector, history,
                         (sum(history, Decimal(0)) / 3 * (1 + change)).quantize(Decimal("0.01")))
            abate(co, s, mac_rng)
            out.append(co)
        return out

    return in_transaction(svc.engine, work)


def next_year(prev: Market, m: Market) -> None:
    """A market's next year (``m``, its spec the same market's next entry): the same regulators, verifier and
    companies as ``prev``, each company's emissions history moved on by the year it verified (a power
    company's units: this year's output becomes the base year), this year's change drawn from ``m``'s
    generator; the industry companies drawn now when the market first covers them (national 2024)."""
    s = m.spec
    m.regulators, m.verifier, m.first_year = prev.regulators, prev.verifier, prev.first_year
    mac_rng = random.Random(f"abatement {m.seed} {s.code} {s.year}")
    for co in prev.companies + prev.investors:
        change = Decimal(str(m.rng.uniform(float(s.emissions_change[0]), float(s.emissions_change[1]))))
        if co.verified:
            co.history = (*co.history[1:], co.verified)  # exact: the next pre-allocation is a share of it
        co.allocated, co.obligation, co.verified, co.output = 0, 0, Decimal(0), Decimal(0)
        if co.units:
            for u in co.units:
                u["intensity"] = u.get("bau_intensity", u["intensity"])
                u["base_mwh"], u["base_running_hours"], u["base_load_factor"] = (
                    u["mwh"], u["running_hours"], u["load_factor"])
                u["mwh"] = (u["base_mwh"] * (1 + change)).quantize(Decimal(1))
                u["running_hours"] = min(Decimal(8760), (u["base_running_hours"] * (1 + change)).to_integral_value(ROUND_CEILING))
                u["load_factor"] = _f(u["mwh"], u["capacity_mw"], u["running_hours"])
                u["emissions"] = (u["mwh"] * u["intensity"]).quantize(Decimal("0.01"))
            co.actual = sum((u["emissions"] for u in co.units), Decimal(0))
        elif co.sector != "investment":
            co.actual = (sum(co.history, Decimal(0)) / 3 * (1 + change)).quantize(Decimal("0.01"))
        if co.sector != "investment":
            co.abated, co.mac = 0, None
            abate(co, s, mac_rng)
    m.companies, m.investors = list(prev.companies), list(prev.investors)
    if s.industry is not None and not any(not c.units for c in prev.companies):
        m.companies += _industry_companies(m, s.companies + s.investors, mac_rng)


def abate(co: Company, s: MarketSpec, rng: random.Random) -> None:
    """The company's MAC curve (drawn per sector, ``abatement.draw_mac``) and what it abated while it
    emitted: every tonne cheaper than the price it expected (the starting reference price). Its
    emissions follow: business-as-usual less that (a power company's by a lower intensity of each unit)."""
    co.bau = int(co.actual)
    if co.sector not in s.mac_yuan:
        return  # no curve for its sector: it abates nothing (a tonne it lacks is worth the penalty)
    lo, hi = s.mac_yuan[co.sector]
    co.mac = draw_mac(rng, co.bau, (Fraction(lo), Fraction(hi)), Fraction(s.mac_share))
    co.abated = min(abated_at(co.mac, Fraction(s.price_yuan)), co.bau)
    if not co.abated:
        return
    if not co.units:
        co.actual = (co.actual - co.abated).quantize(Decimal("0.01"))
        return
    keep = 1 - Decimal(co.abated) / Decimal(co.bau)
    for u in co.units:
        u.setdefault("bau_intensity", u["intensity"])  # a next year abates from business as usual again
        u["intensity"] = (u["intensity"] * keep).quantize(Decimal("0.0001"))
        u["emissions"] = (u["mwh"] * u["intensity"]).quantize(Decimal("0.01"))
    after = sum((u["emissions"] for u in co.units), Decimal(0))
    co.abated = co.bau - int(after)  # what the units' rounded intensities come to
    co.actual = after


def _kind(rng: random.Random, fleet: list[UnitKind]) -> UnitKind:
    """The kind of the next unit, by the fleet's shares."""
    x, upto = Decimal(str(rng.random())), Decimal(0)
    for kind in fleet:
        upto += kind.share
        if x < upto:
            return kind
    return fleet[-1]


def power_units(rng: random.Random, target: Decimal, change: Decimal,
                fleet: list[UnitKind] | None = None) -> list[dict[str, Any]]:
    """Generating units whose base-year emissions come to about ``target``, each with its base-year and
    this year's supply and intensity, running hours and load factor F — the load rate while running,
    generation ÷ (rated MW × running hours) (``load_rate``), not the annual capacity factor hours ÷ 8760.
    The units are of the scenario's ``fleet`` kinds (schema.UnitKind); without one, the default fleet:
    coal (300, 600 or 1,000 MW, 0.84–1.06 t/MWh) four units in five, else gas (400 MW, 0.37–0.42),
    3,800–5,600 full-load hours, a load rate of 65–90 %, air or water cooled."""
    units: list[dict[str, Any]] = []
    left, k = target, 0
    while left > 0 and k < 4:
        rate: tuple[float, float] = (0.65, 0.90)
        if fleet is None:
            gas = rng.random() < 0.2
            fuel = "gas" if gas else "coal"
            mw = 400 if gas else rng.choice([300, 600, 1000])
            hours = Decimal(rng.randint(3800, 5600))  # full-load equivalent hours (利用小时数): generation ÷ MW
            intensity = Decimal(str(rng.uniform(0.37, 0.42) if gas else rng.uniform(0.84, 1.06)))
            coolings = ["air", "water"]
        else:
            kind = _kind(rng, fleet)
            fuel, mw = kind.fuel, rng.choice(kind.capacity_mw)
            hours = Decimal(rng.randint(*kind.hours))
            intensity = Decimal(str(rng.uniform(float(kind.intensity[0]), float(kind.intensity[1]))))
            coolings = list(kind.cooling)
            rate = (float(kind.load_rate[0]), float(kind.load_rate[1]))
        base = (Decimal(mw) * hours).quantize(Decimal(1))
        if base * intensity > left * Decimal("1.3") and units:
            break
        actual = (base * (1 + change)).quantize(Decimal(1))
        # the hours it ran, at the load rate drawn (default 65–90 %): drawn from a generator of the unit's own so that
        # the market's draws (and with them the rest of the world) stay what they were
        own = random.Random(f"running hours {k} {mw} {hours}")
        running = min(Decimal(8760), (hours / Decimal(str(own.uniform(*rate)))).to_integral_value(ROUND_CEILING))
        running_now = min(Decimal(8760), (running * (1 + change)).to_integral_value(ROUND_CEILING))
        units.append({"source_id": f"U{k + 1}", "fuel": fuel, "capacity_mw": mw,
                      "cooling": rng.choice(coolings), "base_mwh": base, "mwh": actual,
                      "base_running_hours": running, "running_hours": running_now,
                      "base_load_factor": _f(base, mw, running), "load_factor": _f(actual, mw, running_now),
                      "intensity": intensity, "emissions": (actual * intensity).quantize(Decimal("0.01"))})
        left -= base * intensity
        k += 1
    return units


def _f(mwh: Decimal, mw: int, running: Decimal) -> Decimal:
    """F to two decimals, rounded down (a rounding up could pass 1 for a unit that ran flat out)."""
    return load_rate(mwh, Decimal(mw), running).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
