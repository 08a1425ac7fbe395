"""Number and time formatting for the templates (Jinja filters)."""

from __future__ import annotations

from datetime import datetime


def money(value: float | None, digits: int = 4) -> str:
    """``0.0832`` → ``$0.0832``; None → an en dash."""
    if value is None:
        return "–"
    return f"${value:,.{digits}f}"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}%"


def rate(value: float | None) -> str:
    """An interruption rate 0..1 as a percentage (``0.05`` → ``5%``)."""
    if value is None:
        return "unknown"
    return f"{100.0 * value:.0f}%"


def age(seconds: float | None) -> str:
    """A duration in the largest sensible unit: ``42 s``, ``5 min``, ``3.5 h``, ``2 d``."""
    if seconds is None:
        return "–"
    s = max(0.0, seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 36 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def number(value: float | None) -> str:
    """``8.0`` → ``8``, ``0.5`` → ``0.5``."""
    if value is None:
        return "–"
    return f"{value:g}"


def when(value: str | datetime | None) -> str:
    """An ISO time as ``2026-11-28 22:40 UTC``."""
    if value is None:
        return "–"
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


FILTERS = {"money": money, "pct": pct, "rate": rate, "age": age, "number": number, "when": when}
