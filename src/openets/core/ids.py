"""Typed ids and quantities that cross module boundaries (nautilus_trader style, at no runtime cost).

`NewType` keeps an `int` an `int` at run time, so storage and JSON are unchanged; mypy refuses passing an
account's row id where a party id is expected, or yuan where fen are."""

from __future__ import annotations

from typing import NewType

# registry
PartyId = NewType("PartyId", int)  # parties.id
AccountId = NewType("AccountId", int)  # accounts.id: internal, never shown to a user
AccountNumber = NewType("AccountNumber", str)  # accounts.number: what users see and type (e.g. "BJ-100021")
UnitClassId = NewType("UnitClassId", int)  # unit_classes.id
UnitClassCode = NewType("UnitClassCode", str)  # unit_classes.code, e.g. "BEA-2016", "CEA-2019"
TxId = NewType("TxId", int)  # transactions.id

# quantities and money
Tonnes = NewType("Tonnes", int)  # whole allowances / offset units (tCO2e)
Fen = NewType("Fen", int)  # money: 1 yuan = 100 fen
