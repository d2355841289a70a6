"""MRV (监测-报告-核查): emission accounting, factor tables, data-quality checks. Pure, no I/O."""
