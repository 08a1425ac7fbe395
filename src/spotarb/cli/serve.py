"""``spotarb serve``: the API, the collection schedule and the aggregator in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from spotarb.cli.common import DbOption, cli_errors
from spotarb.core.config import Role, load_settings


@cli_errors
def serve_command(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Bind address (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000).")] = None,
    no_collect: Annotated[
        bool, typer.Option("--no-collect", help="Serve what the store holds; run no feeds.")
    ] = False,
    tick: Annotated[
        float | None,
        typer.Option("--tick", help="Seconds between schedule ticks (default 60).", hidden=True),
    ] = None,
    role: Annotated[
        Role | None,
        typer.Option(
            "--role",
            help="all: API, and collect when elected (default); api: never collect; "
            "collector: a collector candidate (with the API for probes).",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Run the HTTP API (OpenAPI at /docs) and collect prices on schedule."""
    from spotarb import server

    settings = load_settings(db=db, host=host, port=port, tick_seconds=tick, role=role)
    level = getattr(logging, log_level.upper(), logging.INFO)
    logging.getLogger().setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level)
    server.run(settings, collect=not no_collect, log_level=log_level.lower())


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
