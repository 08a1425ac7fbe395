"""``spotarb place``: where should this workload run right now?"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from spotarb.cli.common import (
    DbOption,
    JsonOption,
    age,
    cli_errors,
    console,
    fail,
    money,
    percent,
    print_json,
    table,
)
from spotarb.cli.requirements import (
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
from spotarb.placement import STRATEGIES, PlacementDecision, WorkloadRequirements
from spotarb.serving.placing import NoCurrentMatch, decide


@cli_errors
def place_command(
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
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of: {', '.join(STRATEGIES)}.")
    ] = "balanced",
    alternatives: Annotated[
        int, typer.Option("--alternatives", help="How many runners-up (0-50).")
    ] = 3,
    job_hours: JobHoursOption = None,
    checkpoint_hours: CheckpointHoursOption = None,
    restart_overhead: RestartOverheadOption = 0.1,
    max_age: MaxAgeOption = None,
    allow_stale: AllowStaleOption = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pick where a workload should run now, with alternatives and the reasons.

    Only fresh prices are used (each feed's max age, as the service does) unless
    ``--allow-stale``.
    """
    options = requirement_options(locals())
    now = datetime.now(UTC)
    try:
        fields = requirement_fields(now, **options)
        req = WorkloadRequirements(
            **fields,
            strategy=strategy,  # type: ignore[arg-type]  # validated by the model
            alternatives=alternatives,
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    snapshots = current_snapshots(db)
    try:
        decision = decide(snapshots, req, allow_stale=allow_stale, now=now).decision
    except NoCurrentMatch as exc:
        raise fail(f"{exc}{stale_hint(exc.stale_rows_excluded)}") from None
    if as_json:
        print_json(decision.to_camel())
        return
    show(decision)
    if snapshots.stale_excluded(allow_stale):
        console.print(
            f"{snapshots.stale_rows} stale prices excluded (--allow-stale to use them).",
            highlight=False,
        )


def show(decision: PlacementDecision) -> None:
    expected = decision.expected_cost is not None
    columns = ["#", "provider", "region", "zone", "instance type", "arch", "vCPU", "mem GiB"]
    columns += ["GPUs"]
    columns += ["$/h", "savings", "interrupt", "score"]
    if expected:
        columns += ["exp. hours", "$ expected"]
    rows = []
    for d in (decision, *decision.alternatives):
        gpus = f"{d.gpu_count}× {d.gpu_type}" if d.gpu_count else "-"
        row = [
            d.rank,
            d.provider,
            d.region,
            d.availability_zone or "-",
            d.instance_type,
            d.arch,
            f"{d.vcpu:g}",
            f"{d.memory_gb:g}",
            gpus,
            money(d.price_per_hour),
            "-" if d.savings_pct is None else f"{d.savings_pct:.0f}%",
            percent(d.interruption_rate) if d.interruption_rate is not None else "unknown",
            f"{d.score:.1f}",
        ]
        if expected:
            row += [f"{d.expected_hours:.2f}", money(d.expected_cost)]
        rows.append(row)
    console.print(
        f"[bold]Best:[/] {decision.provider} {decision.instance_type} in "
        f"{decision.availability_zone or decision.region} ({decision.arch}) at "
        f"${decision.price_per_hour:.4f}/h (strategy {decision.strategy})",
        highlight=False,
    )
    console.print(table(None, columns, rows))
    summary = decision.summary
    if summary is not None:
        removed = ", ".join(
            f"{count} by {name}"
            for name, count in summary.removed_by.items()
            if count and name != "preferred_regions"
        )
        preference = summary.region_preference.replace("-", " ")
        if summary.region_preference == "applied":
            preference += f" ({summary.removed_by.get('preferred_regions', 0)} elsewhere dropped)"
        console.print(
            f"{summary.candidates_considered} prices considered"
            f"{f'; removed {removed}' if removed else ''}; {summary.matched} matched; "
            f"region preference: {preference}; {summary.candidates} candidates ranked.",
            highlight=False,
        )
    console.print(f"Best price collected {age(decision.collected_at)}.", highlight=False)
    for note in decision.notes:
        console.print(f"note: {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("place")(place_command)
