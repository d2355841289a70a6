"""The message catalogues are complete: every refusal code a DomainError in src/ can carry, every status
the UI shows and every word a template asks for has its entry in Chinese and in English (the .po files,
plus the WORDS block a branch adds to before the words are moved in). Found by reading the source, so a
new code or template word without its translation fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openets.allocation.runs import RunStatus
from openets.compliance import core as compliance_core
from openets.core.errors import DomainError
from openets.market.auction_status import NoticeStatus
from openets.market.orders import OrderStatus
from openets.messages import LANGS, WORDS, Phrases, catalogue, po_path, words
from openets.mrv.documents import PLAN_TRANSITIONS, REPORT_TRANSITIONS
from openets.registry import checks
from openets.registry.model import AccountStatus
from openets.registry.transactions import TxStatus
from openets.web.compliance_page import SORTS

SRC = Path(__file__).parents[3] / "src" / "openets"
TEMPLATES = SRC / "web" / "templates"
# DomainError("code", …), its subclasses' BadInput("code", …) / AuthError("code", …), the API's own answers
RAISED = re.compile(r'\b(?:DomainError|BadInput|AuthError)\(\s*f?"([a-z][a-z0-9_]*)"', re.S)
ANSWERED = re.compile(r'answer\(request, \d+, "([a-z_]+)"')
# the order book's, the auction's and the exchange's refusal reasons (returned, then put on the order)
REASONS = re.compile(r'(?:return|reason =) "([a-z][a-z0-9_]*)"')
REASON_FILES = ("market/orderbook.py", "market/auction.py", "services/exchange/orders.py")


def refusal_codes() -> set[str]:
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(RAISED.findall(text)) | set(ANSWERED.findall(text))
    for name in REASON_FILES:
        codes |= set(REASONS.findall((SRC / name).read_text(encoding="utf-8")))
    codes |= {c.__name__ for c in checks.CHECKS}  # a registry check's name is its refusal's code
    codes |= {"not_found", "idempotency_conflict", "order_rejected"}  # NotFound, IdempotencyConflict, the UI's fallback
    return codes


def statuses() -> dict[str, set[str]]:
    compliance_codes = set(re.findall(r'Status\("([a-z_]+)"', Path(compliance_core.__file__).read_text(encoding="utf-8")))
    documents = {x for table in (PLAN_TRANSITIONS, REPORT_TRANSITIONS) for (a, _e), b in table.items() for x in (a, b)}
    penalties = set(re.findall(r'Penalty\([^,]+, "([a-z_]+)"', (SRC / "services" / "compliance.py").read_text(encoding="utf-8")))
    penalties |= set(re.findall(r'\(s\.company, "([a-z_]+)"\)', (SRC / "services" / "compliance.py").read_text(encoding="utf-8")))
    return {"compliance": compliance_codes, "order": {s.value for s in OrderStatus}, "transaction": {s.value for s in TxStatus},
            "account": {s.value for s in AccountStatus}, "report": documents, "run": {s.value for s in RunStatus},
            "notice": {s.value for s in NoticeStatus}, "penalty": penalties}


def template_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bw\.([a-z_][a-z0-9_]*)", text)) | set(re.findall(r"\bw\['([a-z_0-9]+)'\]", text))
        for prefix in re.findall(r"\bw\['([a-z_0-9]+)' \+", text):  # a key built from a prefix and a code
            keys |= {prefix + k for k in _dynamic(prefix)}
    return keys


def _dynamic(prefix: str) -> set[str]:
    if prefix == "sort_":
        return set(SORTS)
    if prefix == "lab_":  # the lab page's figures
        from openets.web.lab_page import FIGURES

        return set(FIGURES)
    if prefix == "task_":  # the kinds services/tasks.py makes
        return set(re.findall(r'Task\("([a-z_]+)"', (SRC / "services" / "tasks.py").read_text(encoding="utf-8")))
    if prefix == "severity_":  # a finding's severities
        from openets.mrv.documents import SEVERITIES

        return set(SEVERITIES)
    if prefix == "op_":  # the exchange operator's operations
        from openets.web.role_pages import OPERATIONS

        return set(OPERATIONS)
    raise AssertionError(f"the template builds keys from {prefix!r}: name their endings here")


def test_the_sources_were_read() -> None:  # the regular expressions still find what they look for
    codes = refusal_codes()
    assert {"price_outside_band", "cash_insufficient", "four_eyes", "available_balance", "no_rule_set",
            "market_closed", "request_invalid"} <= codes and len(codes) > 200
    st = statuses()
    assert {"due", "compliant", "late", "non_compliant"} <= st["compliance"] and {"fine", "listed"} <= st["penalty"]
    assert {"verified", "under_verification"} <= st["report"]
    assert {"holdings", "sort_shortfall", "task_mrv_report"} <= template_keys()


@pytest.mark.parametrize("lang", LANGS)
def test_every_refusal_code_has_its_words(lang: str) -> None:
    w = words(lang)
    missing = sorted(c for c in refusal_codes() if f"error_{c}" not in w)
    assert not missing, f"{po_path(lang)}: no error_<code> for {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_status_shown_has_its_words(lang: str) -> None:
    w = words(lang)
    missing = sorted(f"status_{k}_{c}" for k, codes in statuses().items() for c in codes if f"status_{k}_{c}" not in w)
    assert not missing, f"{po_path(lang)}: missing {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_word_is_in_the_catalogue(lang: str) -> None:
    w = words(lang)
    missing = sorted(k for k in template_keys() if k not in w)
    assert not missing, f"{po_path(lang)}: missing {missing}"


def test_chinese_is_complete_and_chinese() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))  # every msgid translated in both .po files
    han = re.compile(r"[\u4e00-\u9fff]")
    not_chinese = sorted(k for k, v in zh.items() if not han.search(v))
    assert not not_chinese, not_chinese
    assert not (set(WORDS) & set(zh)), "a WORDS key already in the catalogue: remove it from WORDS"


def test_a_refusal_reads_in_the_page_language() -> None:
    exc = DomainError("price_outside_band", "order refused: price_outside_band")
    assert Phrases(words("zh"), "zh").problem(exc) == "价格超出涨跌幅限制 [price_outside_band]"
    assert Phrases(words("en"), "en").problem(exc) == "Price outside the band: order refused: price_outside_band [price_outside_band]"
    assert Phrases(words("zh"), "zh").status("compliance", "due") == "待清缴"
    assert Phrases(words("zh"), "zh").status("compliance", "no_such") == "no_such"  # unknown: its code, not a blank


def test_words_added_on_a_branch_move_into_both_catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from openets import messages as i18n

    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setattr(i18n, "WORDS", {"aa_new_word": ("新词", "New word"), "holdings": ("不覆盖", "not kept")})
    i18n.catalogue.cache_clear()
    try:
        assert i18n.words("zh")["aa_new_word"] == "新词"  # works before the move, from WORDS
        before = dict(i18n.catalogue("zh"))
        assert i18n.move_words() == 2
        zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
        assert zh["aa_new_word"] == "新词" and en["aa_new_word"] == "New word"
        assert zh["holdings"] == before["holdings"] == "持有配额"  # the catalogue's own text is kept
        assert len(zh) == len(before) + 1
        text = (tmp_path / "locale" / "zh" / "LC_MESSAGES" / "openets.po").read_text(encoding="utf-8")
        ids = re.findall(r'^msgid "(.+)"$', text, re.M)
        assert ids == sorted(ids)  # sorted: a merge of two branches' moves conflicts only where both add a word
    finally:
        i18n.catalogue.cache_clear()  # the real catalogues for the other tests


def test_the_rates_read_in_the_page_language() -> None:
    from openets.compliance.core import Rate, Rates

    # Beijing 2016 as published: 925 of 947 on time = 97.67… → 97.7 %; 940/947 = 99.26… → 99.3 %;
    # tonnes 29,000 of 30,000 = 96.66… → 96.7 %
    r = Rates(Rate(925, 947), Rate(940, 947), Rate(29_000, 30_000))
    assert Phrases(words("zh"), "zh").rates(r) == "按时履约率 97.7 % · 最终履约率 99.3 % · 按配额量 96.7 %"
    assert Phrases(words("en"), "en").rates(r) == "on time 97.7 % · final 99.3 % · of tonnes 96.7 %"
    assert Phrases(words("zh"), "zh").rates("—") == "—"


def names() -> dict[str, set[str]]:
    """The codes shown by their name (``Phrases.name(kind, code)`` reads ``<kind>_<code>``)."""
    from openets.core.actor import Role
    from openets.registry.model import AccountType
    from openets.registry.transactions import TxType
    from openets.web.work import SOURCES

    events = {e for table in (PLAN_TRANSITIONS, REPORT_TRANSITIONS) for (_a, e) in table}
    return {"tx": {s.value for s in TxType}, "account_type": {s.value for s in AccountType}, "run_kind": {"pre", "final"},
            "role": {r.value for r in Role}, "event": events, "source": set(SOURCES)}


@pytest.mark.parametrize("lang", LANGS)
def test_every_code_shown_by_its_name_has_it(lang: str) -> None:
    w = words(lang)
    missing = sorted(f"{k}_{c}" for k, codes in names().items() for c in codes if f"{k}_{c}" not in w)
    assert not missing, f"{po_path(lang)}: missing {missing}"


def _fields(text: str) -> set[str]:
    import string

    return {f.split(".")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_sentence_has_the_same_params_in_both_languages() -> None:
    zh, en = words("zh"), words("en")
    sentences = sorted(k for k in zh if k.startswith("sentence_"))
    assert sentences
    differ = [k for k in sentences if _fields(zh[k]) != _fields(en[k])]
    assert not differ, differ
    used = set(re.findall(r'"(task_[a-z_]+)"', (SRC / "services" / "tasks.py").read_text(encoding="utf-8")))
    assert {"task_transaction_to", "task_account_of", "task_mrv_report"} <= used  # the tasks' sentence keys
    assert not sorted(k for k in used if f"sentence_{k}" not in zh), "a task's sentence missing from the catalogue"


def test_a_sentence_reads_in_the_page_language_with_its_codes_named() -> None:
    from openets.messages import Named

    params = {"type": Named("tx", "issue"), "quantity": 2_000_000, "unit_class": "BEA-2016", "receiver": "BJ-ISSUANCE"}
    assert Phrases.of("zh").sentence("task_transaction_to", **params) == "签发 2,000,000 吨 BEA-2016 → BJ-ISSUANCE"
    assert Phrases.of("en").sentence("task_transaction_to", **params) == "issuance 2,000,000 t BEA-2016 → BJ-ISSUANCE"
    assert Phrases.of("zh").name("account_type", "compliance") == "履约账户"
    assert Phrases.of("en").name("account_type", "compliance") == "compliance"
    assert Phrases.of("zh").name("tx", "no_such") == "no_such"  # unknown: its code
    # a sentence missing from the catalogue, or missing a param, reads as its key and params: never a traceback
    assert Phrases.of("en").sentence("no_such", a=1) == "no_such a=1"
    assert Phrases.of("en").sentence("task_mrv_report", year=2016).startswith("confirm the {year}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_report_column_header_is_in_the_catalogue(lang: str) -> None:
    w = words(lang)
    used: set[str] = set()
    for path in (SRC / "reports").glob("*.py"):
        used |= set(re.findall(r'\bCol\("[a-z_0-9]+", "([a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 80 and {"col_company_name", "col_shortfall_t"} <= used
    missing = sorted(k for k in used if k not in w)
    assert not missing, f"{po_path(lang)}: missing {missing}"


def audited_actions() -> set[str]:
    """Every action an audit row can name: each CLI command (``openets.registry.issue``, as cli/session.py
    writes it), each state-changing API route (``<tag>.<name>``) and dashboard form (``ui.<name>``), as
    api/audit.py writes them."""
    from sqlalchemy import create_engine
    from typer.main import get_command

    from openets.api.app import create_app
    from openets.cli.app import app as cli_app

    out: set[str] = set()

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.add(".".join(["openets", *path]))

    walk(get_command(cli_app), [])
    app = create_app(create_engine("sqlite://"), secret="s" * 32)
    for route, tags in _routes(app.routes, []):
        if set(getattr(route, "methods", None) or ()) & {"POST", "PUT", "PATCH", "DELETE"}:
            ui = not getattr(route, "include_in_schema", False)
            out.add(f"{'ui' if ui else (list(getattr(route, 'tags', None) or ()) or tags or ['api'])[0]}.{route.name}")
    return out


def _routes(routes: list, tags: list) -> list:  # type: ignore[type-arg]
    """The app's routes with their router's tags (an included router holds its own routes)."""
    found = []
    for r in routes:
        router = getattr(r, "original_router", None)
        if router is not None:
            found += _routes(router.routes, list(router.tags or ()) or tags)
        else:
            found.append((r, tags))
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_audited_action_has_its_name(lang: str) -> None:
    acts = audited_actions()
    assert {"openets.registry.issue", "openets.login", "ui.verifier_decide", "market.place"} <= acts, sorted(acts)
    tr = Phrases(words(lang), lang)
    missing = sorted(a for a in acts if tr.action(a) == a)
    assert not missing, f"{po_path(lang)}: no action_<…> for {missing}"
    assert Phrases.of("zh").action("openets.registry.approve-account") == "批准开户"
    assert Phrases.of("zh").answer("ok") == "成功" and Phrases.of("en").answer("403") == "HTTP 403"
    assert Phrases.of("zh").answer("four_eyes") == Phrases.of("zh").refusal("four_eyes")
