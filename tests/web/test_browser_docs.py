"""``/docs`` renders offline in a real Chromium: every asset is local."""

from __future__ import annotations

import pytest

from tests.web.conftest import Tab

pytestmark = pytest.mark.browser

OPERATIONS = ("/v1/placements", "/v1/prices", "/v1/best-options", "/v1/feeds")


def test_swagger_ui_renders_the_operations_offline(tab: Tab) -> None:
    requests: list[str] = []
    tab.page.on("request", lambda r: requests.append(r.url))
    tab.goto("/docs")
    page = tab.page
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in OPERATIONS:
        assert any(p.replace("\u200b", "") == path for p in paths), (path, paths)
    assert requests and all(u.startswith(tab.base + "/") for u in requests), requests
    assert any(u.endswith("/docs/static/swagger-ui-bundle.js") for u in requests)
    # The fixture also asserts no request left the server and no console error.
