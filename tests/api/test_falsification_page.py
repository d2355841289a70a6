"""The regulator's read-only page of data-quality findings (web/falsification_page.py) through the app
with a TestClient, no browser: the findings of the regulator's market with the company's name beside
its code, the kind, the fines in yuan, the cut share once decided and the tonnes once applied; in
Chinese and English; linked from the regulator's navigation; anyone else refused."""

from __future__ import annotations

from decimal import Decimal as D

from tests.api.conftest import PW

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.api.deps import COOKIE
from openets.services.allocation import AllocationService
from openets.services.falsification import FalsificationService


def _as(c, user: str) -> None:  # type: ignore[no-untyped-def]
    c.cookies.clear()
    r = c.post("/ui/login", data={"username": user, "password": PW}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c.cookies.set(COOKIE, r.cookies[COOKIE])


def _row(html: str, finding: int) -> str:
    start = html.index(f'<tr data-id="{finding}"')
    return html[start:html.index("</tr>", start)]


def test_the_regulator_sees_the_findings_decided_and_cut(cea_api) -> None:  # type: ignore[no-untyped-def]
    c, w, _ = cea_api
    svc = FalsificationService(w.svc)
    base = dict(market="CEA", company="CEA-REG-00000", year=2023, basis="invoices altered")
    cut = svc.record(w.reg, **base, kind="falsified")
    waiting = svc.record(w.reg, **base, kind="no_samples")
    # 600,000 yuan (60,000,000 fen) and 50,000 yuan for individuals; not corrected: 50 % of 2024 cut
    svc.decide(w.reg2, cut.id, gains_fen=0, amount_fen=60_000_000, individual_fen=5_000_000, corrected=False,
               cut_share=D("0.5"))
    # a share is the regulator's decision to six decimals: shown exactly, 0.505 as 50.5 %, not rounded to 50 %
    half = svc.record(w.reg, **base, kind="not_accounted")
    svc.decide(w.reg2, half.id, gains_fen=0, amount_fen=60_000_000, individual_fen=5_000_000, corrected=False,
               cut_share=D("0.505"))

    _as(c, "CEA-reg-1")
    page = c.get("/ui/falsifications")
    assert page.status_code == 200 and 'id="nav-falsifications"' in page.text and "数据质量违法认定" in page.text
    row = _row(page.text, cut.id)
    assert 'data-status="decided"' in row and "已决定" in row and "企业0" in row and "CEA-REG-00000" in row
    assert "虚假数据" in row and "600,000.00" in row and "50,000.00" in row
    assert '<td class="share">50 %</td>' in row and '<td class="cut-year">2024</td>' in row
    assert "待该年度配额发放时执行" in row  # decided, not yet applied: no tonnes yet
    assert '<td class="share">50.5 %</td>' in _row(page.text, half.id)
    other = _row(page.text, waiting.id)
    assert "待决定" in other and "未制样送检" in other and "600,000.00" not in other

    # the 2024 allocation applies it: A 100,001 t × 0.5 = 50,000.5 → 50,001 t (half up)
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", (CompanyAllocation("CEA-REG-00000", ("power",), D(100_001), 100_001, ()),), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=2024).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    en = c.get("/ui/falsifications", params={"lang": "en"})
    row = _row(en.text, cut.id)
    assert "Data-quality findings" in en.text and "Decided" in row and "falsified data" in row and "50,001" in row
    assert "Company 0" not in row and "企业0" in row  # the registered name, as every list shows it
    assert "To decide" in _row(en.text, waiting.id)
    assert c.get("/ui/falsifications", params={"year": 2022, "lang": "en"}).text.count("<tr data-id=") == 0


def test_an_auditor_reads_every_markets_findings_and_a_company_none(cea_api) -> None:  # type: ignore[no-untyped-def]
    c, w, _ = cea_api
    found = FalsificationService(w.svc).record(w.reg, market="CEA", company="CEA-REG-00000", year=2023,
                                               basis="invoices altered", kind="falsified")
    _as(c, "auditor")
    page = c.get("/ui/falsifications", params={"lang": "en"})
    assert page.status_code == 200 and 'id="nav-falsifications"' in page.text
    assert "Data-quality findings · All" in page.text  # every market's, each row naming its market
    row = _row(page.text, found.id)
    assert '<td class="l market">CEA</td>' in row and "To decide" in row and "CEA-REG-00000" in row
    assert "<form" not in page.text.split('id="findings"')[1]  # read-only: nothing to record or decide here
    _as(c, "CEA-co-0")
    refused = c.get("/ui/falsifications", params={"lang": "en"})
    assert refused.status_code == 403 and 'id="nav-falsifications"' not in refused.text
