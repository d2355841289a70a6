"""Kept for the import path: cash at a market's exchange lives in :mod:`openets.services.exchange.cash`."""

from openets.services.exchange.cash import CashLedger, balance

__all__ = ["CashLedger", "balance"]
