"""A small year's report data, made by hand (no database): two markets in different years."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from openets.market.data import Bar, DayStats
from openets.reports.annual import AnnualData
from openets.services.compliance import Penalty
from openets.simulation.outcome import MarketOutcome, StageTime


def bars(start: datetime, closes: list[int]) -> list[Bar]:
    out = []
    for i, c in enumerate(closes):
        o = closes[i - 1] if i else c
        out.append(Bar(start + timedelta(days=i), o, max(o, c) + 40, min(o, c) - 30, c, 1_200_000 + 10_000 * i, c * 1_000))
    return out


def sample() -> AnnualData:
    bj = MarketOutcome("BJ", 3, 1_234_567, 1_200_000, 900, 450, 2_000_000, 537_724_449_60, 5_012, 1_190_000, 44_567, 0,
                       None, {"compliant": 2, "non_compliant": 1}, "66.7 %", 1_500_000, 1, "66.7 %", "99.0 %")
    sh = MarketOutcome("SH", 2, 800_000, 790_000, 500, 200, 700_000, 28_000_000_00, None, 790_000, 10_000, 0,
                       {"notice": 1, "market": "SH", "document": "沪发改环资〔2017〕", "status": "settled", "volume": 200_000,
                        "reserve_fen": 4_200, "clearing_price_fen": 4_250, "volume_sold_t": 150_000, "bidders": 12,
                        "winners": 9, "cover_ratio": "1.35", "revenue_fen": 637_500_000},
                       {"compliant": 1, "compliant_late": 1}, "50.0 %", 0, 0, "100.0 %", "100.0 %")
    public = {"BJ": [{"company": "北京热电一厂", "allocated": 500_000, "verified_emissions": "480000.5", "obligation": 480_001,
                      "surrendered_allowances": 480_001, "surrendered_offsets": 0, "status": "compliant", "shortfall": 0},
                     {"company": "北京水泥二厂", "allocated": 400_000, "verified_emissions": "410000", "obligation": 410_000,
                      "surrendered_allowances": 400_000, "surrendered_offsets": 0, "status": "non_compliant",
                      "shortfall": 10_000},
                     {"company": "Capital Steel", "allocated": 334_567, "verified_emissions": None, "obligation": 0,
                      "surrendered_allowances": 0, "surrendered_offsets": 0, "status": "emissions_missing",
                      "shortfall": 0}],
              "SH": [{"company": "上海电力", "allocated": 800_000, "verified_emissions": "790000", "obligation": 790_000,
                      "surrendered_allowances": 780_000, "surrendered_offsets": 10_000, "status": "compliant_late",
                      "shortfall": 0}]}
    return AnnualData(
        "2016 履约年度 · compliance year", [bj, sh],
        [StageTime("trading", 12.345, "1,400 orders", 20.0), StageTime("annual report", 2.0, "var/report", 10.0)], True,
        public=public,
        bars={"BJ": bars(datetime(2017, 3, 1, 9, 30), [5_000, 5_100, 5_100, 4_950, 5_012]),
              "SH": bars(datetime(2021, 7, 16, 9, 30), [4_800, 4_900, 5_100, 5_300])},
        daily={"BJ": [DayStats(date(2017, 3, 1), 1_000, 5_000_000, 1_000, 5_000_000),
                      DayStats(date(2017, 3, 2), 2_500, 12_750_000, 3_500, 17_750_000)]},
        penalties={"BJ": [Penalty("北京水泥二厂", "fine", 10_000, 1_500_000, "京政发〔2014〕14号 第四条"),
                          Penalty("北京水泥二厂", "listed", 10_000, 0, "公开名单")]},
        # Decree 775: falsified data, no gains, fine 600,000 yuan (60,000,000 fen), individuals 50,000 yuan;
        # not corrected: 50 % of next year's 100,001 t = 50,000.5 → 50,001 t cut (half up); and one to decide
        sanctions={"BJ": [{"company": "91110000MA00000001", "name": "北京水泥二厂", "report_year": 2016,
                           "kind": "falsified", "status": "decided", "fine_fen": 60_000_000,
                           "individual_fen": 5_000_000, "cut_share": "0.5", "cut_year": 2017, "cut_t": 50_001,
                           "decision": "illegal gains 0.00 yuan, below 500,000.00: fine 600,000.00 yuan"},
                          {"company": "91110000MA00000002", "name": "北京热电一厂", "report_year": 2016,
                           "kind": "no_samples", "status": "found", "fine_fen": None, "individual_fen": None,
                           "cut_share": None, "cut_year": None, "cut_t": None, "decision": None}]})
