"""Market rule sets as data files: each names its market, the compliance years it governs, its
document number and valid-from/to dates, and is looked up by (market, compliance year, event date).
Generic: the capabilities' typed sections and their parsers live in their own packages and are bound
in ``openets.services.rulebook``."""

from openets.rules.loader import (
    FieldError,
    Market,
    RegistryRules,
    RuleBook,
    RuleSet,
    SectionParser,
    default_rulebook,
    load_rulebook,
)

__all__ = ["FieldError", "Market", "RegistryRules", "RuleSet", "RuleBook", "SectionParser", "default_rulebook",
           "load_rulebook"]
