"""Bundled scenarios for ``openets demo`` and ``openets run`` (copy one to start your own)."""
