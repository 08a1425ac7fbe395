"""Paged GETs against Google REST APIs, with Google's error bodies turned into one line."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, Final

import httpx

from spotarb.core.errors import FeedFetchError, FeedParseError
from spotarb.core.http import redact_url, send_get

logger = logging.getLogger(__name__)

#: What to enable when an API answers 403, by API.
ENABLE_HINTS: Final[dict[str, str]] = {
    "billing": (
        "enable the Cloud Billing API (cloudbilling.googleapis.com) in the key's or "
        "credentials' project, and allow the API key to call it"
    ),
    "compute": (
        "enable the Compute Engine API (compute.googleapis.com) in SPOTARB_GCP_PROJECT and "
        "grant the credentials compute.machineTypes.list / compute.acceleratorTypes.list"
    ),
}


def _google_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].replace("\n", " ")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        status = error.get("status", "")
        message = str(error.get("message", ""))[:200]
        return f"{status} {message}".strip()
    return str(body)[:200]


def get_page(
    client: httpx.Client, path: str, params: Mapping[str, str | int], *, what: str, api: str
) -> dict[str, Any]:
    """GET one page and decode it; failures become one-line :class:`FeedFetchError`."""
    response = send_get(client, path, what=what, params=dict(params))
    if response.status_code >= 400:
        message = _google_message(response)
        hint = f"; {ENABLE_HINTS[api]}" if response.status_code == 403 else ""
        raise FeedFetchError(
            f"{what}: HTTP {response.status_code} from {redact_url(response.request.url)}: "
            f"{message}{hint}"
        )
    try:
        page = response.json()
    except ValueError as exc:
        raise FeedParseError(f"{what}: response is not valid JSON ({exc})") from None
    if not isinstance(page, dict):
        raise FeedParseError(f"{what}: expected a JSON object, got {type(page).__name__}")
    return page


def walk_pages(
    client: httpx.Client,
    path: str,
    params: Mapping[str, str | int],
    *,
    what: str,
    api: str,
) -> Iterator[dict[str, Any]]:
    """Yield every page, following ``nextPageToken`` until it is empty or absent."""
    token = ""
    seen: set[str] = set()
    number = 0
    while True:
        number += 1
        query = dict(params)
        if token:
            query["pageToken"] = token
        page = get_page(client, path, query, what=f"{what} page {number}", api=api)
        yield page
        token = str(page.get("nextPageToken") or "")
        if not token:
            return
        if token in seen:
            raise FeedParseError(f"{what} page {number}: nextPageToken repeats ({token[:20]})")
        seen.add(token)
