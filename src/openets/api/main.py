"""``uvicorn openets.api.main:app`` (several workers): the app built from the environment —
OPENETS_DATABASE_URL, OPENETS_SECRET, and OPENETS_NOW to fix the market clock."""

from __future__ import annotations

from openets.api.app import create_app
from openets.core.clock import FixedClock, parse_instant
from openets.core.settings import setting
from openets.services.database import make_engine

_now = setting("now")
app = create_app(make_engine(), secret=setting("secret"),
                 clock=FixedClock(parse_instant(_now)) if _now else None)
