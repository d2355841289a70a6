"""Quantities of units are whole tonnes (int). Anything else is refused, never rounded."""

from __future__ import annotations

from decimal import Decimal

from openets.core.errors import BadInput, DomainError
from openets.core.numbers import MAX_TONNES, parse_decimal


def parse_tonnes(value: object, what: str = "quantity", *, maximum: int = MAX_TONNES) -> int:
    """Whole, positive tonnes from user input (str/int/Decimal), at most ``maximum`` (MAX_TONNES).
    Floats and fractions are refused; the text is bounded before conversion (core.numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise BadInput("quantity_invalid", f"{what}: {value!r} is not a whole number of tonnes")
    if isinstance(value, int):
        number = value
    else:
        try:
            dec = parse_decimal(value, what)
        except DomainError as exc:
            if exc.code == "number_invalid":
                raise BadInput("quantity_invalid", f"{what}: {value!r} is not a number") from None
            if exc.code == "number_not_finite":
                raise BadInput("quantity_invalid", f"{what}: {value!r} is not a whole number of tonnes") from None
            raise
        if dec != dec.to_integral_value():
            raise BadInput("quantity_not_whole", f"{what}: {value!r} is not a whole number of tonnes")
        if dec > maximum:  # compared before int(): bounded anyway, but no big int is built
            raise BadInput("quantity_too_large", f"{what}: {str(value).strip()} t is above the maximum {maximum:,} t")
        number = int(dec)
    if number <= 0:
        raise BadInput("quantity_not_positive", f"{what}: must be positive, got {number}")
    if number > maximum:
        raise BadInput("quantity_too_large", f"{what}: {number} t is above the maximum {maximum:,} t")
    return number
