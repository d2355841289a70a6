"""Issue 19, item 8: an oxidation rate is a share of the carbon, 0–100 %; 500 % (emissions × 5) is refused."""

from decimal import Decimal as D

import pytest

from openets.core.errors import DomainError
from openets.mrv.accounting import Stream, display, emissions, resolve
from openets.mrv.factors import Factor, default_factors

T = default_factors()


def _coal(oxidation: str) -> Stream:
    measured = {"ncv": Factor(D("20.908"), "GJ/t", "lab", "measured"),
                "carbon_content": Factor(D("26.18"), "tC/TJ", "lab", "measured"),
                "oxidation": Factor(D(oxidation), "percent", "lab", "measured")}
    return Stream("I1", "coal-1", "combustion", "t", fuel="bituminous", measured=measured)


def test_oxidation_at_the_bound_is_kept() -> None:
    # 1,000 t × 20.908 GJ/t = 20,908 GJ × 0.02618 tC/GJ = 547.37144 tC × 100 % × 44/12 = 2,007.0286 t
    r = resolve(_coal("100"), T, year=2021)
    assert display(emissions(r, {1: D(1000)}).emissions) == D("2007.03")


@pytest.mark.parametrize("oxidation", ["100.01", "500", "0", "-5"])
def test_oxidation_outside_0_100_percent_is_refused(oxidation: str) -> None:
    with pytest.raises(DomainError) as e:
        resolve(_coal(oxidation), T, year=2021)
    assert e.value.code == "factor_out_of_range" and "0–100 %" in e.value.message
