"""The README's rule table is the rule data's: regenerated here and compared, so a rule set added,
removed or re-dated without the README fails (refresh it with `python -m openets.rules.table`)."""

from pathlib import Path

from openets.rules.loader import default_rulebook
from openets.rules.table import END, START, rule_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_rule_table_matches_the_rule_data() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    shown = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == rule_table(), "README rule table is stale: run `python -m openets.rules.table`"
    book = default_rulebook()
    assert len(shown.splitlines()) == 2 + len(book.rule_sets)  # header, rule, one line per rule set
    for rs in book.rule_sets:
        assert rs.document in shown


def test_table_rows_say_years_validity_and_sections() -> None:
    rows = {line for line in rule_table().splitlines() if "国务院令第775号" in line}
    assert rows == {"| CEA | 2019–2030 | 国务院令第775号 | 2024-05-01 | — | `sanctions`: 碳排放权交易管理暂行条例 (in force 1 May 2024) |"}
    measures = [line for line in rule_table().splitlines() if "`sanctions`: Measures 2021" in line]
    assert measures and "| 2021-02-01 | 2024-04-30 |" in measures[0]
