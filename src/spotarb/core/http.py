"""The one outbound-client factory: every call to a cloud API is made through here.

It applies, to httpx and to boto3 alike:

* the audit proxy (e.g. Kivera): ``SPOTARB_PROXY_URL`` or a per-feed
  ``SPOTARB_<FEED>_PROXY_URL``. When a proxy is configured a call never goes
  around it: if the proxy is down the call fails with
  :class:`~spotarb.core.errors.ProxyUnavailableError` naming the proxy;
* ``SPOTARB_CA_BUNDLE`` for TLS-intercepting proxies;
* connect/read timeouts;
* retries with jittered exponential backoff on 429, 5xx and connection
  errors, honouring ``Retry-After``;
* a ``User-Agent`` naming spotarb and its version;
* a reachability check (:meth:`OutboundClients.check_reachable`) that a feed run
  makes before its first call, so that an offline machine fails each feed once
  instead of once per region and retry.

Proxy URLs may carry credentials: they are redacted (:func:`redact_url`) in
every message and log line.
"""

from __future__ import annotations

import email.utils
import logging
import random
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from spotarb.core.config import Settings
from spotarb.core.errors import FeedFetchError, FeedParseError, ProxyUnavailableError
from spotarb.core.version import __version__

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

logger = logging.getLogger(__name__)

USER_AGENT: Final = f"spotarb/{__version__}"

#: Status codes worth retrying: throttling and transient server errors.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

_SECRET_QUERY_KEYS: Final = frozenset(
    {"key", "api_key", "apikey", "token", "access_token", "sig", "signature", "code", "password"}
)

Sleep = Callable[[float], None]


def redact_url(url: str | httpx.URL | None) -> str:
    """A URL safe to log: no userinfo password, no secret query values."""
    if url is None:
        return ""
    parts = urlsplit(str(url))
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
    query = parts.query
    if query:
        pairs = [
            (k, "***" if k.lower() in _SECRET_QUERY_KEYS else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        query = urlencode(pairs, safe="$',:/ *")
    if netloc == parts.netloc and query == parts.query:
        return str(url)  # nothing to hide: unchanged (urlunsplit would drop "////" slashes)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_http_date(value: str) -> datetime | None:
    """An HTTP date header (``Retry-After``, ``Last-Modified``) as UTC; None if unreadable."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


class RetryTransport(httpx.BaseTransport):
    """Retries 429/5xx and connection errors with full-jitter exponential backoff.

    A ``Retry-After`` header is honoured: the next attempt waits at least that
    long. When the server asks for longer than ``backoff_max`` the response is
    returned as is rather than retried early.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        max_retries: int,
        backoff_base: float,
        backoff_max: float,
        proxy_url: str | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._inner = inner
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._proxy_url = proxy_url
        self._sleep = sleep

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_max, self._backoff_base * (2**attempt))
        return random.uniform(0, ceiling)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except (httpx.ConnectError, httpx.ProxyError) as exc:
                if attempt >= self._max_retries:
                    if self._proxy_url:
                        raise ProxyUnavailableError(
                            f"audit proxy {redact_url(self._proxy_url)} is unreachable "
                            f"({type(exc).__name__}); request to "
                            f"{redact_url(request.url)} was not sent"
                        ) from None
                    raise
                delay = self._backoff(attempt)
            except httpx.TimeoutException:
                if attempt >= self._max_retries:
                    raise
                delay = self._backoff(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self._max_retries:
                    return response
                delay = self._backoff(attempt)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > self._backoff_max:
                        return response
                    delay = max(delay, retry_after)
                response.read()
                response.close()
                logger.info(
                    "HTTP %s from %s; retry %d/%d in %.2fs",
                    response.status_code,
                    redact_url(request.url),
                    attempt + 1,
                    self._max_retries,
                    delay,
                )
            attempt += 1
            self._sleep(delay)

    def close(self) -> None:
        self._inner.close()


class OutboundClients:
    """Builds every outbound client from the settings; one instance per process is enough."""

    def __init__(self, settings: Settings, *, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep

    def proxy_for(self, feed: str) -> str | None:
        return self.settings.proxy_for(feed)

    def _verify(self) -> str | bool:
        return self.settings.ca_bundle or True

    def http(
        self,
        feed: str,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Client:
        """An httpx client for ``feed``: proxy, CA bundle, timeouts, retries, user agent."""
        s = self.settings
        proxy = self.proxy_for(feed)
        inner = httpx.HTTPTransport(proxy=proxy, verify=self._verify(), trust_env=False)
        transport = RetryTransport(
            inner,
            max_retries=s.max_retries,
            backoff_base=s.backoff_base,
            backoff_max=s.backoff_max,
            proxy_url=proxy,
            sleep=self._sleep,
        )
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        all_headers.update(headers or {})
        return httpx.Client(
            base_url=base_url,
            transport=transport,
            headers=all_headers,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=True,
            trust_env=False,
        )

    def botocore_config(self, feed: str = "aws") -> BotocoreConfig:
        """A botocore ``Config`` with the proxy, timeouts, adaptive retries and user agent."""
        from botocore.config import Config

        s = self.settings
        proxy = self.proxy_for(feed)
        kwargs: dict[str, Any] = {
            "connect_timeout": s.connect_timeout,
            "read_timeout": s.read_timeout,
            # "adaptive" adds client-side rate limiting on top of standard retries,
            # which is what RequestLimitExceeded (EC2 throttling) wants.
            "retries": {"mode": "adaptive", "total_max_attempts": s.max_retries + 1},
            "user_agent_extra": USER_AGENT,
        }
        if proxy:
            kwargs["proxies"] = {"http": proxy, "https": proxy}
            if s.ca_bundle:
                kwargs["proxies_config"] = {"proxy_ca_bundle": s.ca_bundle}
        return Config(**kwargs)

    def boto3_client_kwargs(self, feed: str = "aws") -> dict[str, Any]:
        """Keyword arguments for ``boto3.client(...)``: config, CA bundle, endpoint override."""
        kwargs: dict[str, Any] = {"config": self.botocore_config(feed)}
        if self.settings.ca_bundle:
            kwargs["verify"] = self.settings.ca_bundle
        if feed == "aws" and self.settings.aws_endpoint_url:
            kwargs["endpoint_url"] = self.settings.aws_endpoint_url
        return kwargs

    def check_reachable(self, feed: str, url: str) -> None:
        """Open (and close) one TCP connection to where ``url``'s requests go; no retries.

        The proxy is the target when one is configured (calls never go around it).
        A failed DNS lookup, a refused connection or an unreachable network raises
        one :class:`FeedFetchError` (:class:`ProxyUnavailableError` for the proxy)
        naming the host; a timeout does not, the run's own retries judge that.
        """
        proxy = self.proxy_for(feed)
        parts = urlsplit(proxy or url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return  # a malformed port: the request itself reports it
        if not host:
            return
        reason = _connect_failure(host, port, self.settings.connect_timeout)
        if reason is None:
            return
        if proxy:
            raise ProxyUnavailableError(
                f"audit proxy {redact_url(proxy)} is unreachable ({reason}); "
                f"request to {redact_url(url)} was not sent"
            )
        raise FeedFetchError(f"{feed}: cannot reach {host}:{port} ({reason}); no request sent")

    def proxy_error(self, feed: str, exc: BaseException) -> ProxyUnavailableError | None:
        """Map a botocore proxy failure to :class:`ProxyUnavailableError`, else None."""
        proxy = self.proxy_for(feed)
        if not proxy:
            return None
        if type(exc).__name__ in {"ProxyConnectionError", "ConnectTimeoutError"}:
            return ProxyUnavailableError(
                f"audit proxy {redact_url(proxy)} is unreachable ({type(exc).__name__})"
            )
        return None


def _connect_failure(host: str, port: int, timeout: float) -> str | None:
    """Why a TCP connection to ``host:port`` cannot be made, or None (made, or timed out)."""
    try:
        connection = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as exc:
        return f"DNS lookup failed: {exc.strerror or exc}"
    except TimeoutError:
        return None
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    connection.close()
    return None


def send_get(client: httpx.Client, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
    """GET ``url``; a transport failure becomes a one-line :class:`FeedFetchError` naming ``what``.

    The response is returned whatever its status: callers decide what an error status means.
    """
    try:
        return client.get(url, **kwargs)
    except ProxyUnavailableError:
        raise
    except httpx.TimeoutException as exc:
        raise FeedFetchError(f"{what}: timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FeedFetchError(f"{what}: {type(exc).__name__}: {redact_url(str(exc))}") from None


def get_json(client: httpx.Client, url: str, *, what: str, **kwargs: Any) -> Any:
    """GET ``url`` and decode JSON; failures become a one-line feed error naming ``what``."""
    response = send_get(client, url, what=what, **kwargs)
    if response.status_code >= 400:
        body = response.text[:200].replace("\n", " ")
        raise FeedFetchError(
            f"{what}: HTTP {response.status_code} from {redact_url(response.request.url)}: {body}"
        )
    try:
        return response.json()
    except ValueError as exc:
        raise FeedParseError(f"{what}: response is not valid JSON ({exc})") from None
