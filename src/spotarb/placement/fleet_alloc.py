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


class _Reach:
    """A fill's state and how many units the rest could still add (see reachable_fill).

    Only the largest instances of each innermost group (``groups[0]``, its cap's worth)
    can be in a largest completion, so completions are computed on those (``near``).
    For a pool outside them, one more instance only takes a slot of its groups, so
    whether the target stays reachable depends on its innermost group alone: that
    group's loss (``delta``) is kept per group and recomputed only for the groups
    under the same outermost group as the last pool that took instances.
    """

    def __init__(self, caps: Counts, units: Counts, target: int, groups: Sequence[GroupCap]):
        self.caps, self.units, self.target = caps, units, target
        self.alloc = np.zeros_like(caps)
        self.left = [(codes, limit.copy()) for codes, limit in groups]
        self.covered = 0
        self.near = np.flatnonzero(largest_fill(caps, units, groups[:1]))
        self.slot = np.full(caps.size, -1)
        self.slot[self.near] = np.arange(self.near.size)
        self.key = groups[0][0]
        keys, first = np.unique(self.key, return_index=True)
        self.first = dict(zip(keys.tolist(), first.tolist(), strict=True))
        top = groups[-1][0]
        self.under: dict[int, list[int]] = {}
        for key, pos in self.first.items():
            self.under.setdefault(int(top[pos]), []).append(key)
        self.top = top
        self.delta = np.zeros(int(self.key.max(initial=0)) + 1, dtype=np.int64)
        self.most = self.completion(-1, 0)
        for key in self.first:
            self.delta[key] = self.completion(self.first[key], 1, own=False) - self.most
        self.open = self._open()

    def completion(self, i: int, k: int, own: bool = True) -> int:
        """The most units the rest can add after ``k`` more instances of pool ``i``."""
        near = self.near
        rest = (self.caps - self.alloc)[near]
        if own and i >= 0 and self.slot[i] >= 0:
            rest[self.slot[i]] -= k
        after = [
            (codes[near], limit - (k * (np.arange(limit.size) == codes[i]) if i >= 0 else 0))
            for codes, limit in self.left
        ]
        return int(np.dot(largest_fill(rest, self.units[near], after), self.units[near]))

    def room(self, i: int) -> int:
        left = [int(limit[codes[i]]) for codes, limit in self.left]
        return min([int(self.caps[i] - self.alloc[i]), *left])

    def reachable(self, i: int, k: int) -> bool:
        return self.covered + k * int(self.units[i]) + self.completion(i, k) >= self.target

    def _open(self) -> npt.NDArray[np.bool_]:
        """Pools with room whose next instance may keep the target reachable."""
        ok = self.caps - self.alloc > 0
        for codes, limit in self.left:
            ok &= limit[codes] > 0
        fine = self.covered + self.units + self.most + self.delta[self.key] >= self.target
        result: npt.NDArray[np.bool_] = ok & (fine | (self.slot >= 0))
        return result

    def take(self, i: int, k: int) -> None:
        self.alloc[i] += k
        self.covered += k * int(self.units[i])
        for codes, limit in self.left:
            limit[codes[i]] -= k
        self.most = self.completion(-1, 0)
        for key in self.under[int(self.top[i])]:
            self.delta[key] = self.completion(self.first[key], 1, own=False) - self.most
        self.open = self._open()


def reachable_fill(
    caps: Counts, units: Counts, target: int, groups: Sequence[GroupCap], rounds: bool
) -> Counts:
    """:func:`greedy_fill` (or :func:`round_robin` with ``rounds``), except that a pool
    takes an instance only while the target stays reachable.

    With mixed sizes and instance caps the plain fill can spend a region's or a
    provider's instances on small ones and fall short although a fleet exists.
    Whenever the plain fill reaches the target it never took such a step, so both
    give the same plan; this slower one is only needed when the plain one falls short.
    ``groups`` go from the innermost cap to the outermost (nested).
    """
    if int(np.dot(largest_fill(caps, units, groups), units)) < target:
        return np.zeros_like(caps)
    state = _Reach(caps, units, target, groups)
    while state.covered < target:
        placed = False
        start = 0
        while state.covered < target:
            ahead = np.flatnonzero(state.open[start:])
            if ahead.size == 0:
                break
            i = start + int(ahead[0])
            start = i + 1
            k = min(state.room(i), -(-(target - state.covered) // int(units[i])))
            k = min(k, 1) if rounds else k
            while k > 0 and not state.reachable(i, k):
                k -= 1
            if k > 0:
                state.take(i, k)
                placed = True
        if not (rounds and placed):
            break
    return state.alloc
