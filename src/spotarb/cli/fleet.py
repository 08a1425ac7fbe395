"""``spotarb fleet``: spread N instances (or a vCPU/GPU target) over pools across clouds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from spotarb.cli.common import (
    DbOption,
    JsonOption,
    cli_errors,
    console,
    fail,
    money,
    percent,
    print_json,
    table,
)
from spotarb.cli.requirements import (
    FLAGS,
    AllowStaleOption,
    ArchOption,
    CheckpointHoursOption,
    CpuOption,
    ExcludeBurstableOption,
    ExcludeFamiliesOption,
    ExcludeRegionsOption,
    GpusOption,
    GpuTypeOption,
    GpuTypesOption,
    IncludeFamiliesOption,
    JobHoursOption,
    MaxAgeOption,
    MaxInterruptionOption,
    MaxPriceOption,
    MemoryOption,
    MinBandwidthOption,
    MinGpuMemoryOption,
    PreferRegionsOption,
    ProvidersOption,
    RegionsOption,
    RestartOverheadOption,
    current_snapshots,
    invalid,
    requirement_fields,
    requirement_options,
    stale_hint,
)
from spotarb.core.errors import ValidationError
from spotarb.placement import FleetPlan, FleetRequirements, WorkloadRequirements
from spotarb.placement.fleet_model import FLEET_STRATEGIES
from spotarb.placement.requirements import Strategy
from spotarb.serving.fleets import NoCurrentFleet, plan_on

FLEET_FLAGS = FLAGS | {
    "count": "--count",
    "target_vcpu": "--target-vcpu",
    "target_gpus": "--target-gpus",
    "max_per_pool": "--max-per-pool",
    "max_per_region": "--max-per-region",
    "max_per_provider": "--max-per-provider",
    "same_region": "--same-region",
    "same_zone": "--same-zone",
}


@cli_errors
def fleet_command(
    count: Annotated[int | None, typer.Option("--count", help="Instances in the fleet.")] = None,
    target_vcpu: Annotated[
        int | None, typer.Option("--target-vcpu", help="Total vCPUs instead of a count.")
    ] = None,
    target_gpus: Annotated[
        int | None, typer.Option("--target-gpus", help="Total GPUs instead of a count.")
    ] = None,
    max_per_pool: Annotated[
        int | None,
        typer.Option("--max-per-pool", help="Instances per pool (default: a quarter)."),
    ] = None,
    max_per_region: Annotated[
        int | None, typer.Option("--max-per-region", help="Instances per region.")
    ] = None,
    max_per_provider: Annotated[
        int | None, typer.Option("--max-per-provider", help="Instances per cloud.")
    ] = None,
    same_region: Annotated[
        bool, typer.Option("--same-region", help="All instances in one region.")
    ] = False,
    same_zone: Annotated[
        bool, typer.Option("--same-zone", help="All instances in one zone.")
    ] = False,
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of: {', '.join(FLEET_STRATEGIES)}.")
    ] = "lowest-price",
    cpu: CpuOption = 0,
    memory: MemoryOption = 0,
    gpus: GpusOption = None,
    gpu_type: GpuTypeOption = None,
    gpu_types: GpuTypesOption = None,
    min_gpu_memory: MinGpuMemoryOption = None,
    regions: RegionsOption = None,
    prefer_regions: PreferRegionsOption = None,
    exclude_regions: ExcludeRegionsOption = None,
    include_families: IncludeFamiliesOption = None,
    exclude_families: ExcludeFamiliesOption = None,
    exclude_burstable: ExcludeBurstableOption = False,
    arch: ArchOption = "x86_64",
    max_price: MaxPriceOption = None,
    max_interruption: MaxInterruptionOption = None,
    min_bandwidth: MinBandwidthOption = None,
    providers: ProvidersOption = None,
    job_hours: JobHoursOption = None,
    checkpoint_hours: CheckpointHoursOption = None,
    restart_overhead: RestartOverheadOption = 0.1,
    max_age: MaxAgeOption = None,
    allow_stale: AllowStaleOption = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Plan a fleet across clouds: instances per pool, totals, and the caps that bind.

    Only fresh prices are used (each feed's max age, as the service does) unless
    ``--allow-stale``.
    """
    options = requirement_options(locals())
    now = datetime.now(UTC)
    try:
        fields = requirement_fields(now, **options)
        per_instance: Strategy = "expected-cost" if strategy == "expected-cost" else "lowest-price"
        freq = FleetRequirements(
            workload=WorkloadRequirements(**fields, strategy=per_instance),
            count=count,
            target_vcpu=target_vcpu,
            target_gpus=target_gpus,
            max_per_pool=max_per_pool,
            max_per_region=max_per_region,
            max_per_provider=max_per_provider,
            same_region=same_region,
            same_zone=same_zone,
            strategy=strategy,  # type: ignore[arg-type]  # validated by the model
        )
    except ValidationError as exc:
        raise invalid(exc, FLEET_FLAGS) from None
    snapshots = current_snapshots(db)
    try:
        fleet = plan_on(snapshots, freq, allow_stale=allow_stale, now=now).plan
    except NoCurrentFleet as exc:
        raise fail(f"{exc}{stale_hint(exc.stale_rows_excluded)}") from None
    if as_json:
        print_json(fleet.to_camel())
        return
    show(fleet)
    if snapshots.stale_excluded(allow_stale):
        console.print(
            f"{snapshots.stale_rows} stale prices excluded (--allow-stale to use them).",
            highlight=False,
        )


def show(fleet: FleetPlan) -> None:
    expected = fleet.expected_cost is not None
    columns = ["provider", "region", "zone", "instance type", "#", "vCPU", "GPUs", "$/h each"]
    columns += ["$/h", "savings", "interrupt"]
    if expected:
        columns += ["$ expected"]
    rows = []
    for a in fleet.allocations:
        od = a.on_demand_price_per_hour
        row = [
            a.provider,
            a.region,
            a.availability_zone or "-",
            a.instance_type,
            a.count,
            f"{a.vcpu:g}",
            f"{a.gpu_count}× {a.gpu_type}" if a.gpu_count else "-",
            money(a.price_per_hour),
            money(a.count * a.price_per_hour),
            "-" if not od else f"{100 * (1 - a.price_per_hour / od):.0f}%",
            percent(a.interruption_rate) if a.interruption_rate is not None else "unknown",
        ]
        if expected:
            row.append(money(a.expected_cost))
        rows.append(row)
    console.print(
        f"[bold]Fleet:[/] {fleet.instances} instances ({fleet.vcpus:g} vCPU"
        f"{f', {fleet.gpus} GPUs' if fleet.gpus else ''}) in {fleet.pools} pools, "
        f"{fleet.regions} regions, {fleet.providers} clouds (strategy {fleet.strategy})",
        highlight=False,
    )
    console.print(table(None, columns, rows))
    savings = "" if fleet.savings_percent is None else f" ({fleet.savings_percent:.0f}% saved"
    on_demand = fleet.total_on_demand_per_hour
    if on_demand is not None:
        savings += f" vs ${on_demand:.2f}/h on demand)"
    console.print(
        f"Total ${fleet.total_price_per_hour:.4f}/h{savings}; "
        f"expected interruptions {fleet.expected_interruptions_per_hour:.4f}/h"
        + (
            f"; expected cost ${fleet.expected_cost:.2f}" if fleet.expected_cost is not None else ""
        ),
        highlight=False,
    )
    summary = fleet.summary
    removed = ", ".join(f"{n} by {name}" for name, n in summary.removed_by.items() if n)
    console.print(
        f"{summary.candidates_considered} prices considered"
        f"{f'; removed {removed}' if removed else ''}; {summary.candidates} pools eligible.",
        highlight=False,
    )
    for note in fleet.notes:
        console.print(f"note: {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("fleet")(fleet_command)
