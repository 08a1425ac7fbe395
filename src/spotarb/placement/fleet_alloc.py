"""The allocation kernels of fleet planning, vectorized over pools in visit order.

Every function takes pools already in the order the strategy visits them and
returns instance counts aligned with that order. The greedy fill is the
sequential rule "each pool, in turn, takes what still fits under every cap",
computed with cumulative sums: for nested caps (pool ⊂ region ⊂ provider ⊂
fleet) clipping the inner caps first and the outer ones after gives exactly the
sequential answer, because once an outer cap is full every later pool under it
gets nothing either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from spotarb.placement.snapshot import FloatArray, quantize

Counts = npt.NDArray[np.int64]
#: (group code of each pool, remaining capacity per group code)
GroupCap = tuple[npt.NDArray[np.integer[Any]], Counts]


def group_clip(alloc: Counts, groups: npt.NDArray[np.integer[Any]], caps: Counts) -> Counts:
    """Per group, in visit order, keep what still fits under ``caps[group]``."""
    if alloc.size == 0:
        return alloc
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    a = alloc[order]
    total = np.cumsum(a)
    start = np.empty(g.size, dtype=np.bool_)
    start[0] = True
    start[1:] = g[1:] != g[:-1]
    base = np.maximum.accumulate(np.where(start, total - a, 0))
    within = total - base
    cap = caps[g]
    kept = np.minimum(within, cap) - np.minimum(within - a, cap)
    out = np.empty_like(alloc)
    out[order] = kept
    return out


def units_clip(alloc: Counts, units: Counts, target: int) -> Counts:
    """In visit order, take instances until ``target`` units are covered.

    The pool that crosses the target takes only the instances it needs (rounded up).
    """
    covered = np.cumsum(alloc * units)
    need = np.maximum(0, target - (covered - alloc * units))
    result: Counts = np.minimum(alloc, -(-need // units))
    return result


def greedy_fill(caps: Counts, units: Counts, target: int, groups: Sequence[GroupCap]) -> Counts:
    """Fill pools in visit order up to their caps, the group caps and ``target`` units."""
    alloc = caps.copy()
    for codes, limit in groups:
        alloc = group_clip(alloc, codes, limit)
    return units_clip(alloc, units, target)


def round_robin(caps: Counts, units: Counts, target: int, groups: Sequence[GroupCap]) -> Counts:
    """Rounds over the pools in visit order, one instance per pool with room per round.

    Stops as soon as ``target`` units are covered (or nothing has room left).
    """
    alloc = np.zeros_like(caps)
    remaining = [(codes, limit.copy()) for codes, limit in groups]
    covered = 0
    while covered < target:
        step = (alloc < caps).astype(np.int64)
        for codes, limit in remaining:
            step = group_clip(step, codes, limit)
        step = units_clip(step, units, target - covered)
        if not step.any():
            break
        alloc += step
        covered += int(np.dot(step, units))
        for codes, limit in remaining:
            limit -= np.bincount(codes, weights=step, minlength=limit.size).astype(np.int64)
    return alloc


def cover_dp(cost: FloatArray, units: Counts, caps: Counts, target: int) -> Counts | None:
    """The cheapest whole-instance plan covering ≥ ``target`` units; None if none can.

    Exact: a 0/1 knapsack-cover dynamic programme over covered units 0..target, on
    each pool's cap split in powers of two. Pools that cannot be in any optimum are
    left out first: among pools of the same (clamped) size only the cheapest ones
    whose caps together reach ``ceil(target/size)`` instances can be needed.
    Ties between equal-cost plans go to the plan found first (pools in visit order).
    """
    size = np.minimum(units, target)
    keep: list[int] = []
    for unit in np.unique(size).tolist():
        idx = np.flatnonzero(size == unit)
        idx = idx[np.lexsort((idx, quantize(cost[idx])))]
        reach = np.cumsum(caps[idx])
        need = -(-target // unit)
        keep.extend(idx[: int(np.searchsorted(reach, need)) + 1].tolist())
    keep.sort()
    pools: list[int] = []
    weights: list[int] = []
    prices: list[float] = []
    multiples: list[int] = []
    for pos in keep:
        left, piece = int(caps[pos]), 1
        while left > 0:
            take = min(piece, left)
            pools.append(pos)
            multiples.append(take)
            weights.append(take * int(size[pos]))
            prices.append(take * float(cost[pos]))
            left -= take
            piece *= 2
    best = np.full(target + 1, np.inf)
    best[0] = 0.0
    at = np.arange(target + 1)
    taken: list[npt.NDArray[np.bool_]] = []
    for weight, price in zip(weights, prices, strict=True):
        candidate = best[np.maximum(at - weight, 0)] + price
        better = candidate < best
        taken.append(better)
        best = np.where(better, candidate, best)
    if not np.isfinite(best[target]):
        return None
    alloc = np.zeros(cost.size, dtype=np.int64)
    t = target
    for j in range(len(taken) - 1, -1, -1):
        if taken[j][t]:
            alloc[pools[j]] += multiples[j]
            t = max(0, t - weights[j])
    return alloc


def largest_fill(caps: Counts, units: Counts, groups: Sequence[GroupCap]) -> Counts:
    """Instances per pool of the most units the caps allow: largest instances first.

    The caps nest (pool ⊂ region ⊂ provider), so this greedy is exact (a greedy
    on a laminar matroid); for a count (one unit each) it is the most instances.
    """
    order = np.argsort(-units, kind="stable")
    taken = greedy_fill(
        caps[order], units[order], 1 << 62, [(codes[order], limit) for codes, limit in groups]
    )
    out = np.empty_like(taken)
    out[order] = taken
    return out


def reachable_fill(
    caps: Counts, units: Counts, target: int, groups: Sequence[GroupCap], rounds: bool
) -> Counts:
    """:func:`greedy_fill` (or :func:`round_robin` with ``rounds``), except that a pool
    takes an instance only while the target stays reachable.

    With mixed sizes and instance caps the plain fill can spend a region's or a
    provider's instances on small ones and fall short although a fleet exists.
    Whenever the plain fill reaches the target it never took such a step, so both
    give the same plan; this slower one is only needed when the plain one falls short.
    ``groups[0]`` is the innermost cap: only the largest instances within it (its
    cap's worth per group) can ever complete a fleet, so the checks look at those.
    """
    alloc = np.zeros_like(caps)
    if int(np.dot(largest_fill(caps, units, groups), units)) < target:
        return alloc
    near = np.flatnonzero(largest_fill(caps, units, groups[:1]))
    where = np.full(caps.size, -1)
    where[near] = np.arange(near.size)
    left = [(codes, limit.copy()) for codes, limit in groups]
    covered = 0

    def room(i: int) -> int:
        return min([int(caps[i] - alloc[i])] + [int(limit[codes[i]]) for codes, limit in left])

    def reachable(i: int, k: int) -> bool:
        rest = (caps - alloc)[near]
        if where[i] >= 0:
            rest[where[i]] -= k
        after = [
            (codes[near], limit - k * (np.arange(limit.size) == codes[i])) for codes, limit in left
        ]
        most = int(np.dot(largest_fill(rest, units[near], after), units[near]))
        return covered + k * int(units[i]) + most >= target

    def take(i: int, k: int) -> None:
        nonlocal covered
        alloc[i] += k
        covered += k * int(units[i])
        for codes, limit in left:
            limit[codes[i]] -= k

    while covered < target:
        placed = False
        for i in range(caps.size):
            if covered >= target:
                break
            k = min(room(i), -(-(target - covered) // int(units[i])))
            if rounds:
                k = min(k, 1)
            while k > 0 and not reachable(i, k):
                k -= 1
            if k > 0:
                take(i, k)
                placed = True
        if not (rounds and placed):
            break
    return alloc
