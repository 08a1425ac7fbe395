"""Application-default credentials (google-auth, optional extra ``spotarb[gcp]``).

google-auth is imported lazily. Token refreshes go through the same httpx
client factory as every other call (proxy, CA bundle, retries), via a small
adapter that speaks google-auth's transport interface.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, Protocol

import httpx

from spotarb.core.errors import FeedFetchError, ProxyUnavailableError
from spotarb.core.http import redact_url

logger = logging.getLogger(__name__)

SCOPES: Final = ("https://www.googleapis.com/auth/cloud-platform",)


class Credentials(Protocol):
    """What spotarb needs from a google-auth credentials object."""

    token: str | None

    @property
    def valid(self) -> bool: ...

    def refresh(self, request: Any) -> None: ...


def load_adc() -> tuple[Credentials | None, str | None, str]:
    """``google.auth.default()``: ``(credentials, project, "")`` or ``(None, None, reason)``."""
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:
        return None, None, "google-auth is not installed (pip install 'spotarb[gcp]')"
    try:
        credentials, project = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, None, f"no application-default credentials: {first_line}"
    return credentials, project, ""


class _AuthResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = dict(response.headers)
        self.data = response.content


class HttpxAuthRequest:
    """google-auth's ``transport.Request`` callable, backed by a spotarb httpx client."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _AuthResponse:
        try:
            response = self._client.request(method, url, content=body, headers=headers)
        except ProxyUnavailableError:
            raise
        except httpx.HTTPError as exc:
            raise FeedFetchError(
                f"token endpoint {redact_url(url)}: {type(exc).__name__}"
            ) from None
        return _AuthResponse(response)


def bearer_token(credentials: Credentials, client: httpx.Client) -> str:
    """A valid access token, refreshing the credentials through ``client`` when needed."""
    if not credentials.valid or not credentials.token:
        try:
            credentials.refresh(HttpxAuthRequest(client))
        except FeedFetchError:
            raise
        except Exception as exc:
            # google-auth raises RefreshError/TransportError with server text; keep one line.
            message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise FeedFetchError(
                f"application-default credentials: token refresh failed: {message}"
            ) from None
    if not credentials.token:
        raise FeedFetchError("application-default credentials: no access token after refresh")
    return str(credentials.token)
