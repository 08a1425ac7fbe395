"""``spotarb place``: where should this workload run right now?"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from spotarb.cli.common import (
    EXIT_INVALID,
    DbOption,
    JsonOption,
    age,
    cli_errors,
    console,
    fail,
    money,
    parse_since,
    percent,
    print_json,
    settings_for,
    split_list,
    store_for,
    table,
)
from spotarb.core.errors import ValidationError
from spotarb.placement import STRATEGIES, PlacementDecision, WorkloadRequirements
from spotarb.serving.placing import NoCurrentMatch, decide
from spotarb.serving.snapshot_builder import load_snapshots
from spotarb.serving.staleness import StalenessPolicy

#: Requirement field → the flag that sets it, so errors name what the user typed.
FLAGS = {
    "min_cpu": "--cpu",
    "min_memory_gb": "--memory",
    "gpu_count": "--gpus",
    "gpu_type": "--gpu-type",
    "regions": "--regions",
    "preferred_regions": "--prefer-regions",
    "exclude_regions": "--exclude-regions",
    "min_gpu_memory_gb": "--min-gpu-memory",
    "gpu_types": "--gpu-types",
    "include_families": "--include-families",
    "exclude_families": "--exclude-families",
    "exclude_burstable": "--exclude-burstable",
    "arch": "--arch",
    "max_price_per_hour": "--max-price",
    "max_interruption_rate": "--max-interruption",
    "network_bandwidth_gbps": "--min-bandwidth",
    "providers": "--providers",
    "strategy": "--strategy",
    "alternatives": "--alternatives",
    "job_hours": "--job-hours",
    "checkpoint_hours": "--checkpoint-hours",
    "restart_overhead_hours": "--restart-overhead",
    "not_older_than": "--max-age",
    "since": "--max-age",
}


@cli_errors
def place_command(
    cpu: Annotated[float, typer.Option("--cpu", help="Minimum vCPUs.")] = 0,
    memory: Annotated[float, typer.Option("--memory", help="Minimum memory, GiB.")] = 0,
    gpus: Annotated[int | None, typer.Option("--gpus", help="Minimum GPU count.")] = None,
    gpu_type: Annotated[
        str | None, typer.Option("--gpu-type", help="GPU model, e.g. a100, h100, t4.")
    ] = None,
    gpu_types: Annotated[
        str | None,
        typer.Option("--gpu-types", help="Any of these GPU models (comma list), e.g. a100,h100."),
    ] = None,
    min_gpu_memory: Annotated[
        float | None, typer.Option("--min-gpu-memory", help="Minimum memory per GPU, GiB.")
    ] = None,
    regions: Annotated[
        str | None,
        typer.Option(
            "--regions",
            help="Only these regions (comma list): names, globs (europe-*) or groups (geo:eu).",
        ),
    ] = None,
    prefer_regions: Annotated[
        str | None,
        typer.Option(
            "--prefer-regions",
            help="Prefer these regions, fall back to others (same patterns as --regions).",
        ),
    ] = None,
    exclude_regions: Annotated[
        str | None,
        typer.Option("--exclude-regions", help="Never these regions (same patterns)."),
    ] = None,
    include_families: Annotated[
        str | None,
        typer.Option(
            "--include-families",
            help="Only these instance families or types (globs, comma list), e.g. m5,c6i*.",
        ),
    ] = None,
    exclude_families: Annotated[
        str | None,
        typer.Option(
            "--exclude-families", help="Never these families or types (globs), e.g. t2*,*.metal."
        ),
    ] = None,
    exclude_burstable: Annotated[
        bool,
        typer.Option(
            "--exclude-burstable",
            help="Leave out burstable types (AWS t*, Azure B-series, GCP shared-core).",
        ),
    ] = False,
    arch: Annotated[
        str, typer.Option("--arch", help="x86_64 (default), arm64, or any.")
    ] = "x86_64",
    max_price: Annotated[float | None, typer.Option("--max-price", help="$/h cap.")] = None,
    max_interruption: Annotated[
        float | None,
        typer.Option("--max-interruption", help="Max monthly interruption rate, 0..1."),
    ] = None,
    min_bandwidth: Annotated[
        float | None, typer.Option("--min-bandwidth", help="Minimum network Gbps.")
    ] = None,
    providers: Annotated[
        str | None, typer.Option("--providers", help="Allowed providers (comma list).")
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of: {', '.join(STRATEGIES)}.")
    ] = "balanced",
    alternatives: Annotated[
        int, typer.Option("--alternatives", help="How many runners-up (0-50).")
    ] = 3,
    job_hours: Annotated[
        float | None, typer.Option("--job-hours", help="Job length (expected-cost).")
    ] = None,
    checkpoint_hours: Annotated[
        float | None, typer.Option("--checkpoint-hours", help="Checkpoint interval, hours.")
    ] = None,
    restart_overhead: Annotated[
        float, typer.Option("--restart-overhead", help="Hours lost per restart.")
    ] = 0.1,
    max_age: Annotated[
        str | None,
        typer.Option("--max-age", help="Ignore prices collected longer ago (e.g. 2h, 30m)."),
    ] = None,
    allow_stale: Annotated[
        bool,
        typer.Option(
            "--allow-stale", help="Use prices older than their feed's max age too (see README)."
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pick where a workload should run now, with alternatives and the reasons.

    Only fresh prices are used (each feed's max age, as the service does) unless
    ``--allow-stale``.
    """
    now = datetime.now(UTC)
    try:
        req = WorkloadRequirements(
            min_cpu=cpu,
            min_memory_gb=memory,
            gpu_count=gpus,
            gpu_type=gpu_type,
            regions=split_list(regions),
            preferred_regions=split_list(prefer_regions),
            exclude_regions=split_list(exclude_regions),
            gpu_types=split_list(gpu_types),
            min_gpu_memory_gb=min_gpu_memory,
            include_families=split_list(include_families),
            exclude_families=split_list(exclude_families),
            exclude_burstable=exclude_burstable,
            arch=arch,
            max_price_per_hour=max_price,
            max_interruption_rate=max_interruption,
            network_bandwidth_gbps=min_bandwidth,
            providers=split_list(providers),
            strategy=strategy,  # type: ignore[arg-type]  # validated by the model
            alternatives=alternatives,
            job_hours=job_hours,
            checkpoint_hours=checkpoint_hours,
            restart_overhead_hours=restart_overhead,
            not_older_than=parse_since(max_age, now) if max_age else None,
        )
    except ValidationError as exc:
        flag = FLAGS.get(exc.field, exc.field)
        raise fail(f"{flag}: {exc.reason} (got {exc.value!r})", EXIT_INVALID) from None
    settings = settings_for(db)
    store = store_for(db)
    try:
        snapshots = load_snapshots(store, StalenessPolicy.from_settings(settings))
    finally:
        store.close()
    try:
        decision = decide(snapshots, req, allow_stale=allow_stale, now=now).decision
    except NoCurrentMatch as exc:
        hint = ""
        if exc.stale_could_help:
            hint = (
                f" ({exc.stale_rows_excluded} older prices were excluded as stale; "
                "pass --allow-stale to use them)"
            )
        raise fail(f"{exc}{hint}") from None
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
