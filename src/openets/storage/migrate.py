"""Run the Alembic migrations from code (``openets registry init`` and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from openets.storage.db import unit_of_work

    cfg = alembic_config()
    with unit_of_work(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

