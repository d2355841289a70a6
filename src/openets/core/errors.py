"""One error type for every refused domain action: what was asked, and why not."""

from __future__ import annotations


class DomainError(Exception):
    """A domain rule refused an action.

    ``code`` is a stable machine-readable name (the failing check), ``message`` a sentence for people.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__("not_found", f"{what} {key!r} not found")


class IdempotencyConflict(DomainError):
    def __init__(self, key: str) -> None:
        super().__init__(
            "idempotency_conflict",
            f"idempotency key {key!r} was already used for a different request",
        )


class BadInput(DomainError, ValueError):
    """Refused input (a number or a time that cannot be read or is out of bounds). Also a ValueError, so
    callers that wrap a parser's ValueError with the row or option it came from keep doing so."""
