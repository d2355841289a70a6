"""The dashboard's words in Chinese and English: gettext catalogues read with Babel.

``locale/{zh,en}/LC_MESSAGES/openets.po`` hold every word; the msgid is the key the templates use
(``{{ w.holdings }}``), so a page and its words stay apart. Besides the plain words the catalogues name
every status the UI shows (``status_<kind>_<code>``: compliance, order, transaction, account, report,
allocation run, auction notice, penalty) and every refusal (``error_<code>``, the DomainError's code), so
``order refused: price_outside_band`` reads 价格超出涨跌幅限制 in Chinese. The .po files are read at
start (no compiled .mo to keep in step); ``tests/unit/web/test_catalogue.py`` fails on a code, status or
template key missing from either language.

Adding words on a branch: put them in :data:`WORDS` below as ``key: (zh, en)``; they work at once.
Moving them into the catalogues: ``python -m openets.web.i18n`` writes them into both .po files (sorted),
then empty :data:`WORDS`. A key in both places takes the catalogue's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from openets.compliance.core import Rates
from openets.core.errors import DomainError

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "openets"
LANGS = ("zh", "en")  # zh first: the default

WORDS: dict[str, tuple[str, str]] = {
    # words added before they reach the catalogues: key: (zh, en) — see the module's docstring
    # lab page
    "lab": ("政策实验室", "Policy lab"),
    "lab_intro": ("已完成的政策实验对比（openets lab compare 写入），只读。目录：",
                  "Finished lab comparisons (written by openets lab compare), read-only. Folder:"),
    "lab_name": ("实验", "Lab"),
    "lab_market": ("市场规则", "Market rules"),
    "lab_years": ("年度", "Year"),
    "lab_variants": ("情景", "Variants"),
    "lab_broken": ("无法读取", "Not readable"),
    "lab_none": ("暂无对比结果", "No comparison yet"),
    "lab_all": ("全部对比", "All comparisons"),
    "lab_firms": ("家企业", "firms"),
    "lab_penalty": ("罚款（元/吨）", "Penalty (yuan/t)"),
    "lab_note": ("每个情景只改变一项输入；“理论”行是分析模型（竞争均衡、Hotelling 路径）的预测。",
                 "Each variant changes one input; the “analytic” rows are the model's prediction "
                 "(competitive equilibrium, Hotelling path)."),
    "lab_figure": ("指标", "Figure"),
    "lab_price_yuan": ("市场价格（元/吨）", "Market price (yuan/t)"),
    "lab_analytic_price_yuan": ("理论价格（元/吨）", "Analytic price (yuan/t)"),
    "lab_abatement_t": ("减排量（吨）", "Abatement (t)"),
    "lab_analytic_abatement_t": ("理论减排量（吨）", "Analytic abatement (t)"),
    "lab_cost_yuan": ("总成本（元）", "Cost (yuan)"),
    "lab_least_cost_yuan": ("最低成本（元）", "Least cost (yuan)"),
    "lab_no_trade_cost_yuan": ("无交易成本（元）", "No-trade cost (yuan)"),
    "lab_efficiency": ("配置效率", "Efficiency"),
    "lab_compliance_rate": ("履约率", "Compliance rate"),
    "lab_banked_t": ("结转（吨）", "Banked (t)"),
    "lab_reserve_t": ("底价储备收购（吨）", "Bought by the floor's reserve (t)"),
    "lab_price_path": ("价格路径（每日成交均价）", "Price path (daily VWAP)"),
    "lab_sector_cost": ("各行业成本（各年合计）", "Cost per sector (all years)"),
    "lab_yuan_t": ("元/吨", "yuan/t"),
    "lab_yuan": ("元", "yuan"),
    "lab_day": ("交易日", "Trading day"),
    # company pages
    "holdings_blocks": ("持仓与序列号", "Holdings and serials"),
    "serial_blocks": ("序列号区段", "Serial blocks"),
    "restricted": ("受限", "restricted"),
    "statement": ("账户流水", "Statement"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "lines_total": ("共计条数", "Lines"),
    "beijing_time": ("北京时间", "Beijing time"),
    "txn": ("交易号", "Transaction"),
    "change": ("变动 (吨)", "Change (t)"),
    "balance_after": ("变动后余额 (吨)", "Balance after (t)"),
    "counter_account": ("对方账户", "Counter account"),
    "counter_holder": ("对方名称", "Counter holder"),
    "prev_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "transfer": ("配额转移", "Transfer"),
    "surrender": ("配额清缴", "Surrender"),
    "from_account": ("转出账户", "From account"),
    "to_account": ("转入账户", "To account"),
    "compliance_year": ("履约年度", "Compliance year"),
    "review": ("下一步：确认", "Next: confirm"),
    "confirm_title": ("请确认", "Please confirm"),
    "will_transfer": ("确认后，以下配额将从转出账户转入对方账户。",
                      "On confirming, these units move from your account to the other account."),
    "will_surrender": ("确认后，以下配额将被清缴，用于该履约年度，不可撤回。",
                       "On confirming, these units are surrendered for the compliance year; this cannot be undone by you."),
    "before": ("之前", "before"),
    "after": ("之后", "after"),
    "not_enough": ("可用数量不足，登记系统将拒绝。", "Not enough available: the registry will refuse it."),
    "confirm": ("确认提交", "Confirm"),
    "change_it": ("修改", "Change"),
    "replayed": ("重复提交，未再次执行", "a repeated submission: nothing moved again"),
    "refused": ("未执行", "Refused"),
    "surrendered_units": ("已清缴明细", "Surrendered"),
    "reversed": ("已冲正", "reversed"),
    "my_orders": ("委托与成交", "Orders and fills"),
    "order_no": ("委托号", "Order"),
    "trade_no": ("成交号", "Trade"),
    "side": ("方向", "Side"),
    "filled": ("已成交", "Filled"),
    "amount": ("成交金额 (元)", "Amount (yuan)"),
    "fee": ("手续费 (元)", "Fee (yuan)"),
    "settlement": ("交收", "Settlement"),
    "settled": ("已交收", "settled"),
    "delivery_due": ("待交收", "delivery due"),
    "trade_confirmations": ("成交回报", "Trade confirmations"),
    "mrv_reports": ("排放报告", "Emission reports"),
    "year": ("年度", "Year"),
    "workbook": ("报告模板 (Excel)", "Report workbook (Excel)"),
    "upload": ("上传", "Upload"),
    "report_no": ("报告", "Report"),
    "reported_emissions": ("报告排放量", "Reported emissions"),
    "verified_emissions": ("核查排放量", "Verified emissions"),
    "findings": ("核查发现与数据质量提示", "Findings"),
    "severity": ("级别", "Severity"),
    "finding": ("内容", "Finding"),
    "report_trail": ("报告流程记录", "Report history"),
    "sev_major": ("重大", "major"),
    "sev_minor": ("一般", "minor"),
    "sev_observation": ("观察", "observation"),
    "sev_warning": ("提示", "warning"),
    "sev_error": ("错误", "error"),
    "tx_issue": ("签发", "issuance"),
    "tx_allocate": ("分配", "allocation"),
    "tx_central_transfer": ("政府账户间转移", "central transfer"),
    "tx_auction_delivery": ("拍卖交付", "auction delivery"),
    "tx_transfer": ("转移", "transfer"),
    "tx_surrender": ("清缴", "surrender"),
    "tx_cancel": ("自愿注销", "voluntary cancellation"),
    "tx_delete": ("删除", "deletion"),
    "tx_return_excess": ("多退 (收回)", "excess returned"),
    "tx_reversal": ("冲正", "reversal"),
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale="zh_Hans_CN" if lang == "zh" else "en", domain=DOMAIN)


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> Mapping[str, str]:
    """The catalogue's translated messages (an untranslated msgid is left out, not shown as its key)."""
    return {str(m.id): str(m.string) for m in _read(lang) if m.id and m.string}


def words(lang: str) -> dict[str, str]:
    i = 1 if lang == "en" else 0
    return {**{k: v[i] for k, v in WORDS.items()}, **catalogue(lang)}


class Phrases:
    """Statuses and refusals through the same catalogue, for the templates (``tr``) and the pages."""

    def __init__(self, w: Mapping[str, str], lang: str) -> None:
        self.w, self.lang = w, lang

    def status(self, kind: str, code: object) -> str:
        """A status as people read it; an unknown one stays its code (the catalogue test finds it)."""
        return self.w.get(f"status_{kind}_{code}", str(code))

    def rates(self, r: Rates | str) -> str:
        """The three compliance rates as published (to 0.1 %), each named in the page's language."""
        if isinstance(r, str):
            return r
        return " · ".join(f"{self.w[k]} {x.as_published(1)}" for k, x in
                          (("rate_on_time", r.on_time), ("rate_final", r.final), ("rate_quantity", r.quantity)))

    def refusal(self, code: str) -> str:
        return self.w.get(f"error_{code}", code)

    def problem(self, exc: DomainError) -> str:
        """One line for a refused action: the catalogue's words and the code; in English the specific
        message too (it is written in English, so the Chinese page keeps to the catalogue's words)."""
        text = self.refusal(exc.code)
        if self.lang == "en" and exc.message and exc.message != exc.code:
            return f"{text}: {exc.message} [{exc.code}]"
        return f"{text} [{exc.code}]"


def move_words() -> int:
    """Write :data:`WORDS` into both catalogues (the catalogue's own text is kept for a key in both)."""
    for i, lang in enumerate(LANGS):
        cat = _read(lang)
        for key, texts in WORDS.items():
            if key not in cat:
                cat.add(key, texts[i])
        with po_path(lang).open("wb") as f:
            write_po(f, cat, width=120, sort_output=True)
    catalogue.cache_clear()
    return len(WORDS)


if __name__ == "__main__":
    print(f"{move_words()} words written into {', '.join(str(po_path(lang)) for lang in LANGS)}; now empty WORDS")
