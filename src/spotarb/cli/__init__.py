"""The ``spotarb`` command: a thin shell over the library."""

from __future__ import annotations

import logging
import os

import typer

from spotarb.cli import data, feeds, fleet, place, serve
from spotarb.cli.common import quiet_third_party_loggers
from spotarb.core.version import __version__

app = typer.Typer(
    name="spotarb",
    help="Multi-cloud spot price arbitrage: collect AWS, Azure and GCP spot prices, "
    "and find where a workload should run.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    # Click's plain help: typer's rich panels print "<bool>" after flags, as if they took a value.
    rich_markup_mode=None,
)

app.command("import")(data.import_command)
app.command("export")(data.export_command)
app.command("prices")(data.prices_command)
app.add_typer(data.db_app, name="db")
app.command("feeds")(feeds.feeds_command)
app.command("collect")(feeds.collect_command)

place.register(app)
fleet.register(app)
serve.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spotarb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log progress details, cloud SDK and HTTP client logs too."
    ),
) -> None:
    level = (
        logging.INFO
        if verbose
        else getattr(
            logging, os.environ.get("SPOTARB_LOG_LEVEL", "WARNING").upper(), logging.WARNING
        )
    )
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_third_party_loggers(not verbose)


def main() -> None:
    app()
