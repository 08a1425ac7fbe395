"""The fleet form: query string → fleet requirements, one readable error per field.

Like the placement form it submits with GET, so the URL is the whole query. The
values are checked by :class:`~spotarb.placement.FleetRequirements` (the model the
CLI and the JSON API use) and its errors are mapped back to form fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from spotarb.core.errors import ValidationError
from spotarb.core.gpus import GPU_IDS
from spotarb.core.models import PROVIDERS
from spotarb.placement import FleetPlan, FleetRequirements
from spotarb.placement.fleet_model import CAMEL_FLEET, FLEET_STRATEGIES
from spotarb.placement.requirements import CAMEL_REQUIREMENTS, DEFAULT_ARCH
from spotarb.serving.fleets import NoCurrentFleet
from spotarb.serving.service import Service
from spotarb.web import placeform

LABELS: Final[dict[str, str]] = {
    "count": "Instances",
    "targetVCPU": "or total vCPUs",
    "targetGPUs": "or total GPUs",
    "maxPerPool": "Max per pool",
    "maxPerRegion": "Max per region",
    "maxPerProvider": "Max per cloud",
    "sameRegion": "All in one region",
    "sameZone": "All in one zone",
} | {k: v for k, v in placeform.LABELS.items() if k != "alternatives"}
#: Whole-number fields: the fleet's, and the placement form's per-instance ones.
WHOLE: Final = (
    "count", "targetVCPU", "targetGPUs", "maxPerPool", "maxPerRegion", "maxPerProvider",
    *(name for name in placeform.WHOLE if name != "alternatives"),
)  # fmt: skip
FLAGS: Final = ("sameRegion", "sameZone", *placeform.CHECKBOXES)
FIELDS: Final = tuple(LABELS)
STRATEGY_HELP: Final[dict[str, str]] = {
    "lowest-price": "lowest total $/hour under the caps",
    "expected-cost": "lowest total expected cost of the job (needs job hours)",
    "price-capacity-optimized": "least interrupted band first, then price",
    "diversified": "one instance per pool per round, cheapest pools first",
}
_SNAKE_TO_FIELD: Final = (
    {snake: camel for camel, snake in CAMEL_REQUIREMENTS.items()}
    | {snake: camel for camel, snake in CAMEL_FLEET.items()}
    | {"min_cpu": "minCPU", "gpu": "gpuType"}
)


def filter_label(name: str) -> str:
    """The form label of an engine filter or fleet field (snake_case or camelCase)."""
    field_name = _SNAKE_TO_FIELD.get(name, name)
    return LABELS.get(field_name, name.replace("_", " "))


@dataclass(slots=True)
class FleetForm:
    """The raw values typed, errors per field, and the plan (or why there is none)."""

    values: dict[str, Any]
    submitted: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    requirements: FleetRequirements | None = None
    allow_stale: bool = False
    status: int | None = None
    plan: FleetPlan | None = None
    #: When there is no plan: detail, and the blocking filter or the binding cap.
    problem: dict[str, Any] | None = None

    @property
    def gpu_types(self) -> tuple[str, ...]:
        return GPU_IDS

    @property
    def strategies(self) -> tuple[str, ...]:
        return FLEET_STRATEGIES

    @property
    def providers(self) -> tuple[str, ...]:
        return PROVIDERS

    @property
    def arches(self) -> tuple[str, ...]:
        return placeform.ARCH_CHOICES

    @property
    def chart(self) -> dict[str, Any] | None:
        """Instances per pool, coloured by cloud (what ``dashboard.js`` draws)."""
        if self.plan is None:
            return None
        bars = [
            {
                "label": f"{a.instance_type} · {a.availability_zone or a.region}",
                "provider": a.provider,
                "value": a.count,
                "pricePerHour": a.price_per_hour,
            }
            for a in self.plan.allocations
        ]
        present = {a.provider for a in self.plan.allocations}
        return {
            "kind": "fleet",
            "title": "Instances per pool",
            "bars": bars,
            "providers": [p for p in PROVIDERS if p in present],
        }


def read_form(query: Mapping[str, Sequence[str]]) -> FleetForm:
    """Parse the query string; ``submitted`` is false when no field was sent."""
    values: dict[str, Any] = {
        name: placeform.one_value(query, name)
        for name in FIELDS
        if name not in ("providers", *FLAGS)
    }
    values["providers"] = [p for p in query.get("providers", []) if p]
    for name in FLAGS:
        values[name] = placeform.one_value(query, name) in placeform.TRUE_VALUES
    if not values["strategy"]:
        values["strategy"] = "lowest-price"
    if not values["arch"]:
        values["arch"] = DEFAULT_ARCH
    form = FleetForm(values=values, submitted=any(name in query for name in FIELDS))
    if not form.submitted:
        values["count"] = "8"
        return form
    data = placeform.parse_fields(values, form.errors, labels=LABELS, whole=WHOLE)
    for name in FLAGS:
        if name != "allowStale":
            data[name] = values[name]
    form.allow_stale = values["allowStale"]
    if form.errors:
        return form
    try:
        form.requirements = FleetRequirements.from_mapping(data)
    except ValidationError as exc:
        name = _SNAKE_TO_FIELD.get(exc.field, exc.field)
        label = LABELS.get(name, name)
        form.errors[name if name in LABELS else "form"] = f"{label}: {exc.reason}"
    return form


def run_fleet(service: Service, form: FleetForm) -> FleetForm:
    """Ask the service for the plan; a failure becomes the explanation shown."""
    if form.requirements is None:
        return form
    try:
        answer = service.plan_fleet(form.requirements, allow_stale=form.allow_stale)
    except NoCurrentFleet as exc:
        form.status = 404
        detail = str(exc)
        if exc.stale_could_help:
            detail += (
                f" ({exc.stale_rows_excluded} older prices were excluded as stale; "
                "tick “Include stale prices” to use them)"
            )
        problem: dict[str, Any] = {"detail": detail, "removedBy": {}}
        infeasible, no_match = exc.infeasible, exc.no_match
        if infeasible is not None:
            problem |= {"binding": infeasible.binding, "largest": infeasible.largest}
            problem |= {"unit": infeasible.unit, "removedBy": infeasible.removed_by}
        elif no_match is not None:
            problem |= {"blocking": no_match.blocking_filter, "removedBy": no_match.removed_by}
        form.problem = problem
    else:
        form.plan = answer.plan
        form.status = 200
    return form
