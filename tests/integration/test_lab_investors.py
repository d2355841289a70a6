"""Investors with views in the lab (issue 16 item 1, brief labmore item 3): non-covered holders that buy
below their discounted view and sell above it, through the real exchange under its holding limits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.simulation.lab import LabRunner
from openets.simulation.labfile import load_lab
from openets.testing.lab import write_lab_file


def test_investors_with_a_view_above_the_price_lift_it_and_end_long(tmp_path: Path) -> None:
    path = write_lab_file(tmp_path, 30, 40, 100)
    (base,) = LabRunner(load_lab(path)).run().years
    # five investors with 4 M yuan each and a view 20 % above the analytic price (58.02 yuan here: a view of
    # 69.62): every tonne offered below their discounted view is worth buying to them
    path.write_text(path.read_text(encoding="utf-8") + '\n[investors]\ncount = 5\ncash_yuan = "4000000"\n'
                    'view_premium = "0.20"\n', encoding="utf-8")
    (y,) = LabRunner(load_lab(path)).run().years
    assert base.price_yuan is not None and y.price_yuan is not None
    assert y.analytic_price_yuan == base.analytic_price_yuan  # the model knows no investors
    assert y.price_yuan > base.price_yuan * Decimal("1.05")  # measured: 57.70 → 68.60
    assert y.price_yuan < y.analytic_price_yuan * Decimal("1.2")  # never above their view
    held = [int(str(i["holding_t"])) for i in y.investors]
    assert len(held) == 5 and all(h > 0 for h in held)  # all long
    # the firms sold them what they hold and abate it instead: the firms' abatement rises by about the
    # investors' holding (each firm's abatement rounds down to the tonne: within one tonne a firm)
    assert abs(y.abatement_t - base.abatement_t - sum(held)) <= 30
    for i in y.investors:  # P&L = holding × the year's price − what it spent (fees included), by hand
        pnl = Decimal(str(i["holding_t"])) * y.price_yuan - Decimal(str(i["net_bought_fen"])) / 100
        assert Decimal(str(i["pnl_yuan"])) == pnl.quantize(Decimal("0.01"))
        assert int(str(i["net_bought_fen"])) <= 4_000_000 * 100  # within its cash
    assert y.compliance_rate == 1


def test_no_investors_no_change(tmp_path: Path) -> None:
    path = write_lab_file(tmp_path, 6, 2, 20)
    a = LabRunner(load_lab(path)).run()
    assert a.years[0].investors == []


def test_bad_investor_fields_are_named_with_their_place(tmp_path: Path) -> None:
    path = write_lab_file(tmp_path, 3, 2, 10)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '\n[investors]\ncount = 0\ncash_yuan = "-5"\nview_premium = "0.1"\ncolour = 3\n', encoding="utf-8")
    with pytest.raises(DomainError) as err:
        load_lab(path)
    msg = err.value.message
    assert "3 problems" in msg
    for place in ("investors.count", "investors.cash_yuan", "investors.colour"):
        assert f"{path}: {place}" in msg, msg
    path.write_text(text + '\n[investors]\ncount = 2\ncash_yuan = "100"\n', encoding="utf-8")
    with pytest.raises(DomainError) as err:
        load_lab(path)
    assert "investors: give the view as view_premium or view_yuan, one of the two" in err.value.message
    path.write_text(text + '\n[investors]\ncount = 2\ncash_yuan = "100"\nview_yuan = ["50", "60"]\n', encoding="utf-8")
    with pytest.raises(DomainError) as err:
        load_lab(path)
    assert "investors.view_yuan has one price per year of lab.years" in err.value.message


def test_a_bad_field_and_a_conflict_between_fields_are_named_together(tmp_path: Path) -> None:
    # pydantic runs the model's checks only once every field is valid; the lab file's reader runs the
    # conflict on the raw table too, so the user sees both problems in one go
    path = write_lab_file(tmp_path, 3, 2, 10)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '\n[investors]\ncount = 0\ncash_yuan = "100"\nview_premium = "0.1"\n'
                    'view_yuan = ["50"]\n', encoding="utf-8")
    with pytest.raises(DomainError) as err:
        load_lab(path)
    msg = err.value.message
    assert "2 problems" in msg, msg
    assert f"{path}: investors.count" in msg
    assert f"{path}: investors: give the view as view_premium or view_yuan, one of the two" in msg
