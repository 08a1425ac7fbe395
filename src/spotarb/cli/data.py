"""Data commands: import, export, prices, db info."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated

import typer

from spotarb.cli.common import (
    EXIT_INVALID,
    DbOption,
    JsonOption,
    age,
    cli_errors,
    console,
    err_console,
    fail,
    money,
    percent,
    print_json,
    split_list,
    store_for,
    table,
)
from spotarb.core.errors import DataFileError, DiskFullError
from spotarb.core.gpus import require_gpu
from spotarb.core.rows import PriceBatch
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.dataio import (
    Format,
    ParsedFile,
    describe_errors,
    parse_file,
    write_csv,
    write_jsonl,
)
from spotarb.store import PriceFilter

db_app = typer.Typer(help="Inspect the database.", no_args_is_help=True, rich_markup_mode=None)


@cli_errors
def import_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON Lines files to import.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good rows and report the bad ones.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import normalized rows from CSV or JSON Lines (all-or-nothing unless --skip-invalid)."""
    parsed = ParsedFile()
    batches = []
    for path in files:
        one = parse_file(path)
        parsed.rows_read += one.rows_read
        batches.append(one.prices)
        parsed.errors.extend(one.errors)
        parsed.flags.merge(one.flags)
    parsed.prices = PriceBatch.concat(batches)
    if parsed.errors and not skip_invalid:
        for line in describe_errors(parsed.errors):
            err_console.print(line, highlight=False, soft_wrap=True, markup=False)
        raise fail(
            f"import refused: {len(parsed.errors)} of {parsed.rows_read} rows are invalid; "
            "nothing was written (use --skip-invalid to import the valid rows)",
            EXIT_INVALID,
        )
    if parsed.errors:
        for line in describe_errors(parsed.errors):
            err_console.print(f"skipped {line}", highlight=False, soft_wrap=True, markup=False)
    if not parsed.prices:
        raise DataFileError("no valid rows to import")
    store = store_for(db, create=True)
    # The aggregator keeps the newest row per key and files older ones as history.
    report = Aggregator(store).write("import", parsed.prices)
    history = report.duplicates
    s = report.stats
    flags = parsed.flags
    summary = {
        "rowsRead": parsed.rows_read,
        "invalid": len(parsed.errors),
        "inserted": s.inserted,
        "changed": s.changed,
        "unchanged": s.unchanged,
        "historyAdded": s.history_added,
        "unknownGpu": {"rows": flags.unknown_gpu.rows, "first": flags.unknown_gpu.first},
        "spotAboveOnDemand": {
            "rows": flags.above_on_demand.rows,
            "first": flags.above_on_demand.first,
        },
        "database": store.url,
    }
    if as_json:
        print_json(summary)
        return
    repeated = (
        f"; {history} {_rows(history)} repeated a key (the newest "
        "observation of each key is current, older ones are history)"
    )
    unknown = (
        f"; {flags.unknown_gpu.rows} {_rows(flags.unknown_gpu.rows)} with a GPU the "
        "vocabulary does not know, stored as unknown:<name> "
        f"(first: {flags.unknown_gpu.first})"
    )
    above = (
        f"; {flags.above_on_demand.rows} {_rows(flags.above_on_demand.rows)} with a spot "
        f"price above on-demand, kept (first: {flags.above_on_demand.first})"
    )
    console.print(
        f"Imported into {store.url}: {parsed.rows_read} rows read, {s.inserted} inserted, "
        f"{s.changed} changed, {s.unchanged} unchanged, {s.history_added} history rows added"
        + (f", {len(parsed.errors)} invalid skipped" if parsed.errors else "")
        + (repeated if history else "")
        + (unknown if flags.unknown_gpu.rows else "")
        + (above if flags.above_on_demand.rows else ""),
        highlight=False,
        markup=False,  # file names and GPU names are shown as they are
        soft_wrap=True,  # one line, for scripts that grep it
    )


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


@cli_errors
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv (default) or jsonl.")] = "csv",
    history: Annotated[
        bool, typer.Option("--history", help="Export every history row instead of current prices.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export current prices (or history) as CSV or JSON Lines that `import` reads back."""
    if fmt not in ("csv", "jsonl"):
        raise fail(f"--format must be csv or jsonl (got {fmt!r})", EXIT_INVALID)
    chosen: Format = "csv" if fmt == "csv" else "jsonl"
    store = store_for(db)
    rows = store.all_history() if history else store.current_prices()
    writer = write_csv if chosen == "csv" else write_jsonl
    if output is None:
        writer(rows, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = writer(rows, handle)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"cannot write {output}") from None
        raise DataFileError(f"{output}: cannot write: {exc.strerror}") from None
    err_console.print(f"Wrote {count} rows to {output}", highlight=False)


@cli_errors
def prices_command(
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="aws, azure, gcp (comma list).")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="Comma list.")] = None,
    instance_type: Annotated[
        str | None, typer.Option("--instance-type", "-t", help="Comma list.")
    ] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="GPU type, e.g. a100, t4.")] = None,
    min_vcpu: Annotated[float | None, typer.Option("--min-vcpu", min=0)] = None,
    min_memory: Annotated[float | None, typer.Option("--min-memory", min=0, help="GiB.")] = None,
    max_price: Annotated[float | None, typer.Option("--max-price", min=0, help="$/h.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="0 = all rows.")] = 50,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (the export format).")] = False,
    db: DbOption = None,
) -> None:
    """List current spot prices, cheapest first."""
    flt = PriceFilter(
        providers=split_list(provider),
        regions=split_list(region),
        instance_types=split_list(instance_type),
        gpu_type=require_gpu(gpu, "gpu") if gpu else None,
        min_vcpu=min_vcpu,
        min_memory_gb=min_memory,
        max_price=max_price,
        limit=limit or None,
    )
    rows = store_for(db).current_prices(flt)
    if as_json:
        print_json([r.to_camel() for r in rows])
        return
    if as_csv:
        write_csv(rows, sys.stdout)
        return
    if not rows:
        console.print("No prices match.")
        return
    console.print(
        table(
            None,
            [
                "provider",
                "region",
                "zone",
                "instance type",
                "vCPU",
                "mem GiB",
                "GPUs",
                "$/h",
                "$/h o-d",
                "savings",
                "interrupt",
                "observed",
            ],
            (
                (
                    r.provider,
                    r.region,
                    r.availability_zone or "-",
                    r.instance_type,
                    f"{r.vcpu:g}",
                    f"{r.memory_gb:g}",
                    f"{r.gpu_count}×{(r.gpu_type or '').removeprefix('nvidia-')}"
                    if r.gpu_count
                    else "-",
                    money(r.price_per_hour),
                    money(r.on_demand_price_per_hour),
                    "-" if r.savings_pct is None else f"{r.savings_pct:.0f}%",
                    percent(r.interruption_rate),
                    age(r.observed_at),
                )
                for r in rows
            ),
        )
    )
    if limit and len(rows) == limit:
        console.print(f"[dim]first {limit} rows; --limit 0 shows all[/]")


@db_app.command("info")
@cli_errors
def db_info_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Database path, schema version, rows per provider, newest observation."""
    info = store_for(db).info()
    if as_json:
        print_json(
            {
                "database": info.url,
                "schemaVersion": info.schema_version,
                "currentRows": info.current_rows,
                "historyRows": info.history_rows,
                "runs": info.runs,
                "providers": [
                    {
                        "provider": p.provider,
                        "rows": p.rows,
                        "newestObservedAt": p.newest_observed_at,
                        "newestCollectedAt": p.newest_collected_at,
                    }
                    for p in info.providers
                ],
            }
        )
        return
    console.print(f"Database:       {info.url}", highlight=False)
    console.print(f"Schema version: {info.schema_version}")
    console.print(
        f"Rows:           {info.current_rows} current, {info.history_rows} history, "
        f"{info.runs} collection runs"
    )
    if info.providers:
        console.print(
            table(
                None,
                ["provider", "rows", "newest observation", "last collected"],
                (
                    (
                        p.provider,
                        p.rows,
                        f"{p.newest_observed_at:%Y-%m-%d %H:%M:%S}Z ({age(p.newest_observed_at)})"
                        if p.newest_observed_at
                        else "-",
                        age(p.newest_collected_at),
                    )
                    for p in info.providers
                ),
            )
        )
