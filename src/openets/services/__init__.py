"""Use cases: load through the repositories, call the pure domain, commit once."""
