"""Runs on a Ray cluster (``openets lab run --runs N --ray ADDRESS``, ``openets lab compare --ray ADDRESS``),
for lab ensembles that outgrow one machine: a function over items, each call a Ray task. The only
module that imports ``ray`` (an optional extra: ``pip install 'openets[ray]'``), and only when a command
is given ``--ray``; a package of its own, importing only openets.core (its settings), so that the import-linter
contract in pyproject.toml can forbid ``ray`` to every other package without an exception.

ADDRESS ``local`` or ``auto`` starts a Ray instance on this machine for the one command, kept small
(:data:`LOCAL_OBJECT_STORE_BYTES`, no dashboard, one CPU per run up to the machine's); any other address
— ``host:port`` (a cluster's head, GCS port) or ``ray://host:port`` (Ray Client) — is connected to,
after a TCP probe bounded by :data:`CONNECT_TIMEOUT_S` so an address nothing answers at is refused in
seconds, not after Ray's own minutes of retries. The caller's lab is already parsed: it is put in Ray's
object store once and the tasks read it there (a cluster's nodes need openets installed, not the lab's
files). Ray is shut down when the tasks end, also on an error; a task's error comes back as the error
it raised, without Ray's remote traceback."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from openets.core.settings import export, setting

S = TypeVar("S")
I = TypeVar("I")  # noqa: E741 - an item, beside S(hared) and R(esult)
R = TypeVar("R")

LOCAL = ("local", "auto")
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024  # results are a few MB: Ray's default (30 % of RAM) is not needed
CONNECT_TIMEOUT_S = 10.0  # the TCP probe of the address
PREFLIGHT_TIMEOUT_S = 30.0  # a connection from a child process (see _preflight); $OPENETS_RAY_TIMEOUT overrides
CLIENT_ATTEMPTS = 3  # connections tried when Ray Client's server fails to start (see _transient)
CLIENT_RETRY_PAUSE_S = 1.0
CLIENT_TRANSIENT = ("Starting Ray client server failed", "Proxy failed to Connect to backend")
MISSING = "Ray is not installed: pip install 'openets[ray]'"


class RayMissing(ValueError):
    """Ray is not importable here (the CLI answers with :data:`MISSING`, exit 2)."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(MISSING) from None
    return ray


def available() -> bool:
    try:
        _ray()
    except RayMissing:
        return False
    return True


def _host_port(address: str) -> tuple[str, int]:
    """host and port of ``host:port`` or ``ray://host:port`` (Ray Client's default port 10001)."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, "10001" if address.startswith("ray://") else ""
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--ray {address!r}: give local, host:port or ray://host:port")
    return host.strip("[]"), int(port)


def _probe(address: str) -> None:
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except TimeoutError:
        raise ValueError(f"no Ray cluster answers at {address} (no answer within {CONNECT_TIMEOUT_S:g} s)") from None
    except OSError as exc:
        why = (exc.strerror or str(exc) or type(exc).__name__).lower()
        raise ValueError(f"no Ray cluster answers at {address} ({why})") from None


def _init(ray: Any, address: str, tasks: int) -> None:
    if setting("ray_usage_stats") is None:
        export("ray_usage_stats", "0")  # no usage report home from a user's lab (its child processes inherit it)
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address in LOCAL:
        cpus = max(1, min(tasks, os.cpu_count() or 1))
        ray.init(address="local", num_cpus=cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                 include_dashboard=False, **quiet)
        return
    _probe(address)
    _preflight(address)
    for attempt in range(1, CLIENT_ATTEMPTS + 1):
        try:
            ray.init(address=address, **quiet)
            return
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            ray.shutdown()
            if attempt == CLIENT_ATTEMPTS or not _transient(str(exc)):
                raise ValueError(f"Ray at {address}: {_first_line(exc)}") from None
            time.sleep(CLIENT_RETRY_PAUSE_S)


def _transient(text: str) -> bool:
    """Ray Client's head starts a server process for each connection, and that start fails now and
    then with nothing in its logs (seen in CI: the process gone 10 ms after it was spawned; Ray's own
    client tests are known for it); the next connection gets a new process on the next port."""
    return any(m in text for m in CLIENT_TRANSIENT)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_PREFLIGHT = ("import logging, sys, ray\n"
              "ray.init(address=sys.argv[1], log_to_driver=False, logging_level=logging.ERROR)\n"
              "ray.shutdown()\n")


def _timeout() -> float:
    text = (setting("ray_timeout") or "").strip()
    if not text:
        return PREFLIGHT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise ValueError(f"OPENETS_RAY_TIMEOUT={text!r}: give the seconds to wait for a Ray cluster (above 0, at most 3600)")
    return value


def _preflight(address: str) -> None:
    """Connect once from a child process, bounded by :data:`PREFLIGHT_TIMEOUT_S` (or $OPENETS_RAY_TIMEOUT): something may answer
    the TCP probe and not be Ray (a proxy, another service), and ``ray.init`` then retries for minutes
    in its own threads, which cannot be interrupted here; the child can be killed, and its log lines stay
    out of the command's output."""
    limit = _timeout()
    if setting("ray_usage_stats") is None:
        export("ray_usage_stats", "0")
    deadline = time.monotonic() + limit  # the limit covers the retries of a transient failure too
    for attempt in range(1, CLIENT_ATTEMPTS + 1):
        try:
            done = subprocess.run([sys.executable, "-c", _PREFLIGHT, address], capture_output=True, text=True,
                                  timeout=max(0.1, deadline - time.monotonic()), check=False)
        except subprocess.TimeoutExpired:
            raise ValueError(f"no Ray cluster answers at {address} (Ray did not connect within {limit:g} s)") from None
        if done.returncode == 0 or attempt == CLIENT_ATTEMPTS or not _transient(done.stderr):
            break
        if time.monotonic() + CLIENT_RETRY_PAUSE_S >= deadline:
            break
        time.sleep(CLIENT_RETRY_PAUSE_S)
    if done.returncode != 0 and ("InvalidAuthToken" in done.stderr or "Unauthenticated" in done.stderr):
        raise ValueError(f"Ray at {address} refused the connection's token: give this machine the cluster's token "
                         "(RAY_AUTH_MODE=token, RAY_AUTH_TOKEN or ~/.ray/auth_token; Ray's token-auth guide)")
    if done.returncode != 0:
        lines = [x.strip() for x in done.stderr.splitlines() if x.strip() and not x.startswith((" ", "["))]
        raise ValueError(f"Ray at {address}: {lines[-1] if lines else f'exit {done.returncode}'}")


def run_tasks(address: str, fn: Callable[[S, I], R], shared: S, items: Sequence[I]) -> list[R]:
    """``[fn(shared, item) for item in items]``, each call a Ray task on ``address``, in order.
    ``fn`` must be a module-level function (Ray ships it by reference); ``shared`` goes to the object
    store once."""
    ray = _ray()
    try:
        _init(ray, address, len(items))  # inside: a start that fails half-way is shut down too
        task = ray.remote(num_cpus=1, max_retries=0)(fn)
        ref = ray.put(shared)
        try:
            return list(ray.get([task.remote(ref, item) for item in items]))
        except ray.exceptions.RayTaskError as exc:  # the task's own error, not Ray's wrapper and traceback
            cause = exc.cause if isinstance(getattr(exc, "cause", None), Exception) else None
            if cause is not None:
                raise cause from None
            raise ValueError(f"a Ray task failed: {type(exc).__name__}") from None
        except ray.exceptions.RayError as exc:  # a worker or node lost, the object store full …
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ValueError(f"Ray: {type(exc).__name__}: {text}") from None
    finally:
        ray.shutdown()
