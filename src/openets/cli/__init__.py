"""Command line (Typer + rich): one sub-app per capability."""
