"""The import-linter contract "Ray ... is imported by openets.cluster alone" lists its source packages
one by one (import-linter has no "all but"): every package of openets but openets.cluster must be in
it, so a package added later cannot import ray unseen; and openets.cluster imports only openets.core
(its settings: the environment is read in one place), so it sits just above core in the layers and needs
no exception in any contract."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "src" / "openets"


def _contract() -> dict:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (ray,) = [c for c in conf["contracts"] if c.get("forbidden_modules") == ["ray"]]
    return ray


def test_every_package_but_cluster_is_forbidden_ray() -> None:
    packages = {f"openets.{p.name}" for p in PKG.iterdir() if (p / "__init__.py").exists()}
    modules = {f"openets.{p.stem}" for p in PKG.glob("*.py") if p.stem != "__init__"}
    assert modules == set()  # no module at the top level: everything is in a package the contract names
    assert set(_contract()["source_modules"]) == packages - {"openets.cluster"}


def test_cluster_imports_only_core() -> None:
    tree = ast.parse((PKG / "cluster" / "__init__.py").read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert [n for n in names if n.split(".")[0] == "openets"] == ["openets.core.settings"], names
