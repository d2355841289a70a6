"""The README's rule table, generated from the rule data (a test checks the README holds exactly this,
so it cannot go stale): every shipped rule set with its market, compliance years, document number,
validity and the sections it governs. ``python -m openets.rules.table`` prints it."""

from __future__ import annotations

from openets.rules.loader import RuleBook, RuleSet, default_rulebook

START, END = "<!-- rule-table:start -->", "<!-- rule-table:end -->"
HEADER_KEYS = {"market", "compliance_years", "document", "title", "valid_from", "valid_to", "source", "covered_companies"}


def _years(rs: RuleSet) -> str:
    ys = rs.compliance_years
    if len(ys) == 1:
        return str(ys[0])
    if list(ys) == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(map(str, ys))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rule_table(book: RuleBook | None = None) -> str:
    book = book or default_rulebook()
    order = list(book.markets)
    rows = sorted(book.rule_sets, key=lambda r: (order.index(r.market), r.valid_from, r.compliance_years, r.document))
    lines = ["| market | years | document | valid from | valid to | governs |", "| --- | --- | --- | --- | --- | --- |"]
    for rs in rows:
        sections = ", ".join(f"`{k}`" for k in rs.raw if k not in HEADER_KEYS)
        lines.append(f"| {rs.market} | {_years(rs)} | {_cell(rs.document)} | {rs.valid_from.isoformat()} | "
                     f"{rs.valid_to.isoformat() if rs.valid_to else '—'} | {sections}: {_cell(rs.title)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"{START}\n{rule_table()}\n{END}")
