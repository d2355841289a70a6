"""The one bounded parser for numbers typed or sent by people (CLI, CSV/Excel, forms, JSON).

The text is checked before anything converts it: at most ``MAX_DIGITS`` digits and an exponent of at
most ``MAX_EXPONENT`` (``int(Decimal('1e999999999'))`` would otherwise pin a core for minutes), no NaN or
Infinity, and results within the bigint column range and the sane maxima below. Every refusal is a
DomainError with one code per kind of problem and a sentence naming the value.

The bounds, stated once (the API's pydantic schemas use the same constants):

- ``MAX_TONNES = 10**12`` t: a quantity of allowances (the national cap is ~5·10**9 t a year);
- ``MAX_PRICE_FEN = 10**9`` fen (10 million yuan per tonne): a price;
- ``MAX_AMOUNT_FEN = 10**15`` fen (10**13 yuan): an amount of money (deposits, fines, reserves);
- ``INT64_MAX = 2**63 - 1``: any id or count stored in a BIGINT column.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from openets.core.errors import BadInput

INT64_MAX = 2**63 - 1
MAX_TONNES = 10**12
MAX_PRICE_FEN = 10**9
MAX_AMOUNT_FEN = 10**15
MAX_DIGITS = 30  # significant digits a person may type (more is a paste error or an attack)
MAX_EXPONENT = 30  # |exponent| in scientific notation
MAX_TEXT = 64  # characters, before any look at them

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only
_NOT_FINITE = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_decimal(value: object, what: str = "number", *, minimum: Decimal | int | None = None,
                  maximum: Decimal | int | None = None) -> Decimal:
    """A finite Decimal from text (or int/Decimal), bounded in length, digits and exponent."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise BadInput("number_invalid", f"{what}: {value!r} is not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise BadInput("number_not_finite", f"{what}: {value} is not a finite number")
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TEXT * 4:
        raise BadInput("number_too_long", f"{what}: {_show(text)} is longer than {MAX_TEXT} characters")
    text = text.strip().replace(",", "").replace("_", "")
    if len(text) > MAX_TEXT:
        raise BadInput("number_too_long", f"{what}: {_show(text)} is longer than {MAX_TEXT} characters")
    if _NOT_FINITE.fullmatch(text):
        raise BadInput("number_not_finite", f"{what}: {_show(text)} is not a finite number")
    if not _NUMBER.fullmatch(text):
        raise BadInput("number_invalid", f"{what}: {_show(text)} is not a number")
    mantissa, _, exp = text.lower().partition("e")
    if exp and (len(exp.lstrip("+-").lstrip("0")) > 3 or abs(int(exp)) > MAX_EXPONENT):
        raise BadInput("number_exponent", f"{what}: {_show(text)} has an exponent beyond ±{MAX_EXPONENT}")
    digits = mantissa.lstrip("+-").replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise BadInput("number_too_long", f"{what}: {_show(text)} has more than {MAX_DIGITS} digits")
    try:
        number = Decimal(text)
    except InvalidOperation:  # the pattern above should make this unreachable
        raise BadInput("number_invalid", f"{what}: {_show(text)} is not a number") from None
    if minimum is not None and number < minimum:
        raise BadInput("number_too_small", f"{what}: {_show(text)} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise BadInput("number_too_large", f"{what}: {_show(text)} is above the maximum {maximum}")
    return number


def parse_int(value: object, what: str = "number", *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A whole number within [minimum, maximum] (by default a non-negative BIGINT)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value) if -(10**MAX_DIGITS) < value < 10**MAX_DIGITS else None
        if number is None:
            raise BadInput("number_too_large", f"{what}: the number is above the maximum {maximum}")
    else:
        number = parse_decimal(value, what)
    if number != number.to_integral_value():
        raise BadInput("number_not_whole", f"{what}: {number} is not a whole number")
    whole = int(number)  # bounded: at most MAX_DIGITS + MAX_EXPONENT digits
    if whole < minimum:
        raise BadInput("number_too_small", f"{what}: {whole} is below the minimum {minimum}")
    if whole > maximum:
        raise BadInput("number_too_large", f"{what}: {whole} is above the maximum {maximum}")
    return whole


def parse_id(value: object, what: str = "id") -> int:
    """A row id (positive BIGINT)."""
    return parse_int(value, what, minimum=1)


def parse_fen(value: object, what: str = "amount", *, maximum: int = MAX_AMOUNT_FEN, minimum: int = 0) -> int:
    """Yuan (text, at most two decimals) as integer fen within [minimum, maximum] fen."""
    yuan = parse_decimal(value, what)
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise BadInput("number_not_whole", f"{what}: {yuan} yuan is not on the 0.01-yuan tick")
    whole = int(fen)
    if whole < minimum:
        raise BadInput("number_too_small", f"{what}: {yuan} yuan is below the minimum {Decimal(minimum) / 100} yuan")
    if whole > maximum:
        raise BadInput("number_too_large", f"{what}: {yuan} yuan is above the maximum {Decimal(maximum) / 100} yuan")
    return whole


def parse_price_fen(value: object, what: str = "price") -> int:
    """A positive price in yuan as fen, at most MAX_PRICE_FEN."""
    return parse_fen(value, what, minimum=1, maximum=MAX_PRICE_FEN)
