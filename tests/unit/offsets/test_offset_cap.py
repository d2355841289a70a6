from decimal import Decimal as D

import pytest

from openets.core.errors import DomainError
from openets.offsets.rules import offset_cap


def test_offset_cap_rounds_down() -> None:
    assert offset_cap(12_345, D("0.10")) == 1_234  # 1,234.5 → 1,234
    assert offset_cap(1_000_000, D("0.05")) == 50_000
    assert offset_cap(0, D("0.10")) == 0
    with pytest.raises(DomainError):
        offset_cap(-1, D("0.10"))
