"""Query parameter types: one set of length and count limits for every endpoint.

Every text query parameter is a :data:`Text` (or :data:`TextList`, :data:`Token`), so a
10,000-character ``region`` is a 422 on every route alike.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

from spotarb.core.limits import MAX_LIST, MAX_NAME, MAX_TOKEN

#: One bounded text value.
Text = Annotated[str, Query(min_length=1, max_length=MAX_NAME)]
#: Repeated parameters or comma lists: at most ``MAX_LIST`` values of ``MAX_NAME`` chars.
TextList = Annotated[
    list[Annotated[str, StringConstraints(max_length=MAX_NAME)]] | None,
    Query(max_length=MAX_LIST),
]
#: An opaque token (a page cursor).
Token = Annotated[str, Query(min_length=1, max_length=MAX_TOKEN)]
