"""What an import checks beyond the row's own invariants, and what it notes in its summary.

A file is written by a person or a script, not by a feed: it may hold a timestamp from
a wrong clock, a stray control character or a GPU spelled some other way. These rules
are applied to every imported row before it becomes a :class:`~spotarb.core.models.SpotPrice`
(the CSV fast path in :mod:`spotarb.ingest.dataio` holds to the same verdicts, a
property test checks it), so no backend ever sees such a value.

- ``observed_at`` more than :data:`FUTURE_SLACK` after now is refused (a wrong clock
  or a typo would otherwise stay "newest" and shadow real prices).
- Text fields may not hold control characters (C0, DEL, C1) or lone surrogates.
- A GPU name goes through the GPU vocabulary, as the feeds' names do: a known
  spelling becomes its canonical id, an unknown one is kept as ``unknown:<raw>``
  and counted in the summary.
- A spot price above the on-demand price is kept (spot can exceed on-demand) but
  counted in the summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from spotarb.core.errors import ValidationError
from spotarb.core.gpus import UNKNOWN_PREFIX, canonical_gpu
from spotarb.core.rows import PRICE_COLUMNS, Row

#: How far past now an observation may be (clock skew between machines, time zones).
FUTURE_SLACK: Final = timedelta(days=1)

#: The row's text fields; every one is checked for control characters.
TEXT_FIELDS: Final = (
    "provider",
    "region",
    "availability_zone",
    "instance_type",
    "gpu_type",
    "arch",
    "os",
    "interruption_source",
    "source",
)

_BAD_TEXT: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATES: Final = re.compile(r"[\ud800-\udfff]")


def check_text(name: str, value: str) -> None:
    """Refuse control characters (NUL, ESC, newlines, ...) and lone surrogates in a text field."""
    bad = _BAD_TEXT.search(value)
    if bad is None:
        return
    if _SURROGATES.match(bad.group()):
        raise ValidationError(name, value, "must be Unicode text (holds a lone surrogate)")
    raise ValidationError(name, value, f"must not hold control characters (found {bad.group()!r})")


def latest_observation(now: datetime) -> datetime:
    return now + FUTURE_SLACK


def check_observed_at(when: datetime, now: datetime, raw: Any = None) -> None:
    if when > latest_observation(now):
        raise ValidationError(
            "observed_at",
            when.isoformat() if raw is None else raw,
            f"is more than 1 day in the future (now is {now.isoformat(timespec='seconds')})",
        )


def gpu_id(raw: str) -> str:
    """The canonical id of a GPU name, or ``unknown:<raw>`` (as the feeds store it)."""
    return canonical_gpu(raw, log=False)


def check_values(values: dict[str, Any]) -> None:
    """Apply the text and GPU rules to one row's converted values (in place: the GPU id).

    ``observed_at`` is checked where it is converted, so an error quotes the raw value.
    """
    for name in TEXT_FIELDS:
        value = values.get(name)
        if isinstance(value, str):
            check_text(name, value)
    gpu = values.get("gpu_type")
    if isinstance(gpu, str) and values.get("gpu_count"):  # else refused as it was written
        values["gpu_type"] = gpu_id(gpu)


# --- what the summary notes -------------------------------------------------------------

_GPU: Final = PRICE_COLUMNS.index("gpu_type")
_PRICE: Final = PRICE_COLUMNS.index("price_per_hour")
_ON_DEMAND: Final = PRICE_COLUMNS.index("on_demand_price_per_hour")


@dataclass(slots=True)
class Flag:
    """Rows that were kept but deserve a word: how many, and where the first one is."""

    rows: int = 0
    first: str | None = None

    def merge(self, other: Flag) -> None:
        self.rows += other.rows
        if self.first is None:
            self.first = other.first


@dataclass(slots=True)
class Flags:
    unknown_gpu: Flag
    above_on_demand: Flag

    @classmethod
    def none(cls) -> Flags:
        return cls(Flag(), Flag())

    def merge(self, other: Flags) -> None:
        self.unknown_gpu.merge(other.unknown_gpu)
        self.above_on_demand.merge(other.above_on_demand)


def flag_rows(rows: Sequence[Row], where: Callable[[int], str]) -> Flags:
    """Count unknown GPUs and spot prices above on-demand; ``where(i)`` names row ``i``."""
    unknown = [i for i, row in enumerate(rows) if (g := row[_GPU]) and g.startswith(UNKNOWN_PREFIX)]
    above = [
        i for i, row in enumerate(rows) if (od := row[_ON_DEMAND]) is not None and row[_PRICE] > od
    ]
    flags = Flags.none()
    if unknown:
        row = rows[unknown[0]]
        flags.unknown_gpu = Flag(len(unknown), f"{where(unknown[0])}: gpu_type {row[_GPU]}")
    if above:
        row = rows[above[0]]
        flags.above_on_demand = Flag(
            len(above),
            f"{where(above[0])}: {row[0]}/{row[1]}/{row[3]} spot {row[_PRICE]:g} "
            f"> on-demand {row[_ON_DEMAND]:g} $/h",
        )
    return flags
