"""Region groups: one table, every region the feeds know in a continent group, patterns."""

from __future__ import annotations

import boto3
import pytest

from spotarb.core import geo
from spotarb.core.errors import ValidationError
from spotarb.feeds.aws.feed import HOME_REGION
from spotarb.feeds.aws.pricing import PRICING_REGION
from spotarb.feeds.aws.public_feed import LEGACY_REGIONS
from spotarb.feeds.azure.regions import DEFAULT_REGIONS


def feed_regions() -> set[str]:
    """Every region a feed names: Azure's walk list, the AWS regions boto3 knows (the AWS
    feed asks DescribeRegions for these), the public feed's map, the feeds' home regions."""
    session = boto3.Session()
    aws = set(session.get_available_regions("ec2"))
    aws |= set(session.get_available_regions("ec2", partition_name="aws-us-gov"))
    return set(DEFAULT_REGIONS) | aws | set(LEGACY_REGIONS.values()) | {HOME_REGION, PRICING_REGION}


def test_every_region_the_feeds_know_belongs_to_a_continent_group() -> None:
    regions = feed_regions()
    assert len(regions) > 80  # the lists are really there
    missing = sorted(r for r in regions if geo.continent_of(r) is None)
    assert missing == []


def test_each_region_is_in_exactly_one_finer_group() -> None:
    seen: dict[str, str] = {}
    for group, (continent, regions) in geo.REGION_GROUPS.items():
        assert continent in geo.CONTINENTS
        for region in regions:
            assert region not in seen, f"{region} in {seen.get(region)} and {group}"
            seen[region] = group
    assert {"eu", "us", "asia", "sa", "oceania", "africa", "me", "ca"} <= set(geo.CONTINENTS)


@pytest.mark.parametrize(
    ("group", "inside", "outside"),
    [
        ("us-east", ["us-east-1", "us-east-2", "eastus", "eastus2", "us-east1", "us-east4"],
         ["us-west-2", "westus", "centralus"]),
        ("us", ["us-east-1", "westus3", "us-central1"], ["ca-central-1", "eu-west-1"]),
        ("eu", ["eu-west-1", "westeurope", "europe-west4", "uksouth", "switzerlandnorth"],
         ["me-central-1", "us-east-1"]),
        ("eu-west", ["eu-west-1", "northeurope", "europe-west1"], ["eu-central-1"]),
        ("asia", ["ap-northeast-1", "japaneast", "asia-east1", "ap-south-1"],
         ["ap-southeast-2", "australiaeast"]),
        ("oceania", ["ap-southeast-2", "australiaeast", "australia-southeast1"], ["ap-south-1"]),
        ("na", ["us-east-1", "canadacentral", "mexicocentral"], ["brazilsouth"]),
    ],
)  # fmt: skip
def test_groups_match_across_clouds(group: str, inside: list[str], outside: list[str]) -> None:
    pattern = geo.check_region_pattern("regions", f"geo:{group}")
    assert all(geo.region_matches((pattern,), r) for r in inside)
    assert not any(geo.region_matches((pattern,), r) for r in outside)


def test_globs_and_plain_names() -> None:
    assert geo.region_matches(("europe-*",), "europe-west4")
    assert not geo.region_matches(("europe-*",), "eu-west-1")
    assert geo.region_matches(("eu*",), "eu-west-1") and geo.region_matches(("eu*",), "eu-x")
    assert geo.region_matches(("us-east-1",), "us-east-1")
    assert not geo.region_matches(("us-east-1",), "us-east-10")
    assert geo.is_plain("us-east-1") and not geo.is_plain("eu*") and not geo.is_plain("geo:eu")
    assert geo.check_region_pattern("regions", " GEO:EU ") == "geo:eu"


def test_unknown_group_is_refused_with_the_choices() -> None:
    with pytest.raises(ValidationError) as info:
        geo.check_region_pattern("regions", "geo:europa")
    assert info.value.field == "regions"
    assert "geo:eu" in info.value.reason and "geo:us-east" in info.value.reason
