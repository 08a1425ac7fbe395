"""Running the service: bind the port, build the API, serve until SIGINT/SIGTERM.

The one module that joins the command line to the HTTP API: ``spotarb serve``
calls :func:`run`, so ``cli/`` never imports ``api/``. The port is bound before
anything else starts, so a second ``serve`` on a busy port stops at once with one
clear line instead of running its feeds first.
"""

from __future__ import annotations

import errno
import logging
import socket
from types import FrameType

import uvicorn

from spotarb.core.config import Settings
from spotarb.core.errors import ServeError
from spotarb.core.http import redact_url

logger = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it); :class:`ServeError` if busy."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is in use (another spotarb serve?); "
                "stop it or choose another port with --port"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, exiting 0 after a graceful SIGINT/SIGTERM shutdown.

    (uvicorn re-raises the signal after shutting down; a clean stop is not a failure.)
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        logger.warning("signal %d: finishing in-flight work, then stopping", sig)
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()


def run(settings: Settings, *, collect: bool = True, log_level: str = "info") -> None:
    """Serve the API (and, with ``collect``, the feed schedule) until stopped."""
    sock = bind(settings.host, settings.port)
    try:
        from spotarb.api import create_app

        app = create_app(settings, collect=collect)
        logger.warning(
            "spotarb serving %s on http://%s:%d (role %s%s)",
            redact_url(settings.db),  # a database URL may hold a password
            settings.host,
            sock.getsockname()[1],
            settings.role,
            "" if collect else ", --no-collect",
        )
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        _Server(config).run(sockets=[sock])
    finally:
        sock.close()
    logger.warning("spotarb stopped")
