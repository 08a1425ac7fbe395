"""Prometheus metrics of one service instance (its own registry: no import-time globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from spotarb.ingest.collect import FeedOutcome

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _Live(Collector):
    """Values read at scrape time (cache counters, data age, snapshot sizes)."""

    def __init__(self, read: Callable[[], Iterable[Metric]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        return self._read()


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.feed_runs = Counter(
            "spotarb_feed_runs", "Feed runs by outcome.", ["feed", "status"], registry=r
        )
        self.feed_duration = Histogram(
            "spotarb_feed_run_duration_seconds",
            "Wall time of one feed run.",
            ["feed"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self.feed_rows = Counter(
            "spotarb_feed_rows", "Rows written by feed runs.", ["feed"], registry=r
        )
        self.feed_errors = Counter(
            "spotarb_feed_errors",
            "Failed feed runs and per-region errors.",
            ["feed", "region"],
            registry=r,
        )
        self.request_latency = Histogram(
            "spotarb_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )

    def add_live(self, read: Callable[[], Iterable[Metric]]) -> None:
        self.registry.register(_Live(read))

    def record_run(self, outcome: FeedOutcome, seconds: float) -> None:
        self.feed_runs.labels(outcome.feed, outcome.status).inc()
        if outcome.status == "skipped":
            return
        self.feed_duration.labels(outcome.feed).observe(seconds)
        if outcome.report is not None:
            self.feed_rows.labels(outcome.feed).inc(outcome.report.stats.rows_seen)
        if outcome.status == "failed" and not outcome.region_errors:
            self.feed_errors.labels(outcome.feed, "*").inc()
        for error in outcome.region_errors:
            region = error.split(":", 1)[0].strip()[:64] or "*"
            self.feed_errors.labels(outcome.feed, region).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def counter(
    name: str, doc: str, labels: list[str], values: Iterable[tuple[list[str], float]]
) -> Metric:
    family = CounterMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family


def gauge(
    name: str, doc: str, labels: list[str], values: Iterable[tuple[list[str], float]]
) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family
