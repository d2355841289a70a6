"""The configuration read from the environment, in one place: every variable's name, and what it is
for. Read at each call (not cached), so a test or a worker that sets a variable is seen at once.
A value the command line gives (``--db``, ``--as``) wins over the environment; the callers decide that."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

Setting = Literal["database_url", "secret", "now", "user", "crash_at", "local_admin", "config_dir", "xdg_config_home",
                  "trust_forwarded", "checkpoint_key", "lab_dir", "ray_timeout", "ray_usage_stats"]
VARIABLES: dict[Setting, str] = {
    "database_url": "OPENETS_DATABASE_URL",  # the database (default: storage.db.DEFAULT_URL, SQLite)
    "secret": "OPENETS_SECRET",  # signs the service's tokens; several workers must share one
    "now": "OPENETS_NOW",  # judge sessions and deadlines at this ISO time (replays, demos, tests)
    "user": "OPENETS_USER",  # the CLI's acting user when --as is not given
    "crash_at": "OPENETS_CRASH_AT",  # the crash tests: kill the process at this named point
    "local_admin": "OPENETS_LOCAL_ADMIN",  # 1: the CLI's --as without a login (local administration, audited)
    "config_dir": "OPENETS_CONFIG_DIR",  # where `openets login` keeps its sessions
    "xdg_config_home": "XDG_CONFIG_HOME",  # the config base when OPENETS_CONFIG_DIR is unset
    "trust_forwarded": "OPENETS_TRUST_FORWARDED",  # 1: believe X-Forwarded-For (behind a proxy you run)
    "checkpoint_key": "OPENETS_CHECKPOINT_KEY",  # the regulator's key signing registry checkpoints
    "lab_dir": "OPENETS_LAB_DIR",  # where `openets lab compare` writes and the dashboard's lab page reads (var/lab)
    "ray_timeout": "OPENETS_RAY_TIMEOUT",  # seconds to wait for a Ray cluster (`lab run --ray`; default 30)
    "ray_usage_stats": "RAY_USAGE_STATS_ENABLED",  # Ray's own: set to 0 for a lab's Ray unless the user set it
}
LAB_DIR = "var/lab"  # the lab comparisons' folder when OPENETS_LAB_DIR is unset


def flag(key: Setting) -> bool:
    """A yes/no variable: 1, true or yes (any case) is on."""
    return (setting(key) or "").strip().lower() in ("1", "true", "yes")


def setting(key: Setting) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(VARIABLES[key]) or None


def export(key: Setting, value: str) -> None:
    """Set a variable for child processes (the service's workers build their app from the environment)."""
    os.environ[VARIABLES[key]] = value


def lab_dir() -> Path:
    """The folder of the policy lab's comparisons: $OPENETS_LAB_DIR, else var/lab."""
    return Path(setting("lab_dir") or LAB_DIR)
