"""Input limits shared by every edge (API bodies and queries, dashboard queries)."""

from __future__ import annotations

from typing import Final

#: Longest name or other text value (a region, instance type, GPU, shape, cursor part).
MAX_NAME: Final = 128
#: Most values in one list (a body list, or a repeated/comma query parameter).
MAX_LIST: Final = 64
#: Longest opaque token (a page cursor).
MAX_TOKEN: Final = 2048
