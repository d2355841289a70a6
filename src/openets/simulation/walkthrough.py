"""The main job's registry part: a walk-through of one market's registry with real figures from
the seed (Beijing, compliance year 2016), then Beijing's compliance, the Shanghai auction of 2017
and the national market's 2019 allocation and true-up — each step through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from tempfile import gettempdir
from typing import Any

from sqlalchemy import Engine

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.core.prices import yuan_text
from openets.registry.commands import Allocate, Approve, CentralTransfer, Freeze, Issue, Surrender, Transfer, Unfreeze
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.database import make_engine, upgrade
from openets.services.journal import export_checkpoint, verify
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService


def registry_walkthrough(url: str, say: Callable[[str], None] | None = None) -> dict[str, object]:
    out = say or (lambda _m: None)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    out("[bold]1. Markets[/bold]: " + ", ".join(f"{m.code} {m.name_zh}" for m in svc.rulebook.markets.values()))

    bj = svc.registry_party("BJ")
    svc.add_user(SYSTEM_SETUP, name="bj-reg-li", party_id=bj, role=Role.REGULATOR, market="BJ")
    svc.add_user(SYSTEM_SETUP, name="bj-reg-wang", party_id=bj, role=Role.REGULATOR, market="BJ")
    li, wang = svc.actor("bj-reg-li"), svc.actor("bj-reg-wang")
    heat = svc.create_party(kind=PartyKind.COMPANY, name="北京某热电有限公司", name_en="Beijing Thermal Power Co.",
                            market="BJ", registration_id="911100000000000001", sector="power", region="110105")
    inst = svc.add_installation(party_id=heat, name="朝阳热电厂", county_code="110105", sector="power")
    svc.add_generating_unit(installation_id=inst, name="#1", capacity_mw=350, fuel="gas", cooling="water",
                            category="gas_combined_cycle")
    cement = svc.create_party(kind=PartyKind.COMPANY, name="北京某水泥有限公司", name_en="Beijing Cement Co.",
                              market="BJ", registration_id="911100000000000002", sector="cement", region="110111")
    svc.add_user(SYSTEM_SETUP, name="heat-zhao", party_id=heat, role=Role.COMPANY)
    svc.add_user(SYSTEM_SETUP, name="cement-sun", party_id=cement, role=Role.COMPANY)
    zhao, sun = svc.actor("heat-zhao"), svc.actor("cement-sun")
    heat_acc = svc.request_account(zhao, market="BJ", type=AccountType.COMPLIANCE, name="热电 履约账户")
    cement_acc = svc.request_account(sun, market="BJ", type=AccountType.COMPLIANCE, name="水泥 履约账户")
    for acc in (heat_acc, cement_acc):
        svc.decide_account(li, acc.number, approve=True)
    out(f"[bold]2. Accounts[/bold]: {heat_acc.number} (热电), {cement_acc.number} (水泥) opened, approved by bj-reg-li")

    bea = svc.create_unit_class(li, kind=UnitKind.ALLOWANCE, market="BJ", vintage=2016, cap=50_000_000)
    issuance = svc.account("BJ-ISSUANCE")
    pending = svc.one(li, Issue(key="bea-2016-issue", to_account=issuance.id, unit_class=bea.id,
                             quantity=2_000_000))
    out(f"[bold]3. Issue[/bold] 2,000,000 t {bea.code}: proposed by bj-reg-li → {pending.status}")
    done = svc.one(wang, Approve(txn=pending.id))
    out(f"   approved by bj-reg-wang → {done.status}, serials {done.ranges}")

    svc.one(li, Allocate(key="alloc-heat", from_account=issuance.id, to_account=heat_acc.id,
                   unit_class=bea.id, quantity=1_200_000))
    svc.one(li, Allocate(key="alloc-cement", from_account=issuance.id, to_account=cement_acc.id,
                   unit_class=bea.id, quantity=700_000))
    out("[bold]4. Allocate[/bold] 1,200,000 t to 热电, 700,000 t to 水泥")

    t1 = svc.one(zhao, Transfer(key="sell-1", from_account=heat_acc.id, to_account=cement_acc.id,
                          unit_class=bea.id, quantity=50_000))
    again = svc.submit(zhao, [Transfer(key="sell-1", from_account=heat_acc.id, to_account=cement_acc.id,
                                 unit_class=bea.id, quantity=50_000)])[0]
    out(f"[bold]5. Transfer[/bold] 50,000 t 热电 → 水泥, serials {t1.ranges}; the same key again: "
        f"replayed={again.replayed}, no second effect")

    fr = svc.one(li, Freeze(account=cement_acc.id, unit_class=bea.id, quantity=10_000,
                        note="demo freeze"))
    assert fr.reservation_id is not None  # a freeze always holds its units back in a reservation
    svc.one(li, Unfreeze(reservation=fr.reservation_id))
    out("[bold]6. Freeze[/bold] 10,000 t in 水泥's account, then unfreeze")

    s1 = svc.one(zhao, Surrender(key="surr-2016", from_account=heat_acc.id, unit_class=bea.id,
                          quantity=1_100_000, compliance_year=2016))
    s2 = svc.one(sun, Surrender(key="surr-2016", from_account=cement_acc.id, unit_class=bea.id,
                         quantity=740_000, compliance_year=2016))
    out(f"[bold]7. Surrender (清缴) for 2016[/bold]: 热电 1,100,000 t (txn {s1.id}), 水泥 740,000 t (txn {s2.id})")

    q = RegistryQueries(engine)
    serial = t1.ranges[0][0]
    steps = q.trace(bea.code, serial)
    out(f"[bold]8. Trace[/bold] {bea.code} #{serial}: " + " → ".join(f"{s['type']}→{s['to_account']}" for s in steps))
    totals = [x for x in q.totals() if x.unit_class == bea.code][0]
    out(f"[bold]9. Totals[/bold] {bea.code}: issued {totals.issued:,}, in circulation {totals.in_circulation:,}, "
        f"surrendered {totals.surrendered:,}; conserved: {totals.conserved}")
    cp = Path(gettempdir()) / "openets-demo-checkpoint.json.gz"
    export_checkpoint(engine, cp)
    report = verify(engine, cp)
    out(f"[bold]10. Journal[/bold]: {report.rows} lines in {report.accounts} hash chains, verified against the "
        f"checkpoint {cp}: {'OK' if report.ok else report.problems}")
    beijing = beijing_compliance(svc, clock, out, heat_reg="911100000000000001", cement_reg="911100000000000002")
    shanghai = shanghai_auction(engine, out)
    national = national_walkthrough(engine, out)
    return {"trace": steps, "issued": totals.issued, "surrendered": totals.surrendered,
            "conserved": totals.conserved, "journal_rows": report.rows, "journal_ok": report.ok,
            "beijing": beijing, "shanghai": shanghai, "national": national}


def beijing_compliance(svc: RegistryService, clock: FixedClock, out: Callable[[str], None], *, heat_reg: str,
                       cement_reg: str) -> dict[str, object]:
    """Beijing 2016: emissions (here determined by the regulator), the deadline of 15 June, the order
    to comply within 10 working days, the fine for what is still missing."""
    from decimal import Decimal

    from openets.compliance.core import average_price, fine
    from openets.services.compliance import ComplianceService
    from openets.services.reports import ReportService

    li = svc.actor("bj-reg-li")
    reports = ReportService(svc)
    reports.determine_missing(li, market="BJ", year=2016, company=heat_reg, emissions=Decimal("1100000"))
    reports.determine_missing(li, market="BJ", year=2016, company=cement_reg, emissions=Decimal("760000"))
    cs = ComplianceService(svc)
    _, order = cs.deadlines("BJ", 2016)
    assert order is not None  # Beijing's rules give an order to comply
    after = datetime(2017, 7, 3, 2, 0, tzinfo=UTC)
    statuses = {s.company: s.status for s in cs.statuses("BJ", 2016, now=after)}
    cement = statuses[cement_reg]
    price = average_price([(datetime(2017, 3, 1).date(), 5000, 100_000), (datetime(2017, 5, 2).date(), 5200, 50_000)],
                          datetime(2016, 12, 16).date(), datetime(2017, 6, 15).date())
    due = fine(cement.shortfall, Decimal(3), price, low=Decimal(3), high=Decimal(5))
    out(f"[bold]11. Beijing compliance 2016[/bold] (deadline 15 June, order until {order.date()}): "
        f"热电 {statuses[heat_reg].code}, 水泥 {cement.code} ({cement.shortfall:,} t short) → fine 3 × "
        f"{yuan_text(price)} yuan × {cement.shortfall:,} t = {yuan_text(due, grouped=True)} yuan; compliance rate "
        f"{cs.rate('BJ', 2016, now=after)}")
    return {"statuses": {k: v.code for k, v in statuses.items()}, "fine_fen": due}


def shanghai_auction(engine: Engine, out: Callable[[str], None]) -> dict[str, object]:
    """Shanghai, 30 June 2017 (沪发改公告〔2017〕3号): reserve from the VWAP, uniform price, units for 2016 only."""
    from datetime import date, timedelta

    from openets.market.auction import AuctionRules, Bid, ReserveRule, clear
    from openets.market.data import Print
    from openets.services.auctions import AuctionService

    svc = RegistryService(engine, clock=FixedClock(datetime(2017, 6, 30, 3, 0, tzinfo=UTC)))
    party = svc.registry_party("SH")
    svc.add_user(SYSTEM_SETUP, name="sh-reg-xu", party_id=party, role=Role.REGULATOR, market="SH")
    svc.add_user(SYSTEM_SETUP, name="sh-reg-ma", party_id=party, role=Role.REGULATOR, market="SH")
    xu, ma = svc.actor("sh-reg-xu"), svc.actor("sh-reg-ma")
    bidders = {}
    for i in range(1, 4):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=f"上海某企业{i}", market="SH",
                               registration_id=f"91310000000000000{i}")
        svc.add_user(SYSTEM_SETUP, name=f"sh-co-{i}", party_id=pid, role=Role.COMPANY)
        acc = svc.request_account(svc.actor(f"sh-co-{i}"), market="SH", type=AccountType.COMPLIANCE)
        svc.decide_account(xu, acc.number, approve=True)
        bidders[i] = pid
    uc = svc.create_unit_class(xu, kind=UnitKind.ALLOWANCE, market="SH", vintage=2016, cap=200_000_000)
    rid = svc.create_restriction(xu, allowed_types=["central_transfer", "auction_delivery", "surrender"],
                                 bound_market="SH", bound_year=2016, note="沪发改公告〔2017〕3号")
    rec = svc.one(xu, Issue(key="sh-auction-2017", to_account=svc.account("SH-ISSUANCE").id,
                         unit_class=uc.id, quantity=2_000_000, restriction=rid))
    svc.one(ma, Approve(txn=rec.id))
    svc.one(xu, CentralTransfer(from_account=svc.account("SH-ISSUANCE").id,
                   to_account=svc.account("SH-AUCTION").id, unit_class=uc.id, quantity=2_000_000, restriction=rid))
    tape = [Print(datetime(2016, 12, 1, 3, tzinfo=UTC) + timedelta(days=20 * k), "SHEA-2016", 3000 + 40 * k, 20_000)
            for k in range(10)]
    reserve = ReserveRule(Decimal("1.2"), 4200, (date(2016, 11, 18), date(2017, 6, 29))).reserve(tape)
    close = datetime(2017, 6, 30, 2, 30, tzinfo=UTC)
    bids = [Bid(bidders[1], "1", 4400, 900_000, close - timedelta(minutes=50)),
            Bid(bidders[2], "1", 4200, 800_000, close - timedelta(minutes=40)),
            Bid(bidders[3], "1", 4200, 600_000, close - timedelta(minutes=30)),
            Bid(bidders[3], "2", reserve - 10, 100_000, close - timedelta(minutes=20))]
    result = clear(bids, AuctionRules(volume=2_000_000, closes_at=close, reserve=reserve,
                                      eligible=frozenset(bidders.values())))
    AuctionService(svc).settle(xu, market="SH", document="沪发改公告〔2017〕3号", unit_class=uc.code, restriction_id=rid,
                               result=result)
    pub = result.published()
    clearing = pub["clearing_price_fen"]
    assert isinstance(clearing, int)
    out(f"[bold]12. Shanghai auction[/bold] 30 June 2017: reserve {yuan_text(reserve)} yuan (1.2 × VWAP, ≤ 42), "
        f"clearing {yuan_text(clearing)} yuan, {pub['volume_sold_t']:,} t to {pub['winners']} "
        f"winners, cover {pub['cover_ratio']}; the units may only be surrendered for 2016")
    return pub


# company, unit, fuel, MW, cooling, MWh supplied (base year), GJ heat, heat ratio, load factor
PowerUnit = tuple[str, str, str, int, str, int, int, str, str]
POWER_UNITS: list[PowerUnit] = [
    ("911000000000000101", "U1", "coal", 600, "air", 3_000_000, 1_000_000, "0.10", "0.78"),
    ("911000000000000101", "U2", "gas", 400, "water", 1_000_000, 0, "0", "0.90"),
    ("911000000000000102", "U3", "coal", 350, "water", 2_000_000, 0, "0", "0.86"),
]


def national_walkthrough(engine: Engine, out: Callable[[str], None]) -> dict[str, object]:
    """The national market, 2019: pre-allocation from base-year output, an MRV report verified and
    confirmed, the true-up (多退少补) from the confirmed output."""
    from decimal import Decimal

    from openets.allocation.plan import ProductionRow
    from openets.mrv.documents import Finding
    from openets.services.allocation import AllocationService
    from openets.services.reports import MrvConfirmedOutput, ReportService

    clock = FixedClock(datetime(2021, 6, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    cea = svc.registry_party("CEA")
    svc.add_user(SYSTEM_SETUP, name="mee-chen", party_id=cea, role=Role.REGULATOR, market="CEA")
    svc.add_user(SYSTEM_SETUP, name="mee-liu", party_id=cea, role=Role.REGULATOR, market="CEA")
    chen, liu = svc.actor("mee-chen"), svc.actor("mee-liu")
    users = {}
    for reg_id, name in (("911000000000000101", "华北某发电有限公司"), ("911000000000000102", "华东某热电有限公司")):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=name, market="CEA", registration_id=reg_id, sector="power")
        svc.add_user(SYSTEM_SETUP, name=f"rep-{reg_id[-3:]}", party_id=pid, role=Role.COMPANY)
        users[reg_id] = svc.actor(f"rep-{reg_id[-3:]}")
        acc = svc.request_account(users[reg_id], market="CEA", type=AccountType.COMPLIANCE)
        svc.decide_account(chen, acc.number, approve=True)
    cea_2019 = svc.create_unit_class(chen, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2019, cap=20_000_000)
    rec = svc.one(chen, Issue(key="cea-2019", to_account=svc.account("CEA-ISSUANCE").id,
                           unit_class=cea_2019.id, quantity=20_000_000))
    svc.one(liu, Approve(txn=rec.id))

    def rows(units: list[PowerUnit]) -> list[ProductionRow]:
        return [ProductionRow(f"unit {u[1]}", u[0], u[1], "power", fuel=u[2], capacity_mw=u[3], cooling=u[4],
                              electricity_mwh=Decimal(u[5]), heat_gj=Decimal(u[6]), heat_supply_ratio=Decimal(u[7]),
                              load_factor=Decimal(u[8])) for u in units]

    alloc = AllocationService(svc)
    pre = alloc.compute(rows(POWER_UNITS), market="CEA", year=2019, kind="pre")
    run = alloc.propose(chen, pre, market="CEA", year=2019)
    alloc.issue(liu, run.run, unit_class=cea_2019.code, from_account="CEA-ISSUANCE")
    out("[bold]13. National market 2019[/bold] (国环规气候〔2020〕3号): pre-allocation, 70 % of base-year output × "
        "benchmark × correction factors: " + ", ".join(f"{c.company[-3:]} {c.tonnes:,} t" for c in pre.companies)
        + f"; proposed by mee-chen, issued by mee-liu (run {run.run})")

    reports = ReportService(svc)
    verifier = svc.create_party(kind=PartyKind.VERIFIER, name="某第三方核查机构", registration_id="VER-001")
    svc.add_user(SYSTEM_SETUP, name="ver-zhou", party_id=verifier, role=Role.VERIFIER)
    zhou = svc.actor("ver-zhou")
    # 10 % more power than in the base year
    actual: list[PowerUnit] = [(u[0], u[1], u[2], u[3], u[4], int(u[5] * 1.1), u[6], u[7], u[8]) for u in POWER_UNITS]
    for reg_id, user in users.items():
        mine: list[dict[str, Any]] = [dict(source_id=u[1], sector="power", fuel=u[2], capacity_mw=u[3], cooling=u[4],
                     electricity_mwh=str(u[5]), heat_gj=str(u[6]), heat_supply_ratio=u[7], load_factor=u[8])
                for u in actual if u[0] == reg_id]
        emitted = Decimal(sum(int(r["electricity_mwh"]) for r in mine))  # a stand-in: 1 t a MWh
        rid = reports.submit(user, market="CEA", year=2019, emissions=emitted, output=mine)
        reports.assign(chen, rid, str(verifier))
        reports.step(zhou, rid, "start_verification")
        reports.verify(zhou, rid, emissions=emitted, output=mine,
                       findings=[Finding("minor", "meter calibration certificate renewed late")],
                       statement="verified")
        reports.step(liu, rid, "confirm")
    out("[bold]14. MRV[/bold]: both companies filed 2019 reports; verifier ver-zhou (conflict-checked) verified "
        "them with a minor finding; mee-liu confirmed")

    trueup = alloc.true_up_from(chen, MrvConfirmedOutput(engine), market="CEA", year=2019)
    alloc.issue(liu, trueup.run, unit_class=cea_2019.code, from_account="CEA-ISSUANCE")
    q = RegistryQueries(engine)
    t2019 = [x for x in q.totals() if x.unit_class == cea_2019.code][0]
    out(f"[bold]15. True-up (多退少补)[/bold] from the confirmed output: {trueup.total:+,} t in all; "
        f"{cea_2019.code} in circulation {t2019.in_circulation:,} t, conserved: {t2019.conserved}")
    return {"pre_allocation": pre.total, "true_up": trueup.total, "conserved": t2019.conserved}
