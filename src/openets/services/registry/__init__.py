"""Registry use cases: the :class:`RegistryService` facade, its unit of work and :class:`RegistrySession`.

Split by responsibility: :mod:`.submit` (the unit of work: idempotency, load, check, apply, persist),
:mod:`.setup` (markets, parties, users, unit classes, restrictions), :mod:`.accounts` (opening,
status, lookups), :mod:`.session` (many commands in the caller's transaction), :mod:`.service`."""

from openets.services.registry.accounts import AccountRef
from openets.services.registry.service import RegistryService
from openets.services.registry.session import RegistrySession
from openets.services.registry.submit import Outcome, UnitOfWork

__all__ = ["AccountRef", "Outcome", "RegistryService", "RegistrySession", "UnitOfWork"]
