"""What-ifs parsed and applied (typed, bounded, every bad one named), and the analytic model under a
price floor, by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from openets.core.errors import BadInput, DomainError
from openets.simulation.lab import LabRunner
from openets.simulation.lab_whatif import apply, parse_what_if, parse_what_ifs
from openets.simulation.labfile import load_lab


def two_firms(tmp: Path, extra: str = "") -> Path:
    """A: BAU 100 t, allocation 80 t, MAC = 1·a; B: BAU 100 t, benchmark 0.9 × output 100 = 90 t, MAC = 1·a."""
    (tmp / "firms.csv").write_text("firm_id,sector,bau_t,allocation_t,benchmark,output,mac_slope\n"
                                   "A,cement,100,80,,,1\nB,power,100,,0.9,100,1\n", encoding="utf-8")
    lab = tmp / "lab.toml"
    lab.write_text('[lab]\nname = "two"\nyears = [2021]\ntrading_days = 2\npenalty_yuan = "200"\nfirms = "firms.csv"\n'
                   + extra, encoding="utf-8")
    return lab


def test_parse_each_kind() -> None:
    assert parse_what_if("cap=-10%").value == Decimal("0.9")
    assert parse_what_if("benchmark = +5 %").value == Decimal("1.05")
    assert parse_what_if("penalty=2x").value == 2
    assert parse_what_if("penalty=-50%").value == Decimal("0.5")
    assert parse_what_if("floor=40").value == 40
    assert parse_what_if("pre_allocation=0.7").value == Decimal("0.7")
    assert parse_what_if("offset_cap=0.05").value == Decimal("0.05")
    with pytest.raises(BadInput):
        parse_what_if("offset_cap=0.6")  # at most half of the verified emissions


def test_every_bad_what_if_named_at_once() -> None:
    with pytest.raises(BadInput) as e:
        parse_what_ifs(["cap=10", "rain=1", "floor=-3", "bank_limit=5.5", "cap=-10%", "cap=-10%", "pre_allocation=2"])
    msg = e.value.message
    for part in ("cap=10: cap is a change in per cent", "unknown 'rain'", "floor=-3", "bank_limit=5.5",
                 "cap=-10%: given twice", "pre_allocation=2"):
        assert part in msg, part
    with pytest.raises(BadInput):
        parse_what_if("cap=0%")  # the base itself
    with pytest.raises(BadInput):
        parse_what_if("floor")


def test_apply_by_hand(tmp_path: Path) -> None:
    lab = load_lab(two_firms(tmp_path))
    cap = apply(lab, parse_what_if("cap=-10%"))
    assert [cap.allocation(f, 0) for f in cap.firms] == [72, 81]  # 80 × 0.9, 90 × 0.9
    bm = apply(lab, parse_what_if("benchmark=-5%"))
    assert [f.allocation for f in bm.firms] == [80, 86]  # A has no benchmark; B: 0.9 × 0.95 × 100 = 85.5 → 86 (half up)
    assert apply(lab, parse_what_if("penalty=2x")).head.penalty_yuan == 400
    assert lab.head.penalty_yuan == 200  # the base is unchanged
    only_absolute = load_lab(two_firms(tmp_path))
    only_absolute = only_absolute.__class__(only_absolute.head, only_absolute.firms[:1], only_absolute.path)
    with pytest.raises(DomainError, match="no firm of this lab is allocated by a benchmark"):
        apply(only_absolute, parse_what_if("benchmark=-5%"))


def test_analytic_floor_by_hand(tmp_path: Path) -> None:
    """Required abatement A = 200 − 170 = 30 t; Σ 1/k = 2 → p* = 15 yuan, each abates 15 t, least cost
    2 × 15²/2 = 225 yuan. A floor of 20: each abates 20 t (40 t, 10 t more than the cap needs, bought
    by the reserve at 20): price 20, the firms' least net cost 2 × 20²/2 − 20 × 10 = 200 yuan."""
    base = LabRunner(load_lab(two_firms(tmp_path))).analytic()
    assert (base[0], base[1], base[2]) == ([Fraction(15)], [Fraction(30)], [Fraction(225)])
    floor = LabRunner(apply(load_lab(two_firms(tmp_path)), parse_what_if("floor=20"))).analytic()
    assert (floor[0], floor[1], floor[2]) == ([Fraction(20)], [Fraction(40)], [Fraction(200)])
    low = LabRunner(apply(load_lab(two_firms(tmp_path)), parse_what_if("floor=10"))).analytic()
    assert low[0] == [Fraction(15)]  # a floor below the price changes nothing


def test_emission_shocks_seeded_and_bounded(tmp_path: Path) -> None:
    """BAU × (1 + e), e ~ Normal(0, 0.05) truncated at ±3 sd: every shocked BAU of 100 t lies within
    [85, 115] t (100 × 0.85, 100 × 1.15, rounded up); the same seed gives the same shocks, another seed
    others; bau_shock = 0 leaves the lab as it is."""
    from openets.simulation.lab_ensemble import shocked

    lab = load_lab(two_firms(tmp_path))
    runs = {s: [f.bau for f in shocked(lab, s).firms] for s in range(40)}
    assert all(85 <= b <= 115 for baus in runs.values() for b in baus)
    assert [f.bau for f in shocked(lab, 3).firms] == runs[3]
    assert len({tuple(v) for v in runs.values()}) > 20
    assert [f.allocation for f in shocked(lab, 3).firms] == [80, 90]  # allocations are not shocked
    calm = load_lab(two_firms(tmp_path, 'bau_shock = "0"\n'))
    assert shocked(calm, 3) is calm


def test_analytic_offsets_by_hand(tmp_path: Path) -> None:
    """Offsets up to s = 10 % of verified emissions at 5 yuan: a firm holding h allowances emits h / 0.9,
    so Σ a = 200 − 170 / 0.9 = 100/9 t; each abates to MAC m: 2m = 100/9 → m = 50/9; the allowance price
    p = (m − s·po) / (1 − s) = (50/9 − 1/2) / 0.9 = 455/81 ≈ 5.62 yuan (above 5: offsets are used);
    least cost = Σ m²/2 + po·s·Σ(BAU − a) = 2500/81 + 0.5 × (200 − 100/9) = 10150/81 yuan."""
    lab = apply(load_lab(two_firms(tmp_path, 'offset_price_yuan = "5"\n')), parse_what_if("offset_cap=0.1"))
    prices, abated, least, _ = LabRunner(lab).analytic()
    assert (prices, abated, least) == ([Fraction(455, 81)], [Fraction(100, 9)], [Fraction(10150, 81)])
    dear = apply(load_lab(two_firms(tmp_path, 'offset_price_yuan = "50"\n')), parse_what_if("offset_cap=0.1"))
    assert LabRunner(dear).analytic()[0] == [Fraction(15)]  # offsets dearer than allowances: the plain answer
    with pytest.raises(DomainError, match="no offset_price_yuan"):
        apply(load_lab(two_firms(tmp_path)), parse_what_if("offset_cap=0.1"))


def test_bank_limit_analytic_by_hand(tmp_path: Path) -> None:
    """Two years, r = 0; A and B: BAU 100 t, MAC = 1·a, allocation 100 t then 70 t. Unlimited banking:
    one price over both years, 4p = 60 t → p = 15, a bank of 30 t after the first year. A limit of
    5 t a firm (10 t for the market): year 1 must abate 10 t → p₁ = 10/2 = 5, cost 2 × 5²/2 = 25 yuan;
    year 2 abates 60 − 10 = 50 t → p₂ = 25, cost 2 × 25²/2 = 625 yuan."""
    (tmp_path / "firms.csv").write_text("firm_id,sector,bau_t,allocation_t,mac_slope\nA,c,100,100,1\nB,c,100,100,1\n",
                                        encoding="utf-8")
    lab_path = tmp_path / "lab.toml"
    lab_path.write_text('[lab]\nname = "bank"\nyears = [2021, 2022]\ntrading_days = 2\npenalty_yuan = "200"\n'
                        'discount_rate = "0"\nfirms = "firms.csv"\nallocation_factor = ["1", "0.7"]\n', encoding="utf-8")
    lab = load_lab(lab_path)
    assert LabRunner(lab).analytic()[0] == [Fraction(15), Fraction(15)]
    prices, abated, least, _ = LabRunner(apply(lab, parse_what_if("bank_limit=5"))).analytic()
    assert (prices, abated, least) == ([Fraction(5), Fraction(25)], [Fraction(10), Fraction(50)], [Fraction(25), Fraction(625)])
    assert LabRunner(apply(lab, parse_what_if("bank_limit=20"))).analytic()[0] == [Fraction(15), Fraction(15)]  # 40 t ≥ 30 t
    with pytest.raises(DomainError, match="a lab of one year banks nothing"):
        apply(load_lab(two_firms(tmp_path)), parse_what_if("bank_limit=5"))
