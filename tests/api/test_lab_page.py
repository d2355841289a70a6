"""The dashboard's lab page (read-only): the comparisons ``openets lab compare`` wrote in the lab
folder are listed; one is shown with every variant beside the base and the analytic rows; a name that
is not a comparison is a 404 page, a broken file one line — nothing is run or written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openets.reports.lab_compare import write_report
from openets.simulation.lab_compare import compare
from openets.simulation.lab_whatif import parse_what_ifs
from openets.simulation.labfile import load_lab
from openets.testing.lab import write_lab_file


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> dict:
    lab = load_lab(write_lab_file(tmp_path_factory.mktemp("lab"), 6, 2, 20))
    return compare(lab, parse_what_ifs(["cap=-10%", "floor=70"]))


def test_lab_page_lists_and_shows_a_comparison(make_api, comparison: dict, tmp_path: Path,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENETS_LAB_DIR", str(tmp_path))
    write_report(comparison, tmp_path / "cap-test")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "comparison.json").write_text("{not json", encoding="utf-8")
    client, _ = make_api(())

    listing = client.get("/ui/lab")
    assert listing.status_code == 200
    assert 'href="/ui/lab/cap-test"' in listing.text and "base · cap=-10% · floor=70" in listing.text
    assert "无法读取" in listing.text  # the broken one, listed as such
    assert 'id="nav-lab"' in listing.text  # reachable from every page's header

    page = client.get("/ui/lab/cap-test")
    assert page.status_code == 200
    base, cap, _floor = comparison["variants"]
    assert "<th>cap=-10%</th>" in page.text and "<th>floor=70</th>" in page.text
    price_row = page.text.split("市场价格（元/吨）")[1].split("</tr>")[0]
    assert f"<td>{base['years'][0]['price_yuan'] or '—'}</td>" in price_row
    analytic_row = page.text.split("理论价格（元/吨）")[1].split("</tr>")[0]
    assert f"<td>{cap['years'][0]['analytic_price_yuan']}</td>" in analytic_row
    assert "Plotly.newPlot('price-path'" in page.text
    assert "Analytic price (yuan/t)" in client.get("/ui/lab/cap-test?lang=en").text

    for name, status in (("nothing-here", 404), ("..", 404), ("broken", 422)):
        r = client.get(f"/ui/lab/{name}")
        assert r.status_code == status, (name, r.status_code)
        assert "Traceback" not in r.text


def test_lab_page_escapes_what_the_file_says(make_api, comparison: dict, tmp_path: Path,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENETS_LAB_DIR", str(tmp_path))
    doc = json.loads(json.dumps(comparison))
    doc["variants"][1]["name"] = "</script><script>alert(1)</script>"
    doc["lab"] = "<b>x</b>"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "comparison.json").write_text(json.dumps(doc), encoding="utf-8")
    client, _ = make_api(())
    r = client.get("/ui/lab/x")
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<b>x</b>" not in r.text
