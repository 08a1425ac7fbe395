"""Why nothing matched: name the filter that removed the last candidates and the nearest miss."""

from __future__ import annotations

import numpy as np

from spotarb.placement.requirements import WorkloadRequirements
from spotarb.placement.snapshot import BoolArray, PriceSnapshot


def describe(req: WorkloadRequirements) -> str:
    """A short phrase for the requirements, e.g. ``nvidia-h100 ×8 at ≤ $20.00/h``."""
    parts: list[str] = []
    if req.gpu_choices:
        parts.append(f"{' or '.join(req.gpu_choices)} ×{req.gpu_minimum}")
    elif req.gpu_minimum:
        parts.append(f"{req.gpu_minimum}+ GPU instance")
    else:
        parts.append("instance")
    if req.min_cpu:
        parts.append(f"with ≥ {req.min_cpu:g} vCPU")
    if req.min_memory_gb:
        parts.append(f"{'and' if req.min_cpu else 'with'} ≥ {req.min_memory_gb:g} GiB")
    if req.min_gpu_memory_gb is not None:
        parts.append(f"with ≥ {req.min_gpu_memory_gb:g} GiB per GPU")
    if req.arch_filter:
        parts.append(f"on {req.arch_filter}")
    if req.network_bandwidth_gbps:
        parts.append(f"with ≥ {req.network_bandwidth_gbps:g} Gbps")
    if req.max_interruption_rate is not None:
        parts.append(f"with interruption ≤ {req.max_interruption_rate:.0%}")
    if req.providers:
        parts.append(f"from {', '.join(req.providers)}")
    if req.max_price_per_hour is not None:
        parts.append(f"at ≤ ${req.max_price_per_hour:.2f}/h")
    return " ".join(parts)


def _where(snap: PriceSnapshot, pos: int) -> str:
    row = snap.rows[pos]
    place = row.availability_zone or row.region
    return f"{row.provider} {row.instance_type} {place}"


def explain_no_match(
    snap: PriceSnapshot, req: WorkloadRequirements, blocking: str, before: BoolArray
) -> str:
    """``before``: rows that passed every filter applied before ``blocking``."""
    head = f"no {describe(req)}"
    left = int(np.count_nonzero(before))
    idx = np.flatnonzero(before)
    if blocking == "max_price_per_hour":
        pos = int(idx[0])
        return f"{head}; the cheapest match is ${snap.price[pos]:.2f}/h ({_where(snap, pos)})"
    if blocking == "max_interruption_rate":
        known = idx[snap.rate_known[idx]]
        if known.size == 0:
            return f"{head}; none of the {left} matches has a known interruption rate"
        pos = int(known[np.argmin(snap.rate[known])])
        return (
            f"{head}; the lowest known interruption rate among {left} matches is "
            f"{snap.rate[pos]:.0%} ({_where(snap, pos)})"
        )
    if blocking == "min_cpu":
        pos = int(idx[np.argmax(snap.vcpu[idx])])
        return f"{head}; the largest match has {snap.vcpu[pos]:g} vCPU ({_where(snap, pos)})"
    if blocking == "min_memory_gb":
        pos = int(idx[np.argmax(snap.memory_gb[idx])])
        return f"{head}; the largest match has {snap.memory_gb[pos]:g} GiB ({_where(snap, pos)})"
    if blocking == "gpu":
        if req.gpu_choices:
            wanted = " or ".join(req.gpu_choices)
            codes = [snap.gpu_index[g] for g in req.gpu_choices if g in snap.gpu_index]
            same = idx[np.isin(snap.gpu_code[idx], codes)]
            if same.size:
                pos = int(same[np.argmax(snap.gpu_count[same])])
                return (
                    f"{head}; the most {wanted} on one instance is "
                    f"{snap.gpu_count[pos]} ({_where(snap, pos)})"
                )
            return f"{head}; no remaining candidate has a {wanted}"
        gpus = idx[snap.is_gpu[idx]]
        if gpus.size:
            pos = int(gpus[np.argmax(snap.gpu_count[gpus])])
            most = snap.gpu_count[pos]
            return f"{head}; the most GPUs on one instance is {most} ({_where(snap, pos)})"
        return f"{head}; no remaining candidate has a GPU"
    if blocking == "network_bandwidth_gbps":
        pos = int(idx[np.nanargmax(snap.bandwidth[idx])])
        return f"{head}; the fastest match has {snap.bandwidth[pos]:g} Gbps ({_where(snap, pos)})"
    if blocking == "not_older_than":
        newest = snap.newest_collected_at
        stamp = newest.isoformat() if newest else "never"
        cutoff = req.not_older_than.isoformat() if req.not_older_than else "?"
        return f"{head}; every price is older than {cutoff} (newest collected {stamp})"
    if blocking == "providers":
        present = ", ".join(snap.providers) or "none"
        return f"{head}; there are no prices from {', '.join(req.providers)} (present: {present})"
    if blocking == "regions":
        where = sorted({snap.regions[c] for c in np.unique(snap.region_code[idx]).tolist()})
        shown = ", ".join(where[:8]) + (", …" if len(where) > 8 else "")
        return (
            f"{head}; no candidate is in {', '.join(req.regions)} "
            f"(the {left} candidates are in {shown})"
        )
    if blocking == "exclude_regions":
        return (
            f"{head}; every candidate is in an excluded region ({', '.join(req.exclude_regions)})"
        )
    if blocking == "arch":
        return f"{head}; none of the {left} candidates is {req.arch}"
    if blocking == "min_gpu_memory_gb":
        known = idx[~np.isnan(snap.gpu_memory_gb[idx])]
        if known.size == 0:
            return f"{head}; none of the {left} candidates has a known GPU memory"
        pos = int(known[np.argmax(snap.gpu_memory_gb[known])])
        return (
            f"{head}; the most GPU memory among {left} candidates is "
            f"{snap.gpu_memory_gb[pos]:g} GiB per GPU ({_where(snap, pos)})"
        )
    if blocking == "include_families":
        return (
            f"{head}; none of the {left} candidates is of family {', '.join(req.include_families)}"
        )
    if blocking == "exclude_families":
        return (
            f"{head}; every candidate is of an excluded family ({', '.join(req.exclude_families)})"
        )
    if blocking == "exclude_burstable":
        return f"{head}; all {left} candidates are burstable (shared-core) types"
    return f"{head}; the {blocking} filter removed the last {left} candidates"
