"""The one bounded number parser (issue 19, item 2): its bounds, one code per kind of problem, and a
fuzz test — random text never raises anything but DomainError, and never takes long."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openets.core.clock import LATEST, parse_day, parse_instant, to_us
from openets.core.errors import BadInput, DomainError
from openets.core.numbers import (
    INT64_MAX,
    MAX_AMOUNT_FEN,
    MAX_PRICE_FEN,
    MAX_TONNES,
    parse_decimal,
    parse_fen,
    parse_id,
    parse_int,
    parse_price_fen,
)
from openets.core.quantity import parse_tonnes
from openets.core.text import check_text, parse_choice
from openets.registry.model import PartyKind


def code(fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    assert isinstance(exc.value, ValueError)  # callers wrapping a parser's ValueError keep working
    return exc.value.code


def test_the_bounds_fit_the_bigint_columns() -> None:
    assert INT64_MAX == 9_223_372_036_854_775_807
    assert MAX_TONNES < INT64_MAX and MAX_PRICE_FEN < INT64_MAX and MAX_AMOUNT_FEN < INT64_MAX
    # 10**12 t at the largest price: the value of a whole book still fits exact Decimal arithmetic
    assert MAX_TONNES * MAX_PRICE_FEN == 10**21


@pytest.mark.parametrize("text, expected", [
    ("1e999999999", "number_exponent"), ("1E-999999", "number_exponent"), ("1e31", "number_exponent"),
    ("1e" + "0" * 70 + "1", "number_too_long"), ("9" * 31, "number_too_long"), ("1" * 300, "number_too_long"),
    ("Infinity", "number_not_finite"), ("-inf", "number_not_finite"), ("NaN", "number_not_finite"),
    ("sNaN", "number_not_finite"), ("abc", "number_invalid"), ("0x10", "number_invalid"), ("", "number_invalid"),
    ("١٢", "number_invalid"), ("1 2", "number_invalid"), ("--1", "number_invalid"), ("1e", "number_invalid"),
])
def test_text_refused_before_conversion(text: str, expected: str) -> None:
    assert code(parse_decimal, text) == expected


def test_accepted_forms() -> None:
    assert parse_decimal("12,000.50") == Decimal("12000.50")
    assert parse_decimal(" 1_000 ") == Decimal(1000)
    assert parse_decimal("1.5e3") == Decimal(1500)
    assert parse_decimal("1e30") == Decimal("1e30")  # the exponent bound itself is allowed
    assert parse_decimal("9" * 30) == Decimal("9" * 30)
    assert parse_decimal(Decimal("2.5")) == Decimal("2.5")


def test_integers_and_ids() -> None:
    assert parse_int("9223372036854775807") == INT64_MAX
    assert code(parse_int, str(2**63)) == "number_too_large"
    assert code(parse_int, 2**63) == "number_too_large"
    assert code(parse_int, 10**400) == "number_too_large"  # an int that big is refused without Decimal(int)
    assert code(parse_int, "1.5") == "number_not_whole"
    assert code(parse_int, "-1") == "number_too_small"
    assert code(parse_id, "0") == "number_too_small"
    assert parse_int("1e3") == 1000 and parse_id("7") == 7
    assert code(parse_int, True) == "number_invalid"


def test_tonnes() -> None:
    assert parse_tonnes("1,000") == 1000 and parse_tonnes(5) == 5
    assert parse_tonnes(str(MAX_TONNES)) == MAX_TONNES
    assert code(parse_tonnes, str(MAX_TONNES + 1)) == "quantity_too_large"
    assert code(parse_tonnes, 2**63) == "quantity_too_large"
    assert code(parse_tonnes, "1e999999999") == "number_exponent"
    assert code(parse_tonnes, "Infinity") == "quantity_invalid"
    assert code(parse_tonnes, "abc") == "quantity_invalid"
    assert code(parse_tonnes, "1.5") == "quantity_not_whole"
    assert code(parse_tonnes, "0") == "quantity_not_positive"
    assert code(parse_tonnes, 1.0) == "quantity_invalid"  # floats are refused, never rounded


def test_money() -> None:
    # 49.5 yuan = 49.5 × 100 = 4950 fen; 0.01 yuan = 1 fen, the tick
    assert parse_fen("49.5") == 4950 and parse_fen("0.01") == 1
    assert code(parse_fen, "0.001") == "number_not_whole"
    assert parse_price_fen(str(MAX_PRICE_FEN // 100)) == MAX_PRICE_FEN  # 10,000,000 yuan = 10**9 fen
    assert code(parse_price_fen, "10000000.01") == "number_too_large"
    assert code(parse_price_fen, "0") == "number_too_small"
    assert code(parse_fen, "-1") == "number_too_small"
    assert code(parse_fen, "1e14") == "number_too_large"  # 10**14 yuan = 10**16 fen > MAX_AMOUNT_FEN


def test_instants_bounded() -> None:
    assert parse_instant("2024-06-30T15:00+08:00") == datetime(2024, 6, 30, 7, tzinfo=UTC)
    assert parse_instant("2024-06-30") == datetime(2024, 6, 29, 16, tzinfo=UTC)  # naive: Asia/Shanghai
    assert code(parse_instant, "9999-12-31T23:59:59-23:59") == "time_out_of_range"
    assert code(parse_instant, "0001-01-01T00:00:00+23:59") == "time_out_of_range"
    assert code(parse_instant, LATEST.isoformat()) == "time_out_of_range"
    assert code(parse_instant, "2024-02-30") == "time_invalid"
    assert code(parse_instant, "x" * 10_000) == "time_invalid"
    assert code(parse_day, "2024-02-30") == "date_invalid"
    # to_us of an instant datetime cannot put in UTC: a refusal, not an OverflowError
    from datetime import timedelta, timezone

    assert code(to_us, datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23)))) == "time_out_of_range"


def test_text_and_choices() -> None:
    assert check_text("甲公司") == "甲公司"
    assert code(check_text, "a\x00b") == "text_invalid"
    assert parse_choice(PartyKind, "company") is PartyKind.COMPANY
    with pytest.raises(BadInput, match="not one of") as exc:
        parse_choice(PartyKind, "emperor", "kind")
    assert "is not a valid PartyKind" not in str(exc.value)


NUMBERISH = st.text(alphabet="0123456789+-.eE,_ InfinityNa\x00٣", max_size=80)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), NUMBERISH,
                 st.builds(lambda m, e: f"{m}e{e}", st.integers(-10**40, 10**40), st.integers(-10**12, 10**12))))
def test_fuzz_only_domain_errors_and_fast(text: str) -> None:
    for fn in (parse_decimal, parse_int, parse_tonnes, parse_fen, parse_price_fen, parse_instant):
        t0 = time.perf_counter()
        try:
            fn(text)
        except DomainError:
            pass
        # an unbounded parse of these takes minutes; 0.5 s leaves room for a loaded CI machine (2 cores)
        assert time.perf_counter() - t0 < 0.5, (fn.__name__, text)
