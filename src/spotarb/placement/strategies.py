"""The ranking strategies, vectorized over snapshot positions.

Every strategy orders candidates by a key (lower is better) on the tie grid of
:data:`~spotarb.placement.snapshot.TIE_EPSILON`, then by snapshot position,
which is the tie-break order (price, provider, region, zone, instance type).
Score-based strategies scan the price-ordered snapshot in chunks and stop as
soon as no later (dearer) row can beat the k-th best key; interruption-first
strategies walk their pre-ordered views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from spotarb.placement.requirements import WorkloadRequirements
from spotarb.placement.snapshot import BoolArray, FloatArray, IntArray, PriceSnapshot, quantize

PRICE_WEIGHT: Final = 0.5
AVAILABILITY_WEIGHT: Final = 0.3
EFFICIENCY_WEIGHT: Final = 0.2

_FIRST_CHUNK: Final = 512
_MAX_CHUNK: Final = 65536


@dataclass(frozen=True, slots=True)
class Scores:
    """Sub-scores and totals of some positions (aligned arrays)."""

    price_score: FloatArray
    availability: FloatArray
    efficiency: FloatArray
    total: FloatArray


def efficiency(snap: PriceSnapshot, idx: IntArray, req: WorkloadRequirements) -> FloatArray:
    cpu_fit = np.minimum(1.0, req.min_cpu / snap.vcpu[idx])
    mem_fit = np.minimum(1.0, req.min_memory_gb / snap.memory_gb[idx])
    result: FloatArray = 50.0 * (cpu_fit + mem_fit) / 2.0
    return result


def combine(price_score: FloatArray, availability: FloatArray, eff: FloatArray) -> FloatArray:
    total: FloatArray = (
        PRICE_WEIGHT * price_score + AVAILABILITY_WEIGHT * availability + EFFICIENCY_WEIGHT * eff
    )
    return total


def weighted_price_score(prices: FloatArray) -> FloatArray:
    """The ``weighted`` strategy's price score: 100 − 10·price, at least 0 (absolute price)."""
    result: FloatArray = np.maximum(0.0, 100.0 - 10.0 * prices)
    return result


def balanced_price_score(prices: FloatArray, cheapest: float) -> FloatArray:
    """The ``balanced`` strategy's price score: 100·cheapest/price (relative to the cheapest)."""
    result: FloatArray = 100.0 * (cheapest / prices)
    return result


def scores(
    snap: PriceSnapshot,
    idx: IntArray,
    req: WorkloadRequirements,
    cheapest: float,
    *,
    weighted: bool,
) -> Scores:
    prices = snap.price[idx]
    ps = weighted_price_score(prices) if weighted else balanced_price_score(prices, cheapest)
    av = snap.availability[idx]
    ef = efficiency(snap, idx, req)
    return Scores(ps, av, ef, combine(ps, av, ef))


def expected_hours(snap: PriceSnapshot, idx: IntArray, req: WorkloadRequirements) -> FloatArray:
    """W = T·(1 + λ·(c/2 + o)) per row."""
    assert req.job_hours is not None
    job = req.job_hours
    checkpoint = req.checkpoint_hours if req.checkpoint_hours is not None else job
    factor = checkpoint / 2.0 + req.restart_overhead_hours
    result: FloatArray = job * (1.0 + snap.hazard[idx] * factor)
    return result


KeyFn = Callable[[IntArray], FloatArray]
BoundFn = Callable[[int], float]


def scan_price_order(
    snap: PriceSnapshot, mask: BoolArray, want: int, key: KeyFn, bound: BoundFn
) -> IntArray:
    """The ``want`` best positions by (quantized key, position), cheapest-first with early stop.

    ``bound(i)`` is a lower bound of the (unquantized) key of any row at position ≥ i.
    """
    n = len(snap)
    best_pos: IntArray = np.empty(0, dtype=np.int64)
    best_key: FloatArray = np.empty(0, dtype=np.float64)
    start, chunk = 0, _FIRST_CHUNK
    while start < n:
        end = min(n, start + chunk)
        found = np.flatnonzero(mask[start:end])
        if found.size:
            idx = found + start
            keys = quantize(key(idx))
            best_pos = np.concatenate((best_pos, idx))
            best_key = np.concatenate((best_key, keys))
            order = np.lexsort((best_pos, best_key))[:want]
            best_pos, best_key = best_pos[order], best_key[order]
        start = end
        chunk = min(chunk * 2, _MAX_CHUNK)
        if start < n and best_pos.size >= want:
            limit = float(quantize(np.array([bound(start)]))[0])
            # Any later row has a key ≥ limit (±1 grid step); it loses ties by position.
            if limit - 2.0 >= best_key[want - 1]:
                break
    return best_pos


def scan_view(view: IntArray | None, mask: BoolArray, want: int) -> IntArray:
    """The first ``want`` positions of a pre-ordered view (None = price order) passing ``mask``."""
    n = mask.shape[0]
    parts: list[IntArray] = []
    have, start, chunk = 0, 0, _FIRST_CHUNK
    while start < n and have < want:
        end = min(n, start + chunk)
        picked: IntArray
        if view is None:
            picked = np.flatnonzero(mask[start:end]) + start
        else:
            idx = view[start:end]
            picked = idx[mask[idx]]
        if picked.size:
            parts.append(picked[: want - have])
            have += min(picked.size, want - have)
        start = end
        chunk = min(chunk * 2, _MAX_CHUNK)
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def rank(
    snap: PriceSnapshot, mask: BoolArray, req: WorkloadRequirements, cheapest: float, want: int
) -> IntArray:
    """Positions of the ``want`` best candidates under ``req.strategy``, best first."""
    strategy = req.strategy
    if strategy == "lowest-price":
        return scan_view(None, mask, want)
    if strategy == "capacity-optimized":
        return scan_view(snap.by_rate, mask, want)
    if strategy == "price-capacity-optimized":
        return scan_view(snap.by_band, mask, want)
    if strategy == "expected-cost":
        assert req.job_hours is not None
        job = req.job_hours

        def cost(idx: IntArray) -> FloatArray:
            result: FloatArray = snap.price[idx] * expected_hours(snap, idx, req)
            return result

        return scan_price_order(snap, mask, want, cost, lambda i: float(snap.price[i]) * job)
    weighted = strategy == "weighted"

    def negative_score(idx: IntArray) -> FloatArray:
        return -scores(snap, idx, req, cheapest, weighted=weighted).total

    def bound(i: int) -> float:
        # Later rows cost at least price[i], are at most as available as the most
        # available of them and at most as efficient as the smallest of them.
        p = float(snap.price[i])
        price_score = max(0.0, 100.0 - 10.0 * p) if weighted else 100.0 * (cheapest / p)
        cpu_fit = min(1.0, req.min_cpu / float(snap.suffix_min_vcpu[i]))
        mem_fit = min(1.0, req.min_memory_gb / float(snap.suffix_min_memory[i]))
        best = (
            PRICE_WEIGHT * price_score
            + AVAILABILITY_WEIGHT * float(snap.suffix_max_availability[i])
            + EFFICIENCY_WEIGHT * 50.0 * (cpu_fit + mem_fit) / 2.0
        )
        return -(best + 1e-6)

    return scan_price_order(snap, mask, want, negative_score, bound)
