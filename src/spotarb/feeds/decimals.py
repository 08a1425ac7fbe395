"""Prices as the providers write them (``"0.043700"``, ``9.0E-4``, ``0.12``) → exact decimals.

The one parser of the feeds: a value that is not a finite number (or, for
:func:`positive_decimal`, not above zero) raises ``ValueError`` naming the field
and the value, which each feed records as a malformed item.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def finite_decimal(raw: object, what: str) -> Decimal:
    """A JSON number or numeric string as a finite :class:`Decimal` (exact, not via float)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{what} {raw!r} is not a number")
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise ValueError(f"{what} {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {raw!r} is not finite")
    return value


def positive_decimal(raw: object, what: str) -> Decimal:
    """:func:`finite_decimal`, and above zero."""
    value = finite_decimal(raw, what)
    if value <= 0:
        raise ValueError(f"{what} {raw!r} is not positive")
    return value
