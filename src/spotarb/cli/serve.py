"""``spotarb serve``: the API, the collection schedule and the aggregator in one process."""

from __future__ import annotations

import logging
from types import FrameType
from typing import Annotated, Any

import typer

from spotarb.cli.common import DbOption, cli_errors
from spotarb.core.config import Role, load_settings

logger = logging.getLogger(__name__)


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
    import uvicorn

    from spotarb.api import create_app

    _Server = _make_server_class()

    settings = load_settings(db=db, host=host, port=port, tick_seconds=tick, role=role)
    level = getattr(logging, log_level.upper(), logging.INFO)
    logging.getLogger().setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level)
    app = create_app(settings, collect=not no_collect)
    logger.warning(
        "spotarb serving %s on http://%s:%d (role %s%s)",
        app.state.service.store.url,  # without a password
        settings.host,
        settings.port,
        settings.role,
        ", --no-collect" if no_collect else "",
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    _Server(config).run()
    logger.warning("spotarb stopped")


def _make_server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, exiting 0 after a graceful SIGINT/SIGTERM shutdown.

        (uvicorn re-raises the signal after shutting down; a clean stop is not a failure.)
        """

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            logger.warning("signal %d: finishing in-flight work, then stopping", sig)
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    return Server


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
