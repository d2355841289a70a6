from datetime import UTC, datetime, timedelta, timezone

from openets.core.clock import from_us, parse_instant, to_us


def test_to_us_counts_microseconds_since_the_epoch_in_utc():
    # 2017-06-14 10:00 Beijing time = 02:00 UTC; 17331 days after 1970-01-01
    # (17331 * 86400 + 2 * 3600) * 10**6 + 5 = 1_497_405_600_000_005
    at = datetime(2017, 6, 14, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    assert to_us(at) == 1_497_405_600_000_005


def test_from_us_is_the_inverse_of_to_us():
    at = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)
    assert from_us(to_us(at)) == at
    assert from_us(0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_parse_instant_reads_naive_values_in_the_market_zone():
    assert parse_instant("2017-06-14T10:00") == datetime(2017, 6, 14, 2, 0, tzinfo=UTC)
