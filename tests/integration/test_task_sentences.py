"""A regulator's task list says what each task is in the page's language, from the catalogue: the
transaction's type, tonnes and unit class, the account's type and holder, by their names."""

from __future__ import annotations

from openets.messages import Phrases
from openets.registry.commands import Issue
from openets.registry.model import AccountType
from openets.services.tasks import pending_for
from openets.testing.builders import build_world


def test_the_task_list_reads_in_chinese_and_in_english(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, companies=1, allocate=0)
    w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=w.unit_class.id, quantity=2_000_000))
    # a second account asked for by the company: waits for the regulator
    w.svc.request_account(w.companies[0], market="BJ", type=AccountType.HOLDING, number="BJ-H00001")
    tasks = {t.kind: t for t in pending_for(engine, w.reg2)}
    assert set(tasks) >= {"transaction", "account"}
    zh, en = Phrases.of("zh"), Phrases.of("en")
    issue = tasks["transaction"]
    code = w.unit_class.code
    assert issue.what(zh) == f"签发 2,000,000 吨 {code} → BJ-ISSUANCE"
    assert issue.what(en) == f"issuance 2,000,000 t {code} → BJ-ISSUANCE"
    account = tasks["account"]
    assert account.what(zh) == "为企业0（BJ-REG-00000）开立一般持有账户"
    assert account.what(en) == "open a holding account for 企业0 (BJ-REG-00000)"
    assert "issue" not in issue.what(zh) and "holding" not in account.what(zh)  # no English code on the Chinese page
