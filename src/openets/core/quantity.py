"""Quantities of units are whole tonnes (int). Anything else is refused, never rounded."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from openets.core.errors import DomainError


def parse_tonnes(value: object) -> int:
    """Whole, positive tonnes from user input (str/int/Decimal). Floats and fractions are refused."""
    if isinstance(value, bool):
        raise DomainError("quantity_invalid", f"quantity {value!r} is not a whole number of tonnes")
    if isinstance(value, int):
        number = value
    elif isinstance(value, (str, Decimal)):
        try:
            dec = Decimal(str(value).strip().replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise DomainError("quantity_invalid", f"quantity {value!r} is not a number") from None
        if not dec.is_finite() or dec != dec.to_integral_value():
            raise DomainError("quantity_not_whole", f"quantity {value!r} is not a whole number of tonnes")
        number = int(dec)
    else:
        raise DomainError("quantity_invalid", f"quantity {value!r} is not a whole number of tonnes")
    if number <= 0:
        raise DomainError("quantity_not_positive", f"quantity must be positive, got {number}")
    return number
