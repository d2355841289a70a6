"""``openets``: the command line."""

from __future__ import annotations

import typer

from openets.cli import demo, registry

app = typer.Typer(help="OpenETS: an open cap-and-trade carbon market system (基于总量控制的碳市场).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(registry.app, name="registry", help="The registry (注册登记系统): accounts, units, transactions.")
app.command("demo")(demo.demo)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
