"""The 422 body for request validation errors, safe to encode whatever the input was.

FastAPI echoes each error's ``input``; JSON has no NaN or Infinity (``1e309`` parses
as infinity), so an echoed non-finite float made the error itself fail with a 500.
Inputs holding one are left out, and so are huge inputs (no 10,000-character echo);
the ``loc`` still names the field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from spotarb.core.limits import MAX_TOKEN


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(_finite(v) for v in value)
    return True


def safe_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """``errors`` without any non-finite or oversized ``input``/``ctx``."""
    out: list[dict[str, Any]] = []
    for error in errors:
        item = {k: v for k, v in dict(error).items() if k not in ("input", "ctx", "url")}
        for key in ("input", "ctx"):
            if key in error and _finite(error[key]) and len(repr(error[key])) <= MAX_TOKEN:
                item[key] = error[key]
        out.append(item)
    return out


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": jsonable_encoder(safe_errors(exc.errors()))}, status_code=422)
