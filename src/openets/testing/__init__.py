"""Builders shipped with the package, for tests, benches and demos."""
