"""Requests to the registry. The typed commands live in :mod:`openets.registry.commands`; this module
re-exports them and keeps ``Op`` for callers not yet converted.

``Op(action, **fields)`` is deprecated: it is :func:`openets.registry.commands.command`, building
the typed command for ``action`` (``Op("transfer", from_account=a, ...)`` → ``Transfer(...)``).
Write the command type instead."""

from __future__ import annotations

from openets.registry.commands import (
    Allocate,
    Approve,
    AuctionDelivery,
    Cancel,
    CentralTransfer,
    Command,
    CommandBase,
    Decision,
    Delete,
    EnteredMove,
    Freeze,
    Issue,
    Move,
    Reject,
    Release,
    Reserve,
    ReturnExcess,
    Reversal,
    Surrender,
    Transfer,
    Unfreeze,
    Withdraw,
    command,
)

Op = command  # deprecated: build the typed command

__all__ = ["Allocate", "Approve", "AuctionDelivery", "Cancel", "CentralTransfer", "Command", "CommandBase",
           "Decision", "Delete", "EnteredMove", "Freeze", "Issue", "Move", "Op", "Reject", "Release", "Reserve",
           "ReturnExcess", "Reversal", "Surrender", "Transfer", "Unfreeze", "Withdraw", "command"]
