"""rules/ is the low, generic layer: it imports no domain package, service or edge."""

import ast
from pathlib import Path

import openets.rules

ALLOWED = ("openets.rules", "openets.core")


def test_rules_imports_no_domain_package() -> None:
    bad = []
    for path in Path(openets.rules.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{path.name}: {n}" for n in names if n.startswith("openets") and not n.startswith(ALLOWED)]
    assert bad == []
