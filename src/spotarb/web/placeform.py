"""The placement form: query string → requirements, with one readable error per field.

The form submits with GET so the URL carries the whole query (shareable). Values
are checked by :class:`~spotarb.placement.WorkloadRequirements` itself, the same
model the CLI and the JSON API use; its errors are mapped back to form fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final

from spotarb.core.errors import ValidationError
from spotarb.core.gpus import GPU_IDS
from spotarb.core.models import PROVIDERS
from spotarb.placement import WorkloadRequirements
from spotarb.placement.requirements import ANY_ARCH, CAMEL_REQUIREMENTS, DEFAULT_ARCH, STRATEGIES
from spotarb.placement.snapshot import BAND_EDGES, band_of
from spotarb.serving.placing import NoCurrentMatch, Placement
from spotarb.serving.service import Service

#: form field → label shown to people.
LABELS: Final[dict[str, str]] = {
    "minCPU": "Minimum vCPUs",
    "minMemoryGB": "Minimum memory (GiB)",
    "gpuCount": "GPU count",
    "gpuType": "GPU type",
    "gpuTypes": "GPU types (any of)",
    "minGPUMemoryGB": "Minimum memory per GPU (GiB)",
    "arch": "Architecture",
    "networkBandwidthGbps": "Minimum network bandwidth (Gbps)",
    "regions": "Only these regions",
    "preferredRegions": "Preferred regions",
    "excludeRegions": "Excluded regions",
    "includeFamilies": "Only these instance families",
    "excludeFamilies": "Excluded instance families",
    "excludeBurstable": "Leave out burstable types",
    "providers": "Clouds",
    "maxPricePerHour": "Max price ($/hour)",
    "maxInterruptionRate": "Max interruption rate (0–1)",
    "strategy": "Strategy",
    "jobHours": "Job hours",
    "checkpointHours": "Checkpoint interval (hours)",
    "restartOverheadHours": "Restart overhead (hours)",
    "alternatives": "Alternatives",
    "allowStale": "Include stale prices",
}
NUMBERS: Final = (
    "minCPU",
    "minMemoryGB",
    "minGPUMemoryGB",
    "networkBandwidthGbps",
    "maxPricePerHour",
    "maxInterruptionRate",
    "jobHours",
    "checkpointHours",
    "restartOverheadHours",
)
WHOLE: Final = ("gpuCount", "alternatives")
LISTS: Final = (
    "gpuTypes",
    "regions",
    "preferredRegions",
    "excludeRegions",
    "includeFamilies",
    "excludeFamilies",
)
CHECKBOXES: Final = ("excludeBurstable", "allowStale")
FIELDS: Final = tuple(LABELS)
ARCH_CHOICES: Final = (DEFAULT_ARCH, "arm64", ANY_ARCH)
STRATEGY_HELP: Final[dict[str, str]] = {
    "balanced": "price 50 %, availability 30 %, efficiency 20 %; price relative to the cheapest",
    "weighted": "price 50 %, availability 30 %, efficiency 20 %; absolute price (100 − 10 × $/h)",
    "lowest-price": "cheapest first",
    "capacity-optimized": "least likely to be interrupted first",
    "price-capacity-optimized": "cheap among the least interrupted",
    "expected-cost": "lowest expected cost of the whole job (needs job hours)",
}
MAX_TEXT: Final = 512

_SNAKE_TO_FIELD: Final = {snake: camel for camel, snake in CAMEL_REQUIREMENTS.items()} | {
    "min_cpu": "minCPU",
    "gpu": "gpuType",
}


def filter_label(name: str) -> str:
    """The form label of an engine filter (``max_price_per_hour`` or ``maxPricePerHour``)."""
    field_name = _SNAKE_TO_FIELD.get(name, name)
    return LABELS.get(field_name, name.replace("_", " "))


@dataclass(slots=True)
class PlaceForm:
    """What the form shows: the raw values typed, errors per field, and the outcome."""

    values: dict[str, Any]
    submitted: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    requirements: WorkloadRequirements | None = None
    allow_stale: bool = False
    #: The answer: a placement, or why nothing matched.
    placement: Placement | None = None
    no_match: NoCurrentMatch | None = None

    @property
    def gpu_types(self) -> tuple[str, ...]:
        return GPU_IDS

    @property
    def strategies(self) -> tuple[str, ...]:
        return STRATEGIES

    @property
    def providers(self) -> tuple[str, ...]:
        return PROVIDERS

    @property
    def arches(self) -> tuple[str, ...]:
        return ARCH_CHOICES

    @staticmethod
    def ranks_by(strategy: str) -> str:
        """What ``strategy`` ranks by (the result card shows that, not another score)."""
        return STRATEGY_SCORE.get(strategy, "Score")

    @staticmethod
    def band(rate: float | None) -> str:
        return band_label(rate)


#: Labels of the interruption bands price-capacity-optimized ranks by, best first.
BAND_LABELS: Final = (
    f"≤ {BAND_EDGES[0]:.0%}",
    *(f"{low:.0%}–{high:.0%}" for low, high in pairwise(BAND_EDGES)),
    f"> {BAND_EDGES[-1]:.0%}",
    "unknown",
)

#: strategy → what it ranks by, shown on the result card and in the ranking column.
STRATEGY_SCORE: Final[dict[str, str]] = {
    "balanced": "Score",
    "weighted": "Score",
    "lowest-price": "Price",
    "capacity-optimized": "Interruption rate",
    "price-capacity-optimized": "Interruption band",
    "expected-cost": "Expected cost",
}


def band_label(rate: float | None) -> str:
    """The interruption band of a monthly rate, e.g. ``5%–10%``."""
    return BAND_LABELS[band_of(rate)]


#: What a checkbox or flag sends when it is on.
TRUE_VALUES: Final = ("1", "true", "on", "yes")


def one_value(query: Mapping[str, Sequence[str]], name: str) -> str:
    """A field's last value, stripped and bounded ("" when absent)."""
    values = query.get(name) or []
    return values[-1].strip()[:MAX_TEXT] if values else ""


def parse_fields(
    values: Mapping[str, Any],
    errors: dict[str, str],
    *,
    labels: Mapping[str, str],
    whole: Sequence[str],
) -> dict[str, Any]:
    """The typed values as a requirements mapping; a field that is not a number → ``errors``.

    Shared by the placement and fleet forms: numbers (``whole`` ones as int), comma
    lists, providers, GPU model, strategy and architecture.
    """
    data: dict[str, Any] = {}
    for name in (*NUMBERS, *whole):
        text = values[name]
        if text == "":
            continue
        try:
            number = float(text)
        except ValueError:
            errors[name] = f"{labels[name]}: “{text}” is not a number"
            continue
        data[name] = int(number) if name in whole and number.is_integer() else number
    for name in LISTS:
        data[name] = [part.strip() for part in values[name].split(",") if part.strip()]
    data["providers"] = values["providers"]
    if values["gpuType"]:
        data["gpuType"] = values["gpuType"]
    data["strategy"] = values["strategy"]
    data["arch"] = values["arch"]
    return data


def read_form(query: Mapping[str, Sequence[str]]) -> PlaceForm:
    """Parse the query string; ``submitted`` is false when no field was sent."""
    values: dict[str, Any] = {
        name: one_value(query, name) for name in FIELDS if name != "providers"
    }
    values["providers"] = [p for p in query.get("providers", []) if p]
    for name in CHECKBOXES:
        values[name] = one_value(query, name) in TRUE_VALUES
    if not values["strategy"]:
        values["strategy"] = "balanced"
    if not values["arch"]:
        values["arch"] = DEFAULT_ARCH
    form = PlaceForm(values=values, submitted=any(name in query for name in FIELDS))
    if not form.submitted:
        values["alternatives"] = "3"
        return form
    data = parse_fields(values, form.errors, labels=LABELS, whole=WHOLE)
    data["excludeBurstable"] = values["excludeBurstable"]
    form.allow_stale = values["allowStale"]
    if form.errors:
        return form
    try:
        form.requirements = WorkloadRequirements.from_mapping(data)
    except ValidationError as exc:
        name = _SNAKE_TO_FIELD.get(exc.field, exc.field)
        label = LABELS.get(name, name)
        form.errors[name if name in LABELS else "form"] = f"{label}: {exc.reason}"
    return form


def run_placement(service: Service, form: PlaceForm) -> PlaceForm:
    """Ask the service for the decision (the same call the API makes)."""
    if form.requirements is None:
        return form
    try:
        form.placement = service.place(form.requirements, allow_stale=form.allow_stale)
    except NoCurrentMatch as exc:
        form.no_match = exc
    return form
