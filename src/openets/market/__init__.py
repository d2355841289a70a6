"""The exchange (交易系统): order books and matching (pure), trading modes and market rules as data."""
