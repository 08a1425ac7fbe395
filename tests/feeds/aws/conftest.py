"""Fixtures for the AWS feed: one moto server for the session, seeded spot prices,
the Spot Advisor and public spot feed served by pytest-httpserver in their wire formats.

moto's own spot prices are a fixed stub, so ``describe_spot_price_history`` is
patched to serve the rows a test seeds, with AWS's StartTime semantics and
pagination, and with per-region faults (sleep, error code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.instances import InstanceResponse
from moto.ec2.responses.spot_instances import SpotInstances
from moto.server import ThreadedMotoServer
from pytest_httpserver import HTTPServer

from spotarb.core.config import Settings, load_settings
from spotarb.core.http import OutboundClients
from spotarb.feeds.aws import AwsFeed
from spotarb.feeds.aws.advisor import ADVISOR_TTL_SECONDS
from spotarb.feeds.aws.pricing import PRICING_TTL_SECONDS
from spotarb.feeds.aws.specs import SPEC_TTL_SECONDS
from spotarb.feeds.ttl import TtlCache

ADVISOR_PATH = "/spot-advisor-data.json"
SPOT_FEED_PATH = "/spot.json"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class SpotSeed:
    """What the patched handler serves: rows per region, page size, faults, a call log."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 1000
    sleep: dict[str, float] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    instance_type_calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.rows.clear()
        self.sleep.clear()
        self.errors.clear()
        self.calls.clear()
        self.page_size = 1000
        self.instance_type_calls = 0
        self.in_flight = self.max_in_flight = 0

    def add(
        self,
        region: str,
        az: str,
        itype: str,
        price: str,
        when: datetime,
        product: str = "Linux/UNIX",
    ) -> None:
        self.rows.setdefault(region, []).append(
            {
                "AvailabilityZone": az,
                "InstanceType": itype,
                "ProductDescription": product,
                "SpotPrice": price,
                "Timestamp": when,
            }
        )

    def calls_for(self, region: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["region"] == region]


SEED = SpotSeed()


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    when = out.get("Timestamp")
    if isinstance(when, datetime):
        out["Timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return out


def _fake_spot_history(self: SpotInstances) -> ActionResult:
    region = self.region
    start = _aware(self._get_param("StartTime"))
    end = _aware(self._get_param("EndTime"))
    products = self._get_param("ProductDescriptions", []) or []
    token = self._get_param("NextToken")
    with SEED.lock:
        SEED.calls.append(
            {
                "region": region,
                "start": start,
                "end": end,
                "products": list(products),
                "token": token,
                "max_results": self._get_param("MaxResults"),
            }
        )
    if region in SEED.sleep:
        with SEED.lock:
            SEED.in_flight += 1
            SEED.max_in_flight = max(SEED.max_in_flight, SEED.in_flight)
        time.sleep(SEED.sleep[region])
        with SEED.lock:
            SEED.in_flight -= 1
    if region in SEED.errors:
        raise EC2ClientError(*SEED.errors[region])
    rows = [
        r
        for r in SEED.rows.get(region, [])
        if not products or r.get("ProductDescription") in products
    ]
    # AWS semantics: every change in [start, end] plus the last change before start per key.
    selected: list[dict[str, Any]] = []
    before: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in rows:
        when = row.get("Timestamp")
        if not isinstance(when, datetime) or start is None:
            selected.append(row)
            continue
        if end is not None and when > end:
            continue
        if when >= start:
            selected.append(row)
        else:
            key = (row.get("AvailabilityZone"), row.get("InstanceType"))
            if key not in before or when > before[key]["Timestamp"]:
                before[key] = row
    selected.extend(before.values())
    offset = int(token or 0)
    page = selected[offset : offset + SEED.page_size]
    body: dict[str, Any] = {"SpotPriceHistory": [_wire(r) for r in page]}
    if offset + SEED.page_size < len(selected):
        body["NextToken"] = str(offset + SEED.page_size)
    return ActionResult(body)


_real_describe_instance_types = InstanceResponse.describe_instance_types


def _counting_describe_instance_types(self: InstanceResponse) -> ActionResult:
    with SEED.lock:
        SEED.instance_type_calls += 1
    return _real_describe_instance_types(self)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    patch = pytest.MonkeyPatch()
    patch.setattr(SpotInstances, "describe_spot_price_history", _fake_spot_history)
    patch.setattr(InstanceResponse, "describe_instance_types", _counting_describe_instance_types)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # Pay moto's first-call cost (~3 s) here, not inside a test with a short read timeout.
    import boto3

    warm = boto3.client(
        "ec2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    warm.describe_instance_types(InstanceTypes=["m5.large"])
    yield url
    server.stop()
    patch.undo()


@pytest.fixture
def seed() -> Iterator[SpotSeed]:
    SEED.reset()
    yield SEED
    SEED.reset()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in the environment: boto3's standard chain finds them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-value")


# --------------------------------------------------------------- wire fixtures
RANGES = [
    {"index": 0, "label": "<5%", "dots": 0, "max": 5},
    {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
    {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
    {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
    {"index": 4, "label": ">20%", "dots": 4, "max": 100},
]


def advisor_payload() -> dict[str, Any]:
    types = {
        "m5.large": {"emr": True, "cores": 2, "ram_gb": 8.0},
        "p4d.24xlarge": {"emr": True, "cores": 96, "ram_gb": 1152.0},
        "g4dn.xlarge": {"emr": True, "cores": 4, "ram_gb": 16.0},
        "c6g.large": {"emr": False, "cores": 2, "ram_gb": 4.0},
        "trn1.2xlarge": {"emr": False, "cores": 8, "ram_gb": 32.0},
        "t3.nano": {"emr": False, "cores": 2, "ram_gb": 0.5},
    }
    linux = {
        "m5.large": {"s": 58, "r": 1},
        "p4d.24xlarge": {"s": 60, "r": 4},
        "g4dn.xlarge": {"s": 70, "r": 0},
        "c6g.large": {"s": 50, "r": 2},
        "trn1.2xlarge": {"s": -62, "r": 3},
        "t3.nano": {"s": 70, "r": 0},
    }
    windows = {"m5.large": {"s": 10, "r": 4}}
    return {
        "global_rate": "<10%",
        "ranges": RANGES,
        "instance_types": types,
        "spot_advisor": {
            region: {"Linux": linux, "Windows": windows}
            for region in ("us-east-1", "us-west-2", "eu-west-1", "af-south-1")
        },
    }


def _size(name: str, linux: str, mswin: str = "N/A*") -> dict[str, Any]:
    return {
        "size": name,
        "valueColumns": [
            {"name": "linux", "prices": {"USD": linux}},
            {"name": "mswin", "prices": {"USD": mswin}},
        ],
    }


def spot_feed_payload() -> dict[str, Any]:
    return {
        "vers": 0.01,
        "config": {
            "rate": "perhr",
            "valueColumns": ["linux", "mswin"],
            "currencies": ["USD"],
            "regions": [
                {
                    "region": "us-east-1",
                    "footnotes": {"*": "notAvailableForCCorCGPU"},
                    "instanceTypes": [
                        {
                            "type": "generalCurrentGen",
                            "sizes": [
                                _size("m5.large", "0.0401", "0.1047"),
                                _size("t3.nano", "9.0E-4", "0.0053"),
                                _size("c6g.large", "0.0281"),
                            ],
                        },
                        {"type": "generalPreviousGen", "sizes": []},
                        {
                            "type": "gpuCurrentGen",
                            "sizes": [
                                _size("g4dn.xlarge", "0.2104", "0.5"),
                                _size("p4d.24xlarge", "N/A*", "N/A*"),
                                _size("zz9.mega", "1.5"),
                            ],
                        },
                    ],
                },
                {
                    "region": "af-south-1",
                    "footnotes": {"*": "notAvailableForCCorCGPU"},
                    "instanceTypes": [
                        {
                            "type": "generalCurrentGen",
                            "sizes": [_size("m5.large", "0.023", "0.1047")],
                        },
                        {
                            "type": "acceleratedCurrentGen",
                            "sizes": [_size("trn1.2xlarge", "0.4")],
                        },
                    ],
                },
            ],
        },
    }


@pytest.fixture
def public_endpoints(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request(ADVISOR_PATH).respond_with_json(advisor_payload())
    httpserver.expect_request(SPOT_FEED_PATH).respond_with_json(spot_feed_payload())
    return httpserver


def feed_settings(httpserver: HTTPServer, moto: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "aws_advisor_url": httpserver.url_for(ADVISOR_PATH),
        "aws_spot_feed_url": httpserver.url_for(SPOT_FEED_PATH),
        "max_retries": 0,
        "read_timeout": 5.0,
        "connect_timeout": 2.0,
    }
    if moto:
        values["aws_endpoint_url"] = moto
    values.update(overrides)
    return load_settings(**values)


def make_feed(settings: Settings, **kwargs: Any) -> AwsFeed:
    """A feed built the way the CLI builds it, with fresh caches."""
    feed = AwsFeed.from_settings(settings, OutboundClients(settings, sleep=lambda s: None))
    feed.spec_cache = kwargs.get("spec_cache") or TtlCache(SPEC_TTL_SECONDS)
    feed.advisor_cache = kwargs.get("advisor_cache") or TtlCache(ADVISOR_TTL_SECONDS)
    feed.on_demand_cache = kwargs.get("on_demand_cache") or TtlCache(PRICING_TTL_SECONDS)
    return feed
