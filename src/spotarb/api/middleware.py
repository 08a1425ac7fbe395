"""Plain ASGI middleware (cheaper than BaseHTTPMiddleware): latency metrics and body limits."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotarb.api.routers.placements import placement_answer
from spotarb.api.schemas import PlacementRequest
from spotarb.core.errors import ConfigError, ValidationError
from spotarb.serving.metrics import ServiceMetrics
from spotarb.serving.service import Service

#: Scope key naming the route a fast-path response served (for the latency metric).
FAST_ROUTE = "spotarb.fast_route"


class MetricsMiddleware:
    """Observes each request's latency under its route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or scope.get(FAST_ROUTE) or "unmatched"
            self.metrics.request_latency.labels(scope["method"], path, str(status[0])).observe(
                time.perf_counter() - began
            )


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _reply(send, 400, b'{"detail":"invalid Content-Length"}')
                    return
                if declared > self.max_bytes:
                    await _reply(send, 413, b'{"detail":"request body too large"}')
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await _reply(send, 413, b'{"detail":"request body too large"}')
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(b"".join(chunks), receive), send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read ``body`` to the app once, then passes on."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reply(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FastLookupMiddleware:
    """Serves the precomputed lookups straight from the current state.

    ``GET /v1/best-options`` (no query, or exactly ``shape=...``) and ``GET /v1/arbitrage``
    are ready-made JSON bytes; routing them through FastAPI's dependency machinery costs
    more than the lookup itself. Anything else (other parameters, bad shapes) falls
    through to the documented routes, which validate and explain.
    """

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self._lookup(scope["path"], scope.get("query_string", b""))
            if body is not None:
                scope[FAST_ROUTE] = scope["path"]
                await _reply(send, 200, body)
                return
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/v1/placements"
        ):
            await self._placement(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _placement(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Byte-identical request bodies get the cached answer of the routed request.

        The first request with a given body goes through validation and the engine;
        its 200/404 answer is remembered under (state generation, hash of the body), so a
        repeat skips JSON parsing and validation too. A new snapshot changes the key.
        """
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        generation = self.service.state.generation
        key = f"raw:{generation}:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"
        cached = self.service.cache.get(key)
        if cached is not None:
            head, _, body = cached.partition(b"\n")
            scope[FAST_ROUTE] = scope["path"]
            await _reply(send, int(head), body)
            return
        answer = self._valid_placement(raw)
        if answer is not None:
            status_code, body = answer
            if status_code in (200, 404):
                self.service.cache.set(
                    key,
                    b"%d\n%s" % (status_code, body),
                    ttl=self.service.settings.placement_cache_ttl,
                )
            scope[FAST_ROUTE] = scope["path"]
            await _reply(send, status_code, body)
            return
        # Invalid or unusual input: the documented route validates it and explains (422).
        status = [0]
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False) and status[0] in (200, 404):
                    self.service.cache.set(
                        key,
                        b"%d\n%s" % (status[0], b"".join(parts)),
                        ttl=self.service.settings.placement_cache_ttl,
                    )
            await send(message)

        await self.app(scope, _replaying(raw, receive), capture)

    def _valid_placement(self, raw: bytes) -> tuple[int, bytes] | None:
        """The answer for a body the route's own model accepts; None sends it to the route.

        Validates with the same pydantic model and answers through the same function as
        ``POST /v1/placements``, minus FastAPI's routing and dependency machinery.
        """
        try:
            body = PlacementRequest.model_validate_json(raw)
            return placement_answer(body, self.service)
        except (PydanticValidationError, ValidationError):
            return None

    def _lookup(self, path: str, query: bytes) -> bytes | None:
        state = self.service.state
        if path == "/v1/arbitrage" and not query:
            return state.arbitrage
        if path != "/v1/best-options":
            return None
        if not query:
            return state.best_options
        if not query.startswith(b"shape=") or b"&" in query or b"%" in query or b"+" in query:
            return None
        try:
            name = self.service.shape_name(query[6:].decode("ascii"))
        except (ConfigError, UnicodeDecodeError):
            return None
        return state.best_by_shape.get(name)
