"""``openets``: the command line."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer ≥ 0.25 carries its own copy of click
    from typer._click.exceptions import ClickException
    from typer.exceptions import Abort
except ImportError:  # pragma: no cover - older typer on top of click
    from click.exceptions import Abort, ClickException  # type: ignore[assignment]  # older typer raises click's own classes

from openets.cli import access, allocation, auction, cap, compliance, demo, lab, market, mrv, offsets, registry, service
from openets.cli.output import csv_requested
from openets.core.text import one_line


class OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr (not a box), with click's exit code (2)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        csv_requested.set(False)  # a command without --csv must not inherit an earlier call's (one process, many calls)
        try:
            rv = super().main(*args, **{**kwargs, "standalone_mode": False})
        except ClickException as exc:
            message = exc.format_message().replace("Value error, ", "")  # the parser's own prefix says nothing
            sys.stderr.write(f"error: {one_line(message)} (see --help)\n")  # a value given may hold a line break
            sys.exit(exc.exit_code)
        except Abort:
            sys.stderr.write("error: aborted\n")
            sys.exit(1)
        if standalone:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


app = typer.Typer(help="OpenETS: an open cap-and-trade carbon market system (基于总量控制的碳市场).",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=OneLineErrors,
                  rich_markup_mode=None)  # help as plain text: rich markup ate "[auction]" and "[]" (every group inherits it)
app.add_typer(registry.app, name="registry", help="The registry (注册登记系统): accounts, units, transactions.")
app.add_typer(cap.app, name="cap", help="Cap setting (总量设定): from the global budget to a yearly path.")
app.add_typer(allocation.app, name="allocation", help="Allocation (配额分配): run, propose and issue.")
app.add_typer(mrv.app, name="mrv", help="MRV (监测-报告-核查): emission reports and their checks.")
app.add_typer(auction.app, name="auction", help="Primary auctions (有偿竞价发放): notice, reserve, bid, close, results.")
app.add_typer(market.app, name="market", help="The exchange (交易系统): cash, orders, book, tape, bars, close, delivery.")
app.add_typer(offsets.app, name="offsets", help="Offset credits (抵消机制): eligibility.")
app.add_typer(compliance.app, name="compliance", help="Compliance (履约): status per company and year.")
app.add_typer(lab.app, name="lab", help="The policy lab (政策实验室): agents on the real exchange against the economics.")
app.add_typer(service.users, name="users", help="Users of the service: list, create, password, revoke.")
app.command("serve")(service.serve)
app.command("login")(access.login)
app.command("logout")(access.logout)
app.command("whoami")(access.whoami)
app.command("audit")(access.audit)
app.command("demo")(demo.demo)
app.command("run")(demo.run_scenario)
app.command("walkthrough")(demo.walkthrough)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
