"""Feed commands: feeds (status), collect (run feeds once)."""

from __future__ import annotations

from typing import Annotated

import typer

from spotarb.cli.common import (
    EXIT_FAILED,
    DbOption,
    JsonOption,
    cli_errors,
    console,
    err_console,
    parse_since,
    print_json,
    settings_for,
    split_list,
    table,
)
from spotarb.core.errors import ConfigError
from spotarb.core.http import OutboundClients
from spotarb.feeds.base import FEED_REGISTRY, ProgressEvent, feed_statuses
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.collect import run_feeds
from spotarb.store import open_store

_MARK = {"start": "…", "done": "[green]✓[/]", "error": "[red]✗[/]", "info": "·"}


@cli_errors
def feeds_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show each feed: enabled, configured, and why not."""
    settings = settings_for(db)
    statuses = feed_statuses(settings, OutboundClients(settings))
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "enabled": s.enabled,
                    "configured": s.configured,
                    "reason": s.reason,
                    "description": s.description,
                }
                for s in statuses
            ]
        )
        return
    console.print(
        table(
            None,
            ["feed", "enabled", "configured", "details"],
            (
                (
                    s.name,
                    "yes" if s.enabled else "no",
                    "[green]yes[/]" if s.configured else "[red]no[/]",
                    s.description if s.configured else s.reason,
                )
                for s in statuses
            ),
        )
    )


def _show_progress(event: ProgressEvent) -> None:
    if event.status == "start":
        return
    detail = f"{event.rows} rows" if event.status == "done" else event.message
    err_console.print(
        f"{_MARK[event.status]} {event.feed:<5} {event.region:<24} {detail}",
        highlight=False,
    )


@cli_errors
def collect_command(
    feed: Annotated[
        list[str] | None,
        typer.Option(
            "--feed",
            "-f",
            metavar="FEEDS",
            help=f"Feeds to run, comma list ({','.join(FEED_REGISTRY)}); default: enabled ones.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Also backfill history from then on: 7d, 12h or ISO time."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the configured feeds once and store their prices."""
    settings = settings_for(db)
    names = [name for value in feed or [] for name in split_list(value)]
    for name in names:
        if name not in FEED_REGISTRY:
            raise ConfigError(f"unknown feed {name!r}; known: {', '.join(FEED_REGISTRY)}")
    store = open_store(settings.db)
    outcomes = run_feeds(
        list(dict.fromkeys(names)),
        settings,
        OutboundClients(settings),
        Aggregator(store),
        since=parse_since(since) if since else None,
        progress=_show_progress,
    )
    if as_json:
        print_json(
            [
                {
                    "feed": o.feed,
                    "status": o.status,
                    "reason": o.reason,
                    "regionErrors": o.region_errors,
                    "rowsSeen": o.report.stats.rows_seen if o.report else 0,
                    "inserted": o.report.stats.inserted if o.report else 0,
                    "changed": o.report.stats.changed if o.report else 0,
                    "unchanged": o.report.stats.unchanged if o.report else 0,
                    "historyAdded": o.report.stats.history_added if o.report else 0,
                }
                for o in outcomes
            ]
        )
    else:
        console.print(
            table(
                f"Collected into {store.url}",
                ["feed", "status", "seen", "inserted", "changed", "unchanged", "history", "notes"],
                (
                    (
                        o.feed,
                        o.status,
                        o.report.stats.rows_seen if o.report else 0,
                        o.report.stats.inserted if o.report else 0,
                        o.report.stats.changed if o.report else 0,
                        o.report.stats.unchanged if o.report else 0,
                        o.report.stats.history_added if o.report else 0,
                        o.reason
                        or (f"{len(o.region_errors)} region errors" if o.region_errors else ""),
                    )
                    for o in outcomes
                ),
            )
        )
        for o in outcomes:
            for error in o.region_errors[:20]:
                err_console.print(f"[yellow]{o.feed}[/] {error}", highlight=False, soft_wrap=True)
    failed = [o for o in outcomes if o.status == "failed" or (names and o.status == "skipped")]
    if failed:
        raise typer.Exit(EXIT_FAILED)
