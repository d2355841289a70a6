"""Market rule sets as data files: each names its market, the compliance years it governs, its
document number and valid-from/to dates, and is looked up by (market, compliance year, event date)."""

from openets.rules.loader import Market, RegistryRules, RuleBook, RuleSet, default_rulebook

__all__ = ["Market", "RegistryRules", "RuleSet", "RuleBook", "default_rulebook"]
