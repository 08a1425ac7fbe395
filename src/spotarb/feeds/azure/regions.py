"""The Azure public regions the feed walks by default.

The Retail Prices API has no region listing, so this list is maintained here
(the one place). A run reports the regions that returned no items, which is
how a retired or renamed region shows up. ``SPOTARB_AZURE_REGIONS`` replaces it.
"""

from __future__ import annotations

from typing import Final

#: ``armRegionName`` values of Azure public-cloud regions (no EUAP/canary, no sovereign clouds).
DEFAULT_REGIONS: Final[tuple[str, ...]] = (
    # Americas
    "eastus",
    "eastus2",
    "centralus",
    "northcentralus",
    "southcentralus",
    "westcentralus",
    "westus",
    "westus2",
    "westus3",
    "canadacentral",
    "canadaeast",
    "brazilsouth",
    "brazilsoutheast",
    "mexicocentral",
    "chilecentral",
    # Europe
    "northeurope",
    "westeurope",
    "uksouth",
    "ukwest",
    "francecentral",
    "francesouth",
    "germanywestcentral",
    "germanynorth",
    "switzerlandnorth",
    "switzerlandwest",
    "norwayeast",
    "norwaywest",
    "swedencentral",
    "polandcentral",
    "italynorth",
    "spaincentral",
    # Middle East and Africa
    "uaenorth",
    "uaecentral",
    "qatarcentral",
    "israelcentral",
    "southafricanorth",
    "southafricawest",
    # Asia Pacific
    "eastasia",
    "southeastasia",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "centralindia",
    "southindia",
    "westindia",
    "jioindiacentral",
    "jioindiawest",
    "australiaeast",
    "australiasoutheast",
    "australiacentral",
    "australiacentral2",
    "newzealandnorth",
    "indonesiacentral",
    "malaysiawest",
)


def regions_from_settings(configured: list[str]) -> list[str]:
    """The configured regions (lower-cased, de-duplicated, in order), else the default list."""
    if not configured:
        return list(DEFAULT_REGIONS)
    out: list[str] = []
    for region in configured:
        key = region.strip().lower()
        if key and key not in out:
            out.append(key)
    return out
