"""The main job's registry part: a walk-through of one market's registry with real figures from
the seed (Beijing, compliance year 2016)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import gettempdir

from openets.core.actor import Role
from openets.core.clock import FixedClock
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.journal import export_checkpoint, verify
from openets.services.ops import Op
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.storage.db import make_engine
from openets.storage.migrate import upgrade


def registry_walkthrough(url: str, say: Callable[[str], None] | None = None) -> dict[str, object]:
    out = say or (lambda _m: None)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    out("[bold]1. Markets[/bold]: " + ", ".join(f"{m.code} {m.name_zh}" for m in svc.rulebook.markets.values()))

    bj = svc.registry_party("BJ")
    svc.add_user(name="bj-reg-li", party_id=bj, role=Role.REGULATOR, market="BJ")
    svc.add_user(name="bj-reg-wang", party_id=bj, role=Role.REGULATOR, market="BJ")
    li, wang = svc.actor("bj-reg-li"), svc.actor("bj-reg-wang")
    heat = svc.create_party(kind=PartyKind.COMPANY, name="北京某热电有限公司", name_en="Beijing Thermal Power Co.",
                            market="BJ", registration_id="911100000000000001", sector="power", region="110105")
    inst = svc.add_installation(party_id=heat, name="朝阳热电厂", county_code="110105", sector="power")
    svc.add_generating_unit(installation_id=inst, name="#1", capacity_mw=350, fuel="gas", cooling="water",
                            category="gas_combined_cycle")
    cement = svc.create_party(kind=PartyKind.COMPANY, name="北京某水泥有限公司", name_en="Beijing Cement Co.",
                              market="BJ", registration_id="911100000000000002", sector="cement", region="110111")
    svc.add_user(name="heat-zhao", party_id=heat, role=Role.COMPANY)
    svc.add_user(name="cement-sun", party_id=cement, role=Role.COMPANY)
    zhao, sun = svc.actor("heat-zhao"), svc.actor("cement-sun")
    heat_acc = svc.request_account(zhao, market="BJ", type=AccountType.COMPLIANCE, name="热电 履约账户")
    cement_acc = svc.request_account(sun, market="BJ", type=AccountType.COMPLIANCE, name="水泥 履约账户")
    for acc in (heat_acc, cement_acc):
        svc.decide_account(li, acc.number, approve=True)
    out(f"[bold]2. Accounts[/bold]: {heat_acc.number} (热电), {cement_acc.number} (水泥) opened, approved by bj-reg-li")

    bea = svc.create_unit_class(li, kind=UnitKind.ALLOWANCE, market="BJ", vintage=2016, cap=50_000_000)
    issuance = svc.account("BJ-ISSUANCE")
    pending = svc.one(li, Op("issue", key="bea-2016-issue", to_account=issuance.id, unit_class=bea.id,
                             quantity=2_000_000))
    out(f"[bold]3. Issue[/bold] 2,000,000 t {bea.code}: proposed by bj-reg-li → {pending.status}")
    done = svc.one(wang, Op("approve", txn=pending.id))
    out(f"   approved by bj-reg-wang → {done.status}, serials {done.ranges}")

    svc.one(li, Op("allocate", key="alloc-heat", from_account=issuance.id, to_account=heat_acc.id,
                   unit_class=bea.id, quantity=1_200_000))
    svc.one(li, Op("allocate", key="alloc-cement", from_account=issuance.id, to_account=cement_acc.id,
                   unit_class=bea.id, quantity=700_000))
    out("[bold]4. Allocate[/bold] 1,200,000 t to 热电, 700,000 t to 水泥")

    t1 = svc.one(zhao, Op("transfer", key="sell-1", from_account=heat_acc.id, to_account=cement_acc.id,
                          unit_class=bea.id, quantity=50_000))
    again = svc.submit(zhao, [Op("transfer", key="sell-1", from_account=heat_acc.id, to_account=cement_acc.id,
                                 unit_class=bea.id, quantity=50_000)])[0]
    out(f"[bold]5. Transfer[/bold] 50,000 t 热电 → 水泥, serials {t1.ranges}; the same key again: "
        f"replayed={again.replayed}, no second effect")

    fr = svc.one(li, Op("freeze", from_account=cement_acc.id, unit_class=bea.id, quantity=10_000,
                        note="demo freeze"))
    svc.one(li, Op("unfreeze", reservation=fr.reservation_id))
    out("[bold]6. Freeze[/bold] 10,000 t in 水泥's account, then unfreeze")

    s1 = svc.one(zhao, Op("surrender", key="surr-2016", from_account=heat_acc.id, unit_class=bea.id,
                          quantity=1_100_000, compliance_year=2016))
    s2 = svc.one(sun, Op("surrender", key="surr-2016", from_account=cement_acc.id, unit_class=bea.id,
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
    return {"trace": steps, "issued": totals.issued, "surrendered": totals.surrendered,
            "conserved": totals.conserved, "journal_rows": report.rows, "journal_ok": report.ok}
