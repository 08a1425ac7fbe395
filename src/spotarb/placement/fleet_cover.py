"""The cheapest capacity cover under instance caps per region and per provider (exact).

Choose whole instances ``x`` per pool to minimise ``Σ cost·x`` subject to
``Σ units·x ≥ target``, ``x ≤ pool cap`` and, per group, ``Σ x ≤ group cap``
for an inner grouping (regions) nested in an outer one (providers). It is a
knapsack cover with nested cardinality caps; solved exactly in three steps:

1. Prune pools that cannot be needed (:func:`_same_size`, :func:`_dominance`:
   another instance always replaces them; :func:`_lagrange`, :func:`_allowed`: they
   cannot fit in the gap between a lower bound and a known plan), which keeps
   the programme small.
2. A dynamic programme over (instances in the current provider, instances in
   the current region, covered units 0..target), on each pool's cap split in
   powers of two; a region's count is folded away when the region ends, a
   provider's when the provider ends, so only one region's and one provider's
   counts are ever held.
3. Walk the recorded decisions back to the counts.

Ties between equal-cost plans go to the plan found first: groups in the order of
their first pool in visit order, pools in visit order inside a group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from spotarb.placement.fleet_alloc import Counts, GroupCap, greedy_fill, units_clip
from spotarb.placement.snapshot import FloatArray, quantize

#: Relative slack on bounds so that rounding never prunes a pool of an optimum.
_SLACK = 1e-9
#: Bisection steps for the Lagrangian multiplier between two pool ratios.
_BISECT = 16
#: Decisions (states × pieces) the programme may record: ~50 MB and ~0.3 s. Beyond it
#: the plan is the best one found without proof, with how much cheaper one could be.
STATE_BUDGET = 50_000_000


@dataclass(frozen=True, slots=True)
class _Problem:
    """Pools (a subset, in visit order) with what the programme needs of them."""

    idx: Counts  # positions in the caller's arrays
    cost: FloatArray
    size: Counts  # units, clamped to the target
    caps: Counts
    inner: Counts  # inner group code (0 when there is no inner cap)
    outer: Counts
    inner_cap: Counts  # the inner cap of each pool's group (a big number when none)
    outer_cap: Counts

    def take(self, sel: npt.NDArray[np.bool_], caps: Counts) -> _Problem:
        return _Problem(
            self.idx[sel],
            self.cost[sel],
            self.size[sel],
            caps[sel],
            self.inner[sel],
            self.outer[sel],
            self.inner_cap[sel],
            self.outer_cap[sel],
        )

    def scaled(self, step: int) -> _Problem:
        """Sizes divided by their common divisor ``step``."""
        return replace(self, size=self.size // step)

    def groups(self) -> list[GroupCap]:
        """The caps as the greedy kernels take them (codes renumbered densely)."""
        out: list[GroupCap] = []
        for codes, cap in ((self.inner, self.inner_cap), (self.outer, self.outer_cap)):
            uniq, dense = np.unique(codes, return_inverse=True)
            limit = np.zeros(uniq.size, dtype=np.int64)
            limit[dense] = cap
            out.append((dense, limit))
        return out


def _segment_exclusive(values: Counts, starts: npt.NDArray[np.bool_]) -> Counts:
    """Per segment (a new one where ``starts``), the sum of the values before each."""
    total = np.cumsum(values)
    before = total - values
    base = np.maximum.accumulate(np.where(starts, before, 0))
    result: Counts = before - base
    return result


def _dense(codes: Counts) -> tuple[Counts, int]:
    """Small non-negative codes → 0..k-1 in the same order, and k (no sort needed)."""
    present = np.bincount(codes) > 0
    rank = np.cumsum(present) - 1
    return rank[codes], int(rank[-1]) + 1


def _same_size(p: _Problem, units: Counts, target: int) -> Counts:
    """:func:`_dominance` among pools of one size only, in visit order: a cheap first pass.

    Pools come in visit order (cost per unit, ascending), which for one size
    (unclamped: clamping to the target merges sizes of different cost per unit) is
    cost order, so a stable sort by (group, size) is all it needs.
    """
    if units.size == 0:
        return np.zeros(0, dtype=np.int64)
    size_code, sizes = _dense(units)
    group, _ = _dense(p.outer * (int(p.inner.max(initial=0)) + 1) + p.inner)
    key = group * sizes + size_code
    # A 16-bit key sorts by radix (a few times faster than a comparison sort).
    order = np.argsort(key.astype(np.int16 if key.max() < 2**15 else np.int64), kind="stable")
    k = key[order]
    starts = np.empty(k.size, dtype=np.bool_)
    starts[:1] = True
    starts[1:] = k[1:] != k[:-1]
    before = _segment_exclusive(p.caps[order], starts)
    size = p.size[order]
    limit = np.minimum(np.minimum(p.inner_cap[order], p.outer_cap[order]), -(-target // size))
    out = np.empty(k.size, dtype=np.int64)
    out[order] = np.clip(limit - before, 0, p.caps[order])
    return out


def _dominance(p: _Problem, target: int) -> Counts:
    """Caps after dropping instances that another in the same region can always replace.

    An instance of pool j is dominated by an instance of a pool in the same inner
    group that is at least as large and costs no more (earlier in (cost, visit)
    order). A plan never needs more than ``limit = min(group caps, ⌈target/size⌉)``
    instances of size ≥ size(j) in that group (a cheapest plan is a minimal cover),
    so once ``limit`` dominating instances exist, the rest of pool j can always be
    swapped for one of them (same groups, no more cost, no fewer units).
    """
    n = p.idx.size
    order = np.lexsort((np.arange(n), quantize(p.cost), p.inner, p.outer))
    group = p.outer[order] * (int(p.inner.max(initial=0)) + 1) + p.inner[order]
    starts = np.empty(n, dtype=np.bool_)
    starts[:1] = True
    starts[1:] = group[1:] != group[:-1]
    size = p.size[order]
    caps = p.caps[order]
    dominating = np.zeros(n, dtype=np.int64)
    for level in np.unique(size).tolist():
        before = _segment_exclusive(np.where(size >= level, caps, 0), starts)
        at = size == level
        dominating[at] = before[at]
    limit = np.minimum(np.minimum(p.inner_cap[order], p.outer_cap[order]), -(-target // size))
    kept = np.clip(limit - dominating, 0, caps)
    out = np.empty(n, dtype=np.int64)
    out[order] = kept
    return out


@dataclass(frozen=True, slots=True)
class _Bound:
    lower: float  # no plan costs less
    upper: float  # the cost of ``plan``
    weight: FloatArray  # λ·units − cost per pool
    plan: Counts  # the cheapest greedy fill that reached the target, trimmed to it


def _lagrange(p: _Problem, target: int) -> _Bound | None:
    """A lower and an upper bound on the cheapest cover; None if no plan reaches the target.

    Lagrangian bound on the units constraint: for any λ ≥ 0 every plan costs at
    least ``L(λ) = λ·target − max Σ (λ·units − cost)·x`` over the caps alone, and
    that maximum is a greedy fill in order of ``λ·units − cost`` (the caps are
    nested, so greedy is exact). ``L`` is concave and peaks where the fill's units
    pass the target: found by a search over the pools' costs per unit, then by
    bisection. The upper bound is the cheapest of the fills that reached the target,
    trimmed to it.
    """
    if p.idx.size == 0:
        return None
    groups = p.groups()
    ratios = np.unique(p.cost / p.size)
    # λ above 2·max cost: every w > 0 and w orders by size first, so the fill takes
    # the largest instances first, which holds the most units there are.
    ratios = np.append(ratios, 2.0 * float(p.cost.max()) + 1.0)

    def fill(lam: float) -> tuple[Counts, Counts, FloatArray]:
        weight = lam * p.size - p.cost
        order = np.lexsort((np.arange(p.idx.size), -weight))
        order = order[weight[order] >= 0]
        taken = greedy_fill(
            p.caps[order], p.size[order], 1 << 62, [(c[order], lim) for c, lim in groups]
        )
        return order, taken, weight

    lo, hi = 0, ratios.size - 1
    order, taken, weight = fill(float(ratios[hi]))
    if int(np.dot(taken, p.size[order])) < target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        o, t, _ = fill(float(ratios[mid]))
        if int(np.dot(t, p.size[o])) >= target:
            hi = mid
        else:
            lo = mid + 1
    # Under caps L also bends where two pools' w cross, not only at the ratios: bisect
    # on its slope (target − units of the fill, which only falls as λ grows) between
    # the last ratio short of the target and the first that reaches it.
    below, above = (float(ratios[hi - 1]) if hi else 0.0), float(ratios[hi])
    best: tuple[float, FloatArray] | None = None
    upper = np.inf
    plan = np.zeros(p.idx.size, dtype=np.int64)
    for step in range(_BISECT + 1):
        lam = above if step == 0 else (below + above) / 2
        order, taken, weight = fill(lam)
        units = int(np.dot(taken, p.size[order]))
        lower = lam * target - float(np.dot(taken, weight[order]))
        if best is None or lower > best[0]:
            best = (lower, weight)
        if units >= target:
            trimmed = units_clip(taken, p.size[order], target)
            cost = float(np.dot(trimmed, p.cost[order]))
            if cost < upper:
                upper = cost
                plan = np.zeros(p.idx.size, dtype=np.int64)
                plan[order] = trimmed
            above = lam
        else:
            below = lam
    assert best is not None
    return _Bound(best[0], upper, best[1], plan)


def _allowed(p: _Problem, weight: FloatArray, gap: float) -> Counts:
    """Caps of the pools a plan within ``gap`` of the lower bound may use.

    Forcing ``k`` instances of a pool whose ``w = λ·units − cost`` is negative
    raises the bound by at least ``−k·w``, so such a pool holds at most ``gap/−w``.
    """
    short = -weight
    most = np.floor(gap / np.where(short > 0, short, 1.0))
    result: Counts = np.where(short > 0, np.minimum(p.caps, most), p.caps).astype(np.int64)
    return result


def _pieces(caps: Counts) -> tuple[Counts, Counts]:
    """Each pool's cap split in powers of two: (pool of each piece, instances in it)."""
    pool: list[int] = []
    mult: list[int] = []
    for j, cap in enumerate(caps.tolist()):
        piece = 1
        while cap > 0:
            take = min(piece, cap)
            pool.append(j)
            mult.append(take)
            cap -= take
            piece *= 2
    return np.array(pool, dtype=np.int64), np.array(mult, dtype=np.int64)


def _visit_groups(p: _Problem) -> list[list[Counts]]:
    """Pools by outer group, then inner group, each in order of its first pool."""
    outer: dict[int, dict[int, list[int]]] = {}
    for j, (o, i) in enumerate(zip(p.outer.tolist(), p.inner.tolist(), strict=True)):
        outer.setdefault(o, {}).setdefault(i, []).append(j)
    return [[np.array(js, dtype=np.int64) for js in inner.values()] for inner in outer.values()]


class _OverBudget(Exception):
    """The programme would hold more than :data:`STATE_BUDGET` decisions."""


def _dims(
    p: _Problem, inners: list[Counts], inner_on: bool, outer_on: bool
) -> tuple[int, list[int]]:
    """Count states of one outer group and of each of its inner groups (1: no count)."""
    held = [int(p.caps[js].sum()) for js in inners]
    inner_caps = [int(p.inner_cap[js[0]]) for js in inners]
    usable = sum(min(h, c) if inner_on else h for h, c in zip(held, inner_caps, strict=True))
    outer_cap = int(p.outer_cap[inners[0][0]])
    dim_a = min(outer_cap, usable) + 1 if outer_on and usable > outer_cap else 1
    dims_b = [
        min(c, h) + 1 if inner_on and h > c else 1 for h, c in zip(held, inner_caps, strict=True)
    ]
    return dim_a, dims_b


def _cells(p: _Problem, target: int, inner_on: bool, outer_on: bool) -> int:
    """Decisions the programme records: states × pieces, summed over the groups."""
    total = 0
    for inners in _visit_groups(p):
        dim_a, dims_b = _dims(p, inners, inner_on, outer_on)
        for js, dim_b in zip(inners, dims_b, strict=True):
            pieces = int(np.ceil(np.log2(p.caps[js] + 1)).sum())
            total += pieces * dim_a * dim_b * (target + 1)
    return total


def _programme(p: _Problem, target: int, inner_on: bool, outer_on: bool) -> Counts | None:
    """The dynamic programme over (outer count, inner count, units) on pools ``p``.

    A group whose pools hold no more than its cap needs no count (the cap cannot bind).
    Raises :class:`_OverBudget` before any work when it would hold too many decisions.
    """
    if _cells(p, target, inner_on, outer_on) > STATE_BUDGET:
        raise _OverBudget
    at = np.arange(target + 1)
    cur = np.full(target + 1, np.inf)
    cur[0] = 0.0
    #: Per piece (pool, instances, outer step, inner step, decisions), or a fold's argmin.
    steps: list[tuple[str, Any]] = []
    for inners in _visit_groups(p):
        dim_a, dims_b = _dims(p, inners, inner_on, outer_on)
        state = np.full((dim_a, 1, target + 1), np.inf)
        state[0, 0] = cur
        for js, dim_b in zip(inners, dims_b, strict=True):
            best = np.full((dim_a, dim_b, target + 1), np.inf)
            best[:, 0] = state[:, 0]
            pool, mult = _pieces(p.caps[js])
            for j, m in zip(js[pool].tolist(), mult.tolist(), strict=True):
                a = m if dim_a > 1 else 0
                b = m if dim_b > 1 else 0
                source = best[: dim_a - a, : dim_b - b, np.maximum(at - m * int(p.size[j]), 0)]
                source += m * float(p.cost[j])
                target_view = best[a:, b:]
                better = np.zeros(best.shape, dtype=np.bool_)
                np.less(source, target_view, out=better[a:, b:])
                np.minimum(target_view, source, out=target_view)
                steps.append(("piece", (j, m, a, b, better)))
            if dim_b > 1:
                steps.append(("inner", np.argmin(best, axis=1)))
                state = best.min(axis=1, keepdims=True)
            else:
                state = best
        if dim_a > 1:
            steps.append(("outer", np.argmin(state[:, 0], axis=0)))
        cur = state[:, 0].min(axis=0)
    if not np.isfinite(cur[target]):
        return None
    alloc = np.zeros(p.idx.size, dtype=np.int64)
    o, i, t = 0, 0, target
    for kind, record in reversed(steps):
        if kind == "outer":
            o = int(record[t])
        elif kind == "inner":
            i = int(record[o, t])
        else:
            j, m, a, b, better = record
            if better[o, i, t]:
                alloc[j] += m
                o, i, t = o - a, i - b, max(0, t - m * int(p.size[j]))
    return alloc


@dataclass(frozen=True, slots=True)
class CappedCover:
    """The cheapest cover of ``target`` units by whole instances of pools (in visit
    order) under the pool ``caps`` and two nested group caps: ``inner`` and ``outer``
    are (group code per pool, cap per code), e.g. regions in providers; either may be
    None.
    """

    cost: FloatArray
    units: Counts
    caps: Counts
    target: int
    inner: GroupCap | None = None
    outer: GroupCap | None = None

    def needed(self) -> _Problem:
        """The pools that may be needed, with their caps (see :func:`_dominance`)."""
        n, inner, outer = self.cost.size, self.inner, self.outer
        size = np.minimum(self.units, self.target).astype(np.int64)
        none = np.full(n, 1 << 40, dtype=np.int64)
        zeros = np.zeros(n, dtype=np.int64)
        inner_codes, inner_cap = (
            (inner[0].astype(np.int64), inner[1][inner[0]]) if inner else (zeros, none)
        )
        outer_codes, outer_cap = (
            (outer[0].astype(np.int64), outer[1][outer[0]]) if outer else (zeros, none)
        )
        limit = np.minimum(np.minimum(self.caps, inner_cap), outer_cap)
        p = _Problem(
            np.arange(n), self.cost, size, limit, inner_codes, outer_codes, inner_cap, outer_cap
        )
        kept = _same_size(p, self.units, self.target)
        p = p.take(kept > 0, kept)
        kept = _dominance(p, self.target)
        return p.take(kept > 0, kept)

    def needed_caps(self) -> Counts:
        """Caps aligned with the pools after :meth:`needed` (0: never needed). Over many
        groups at once, one pass before each group's own cover (``sameRegion``)."""
        p = self.needed()
        out = np.zeros(self.cost.size, dtype=np.int64)
        out[p.idx] = p.caps
        return out

    def bounds(self) -> tuple[float, float] | None:
        """(lower, upper) bounds on the cheapest total: the Lagrangian bound and the
        cost of a plan; None if no plan reaches the target. Cheap next to :meth:`solve`."""
        bound = _lagrange(self.needed(), self.target)
        return None if bound is None else (bound.lower, bound.upper)

    def solve(self) -> CoverPlan | None:
        """The cheapest cover (counts aligned with the inputs); None if there is none.

        The programme first runs on the pools a plan within a small gap of the lower
        bound may use; that plan is the cheapest unless a pool outside it could still
        beat it, in which case it runs again on every pool that could. A programme over
        :data:`STATE_BUDGET` is not run: the first one then runs on the pools of ever
        smaller gaps, and the plan is the best found (that programme's, else the greedy
        fill's) with its gap to the lower bound.
        """
        p = self.needed()
        target = self.target
        bound = _lagrange(p, target)
        if bound is None:
            return None
        on = (self.inner is not None, self.outer is not None)
        # Units in steps of their common divisor: the programme's states shrink by it.
        step = int(np.gcd.reduce(p.size))
        if step > 1:
            p = p.scaled(step)
            target = -(-target // step)
        share = 64.0
        while True:  # over the budget: fewer pools (a smaller gap), or the greedy plan
            first_caps = _allowed(p, bound.weight, (bound.upper - bound.lower) / share)
            first = p.take(first_caps > 0, first_caps)
            try:
                local = _programme(first, target, *on)
                break
            except _OverBudget:
                if share > 10_000:
                    return self._plan(p, bound.plan, bound.upper - bound.lower)
                share *= 8
        assert local is not None  # the trimmed greedy plan is among its pools
        found = float(np.dot(local, first.cost))
        slack = _SLACK * max(1.0, abs(found))
        full_caps = _allowed(p, bound.weight, found - bound.lower + slack)
        if np.any(full_caps > first_caps):
            full = p.take(full_caps > 0, full_caps)
            try:
                again = _programme(full, target, *on)
            except _OverBudget:
                return self._plan(first, local, found - bound.lower)
            assert again is not None
            first, local = full, again
        return self._plan(first, local, None)

    def _plan(self, p: _Problem, local: Counts, gap: float | None) -> CoverPlan:
        alloc = np.zeros(self.cost.size, dtype=np.int64)
        alloc[p.idx] = local
        if gap is not None and gap <= _SLACK * max(1.0, float(np.dot(alloc, self.cost))):
            gap = None  # it meets the lower bound: the cheapest after all
        return CoverPlan(alloc, None if gap is None else max(0.0, gap))


@dataclass(frozen=True, slots=True)
class CoverPlan:
    """A cover: instances per pool, and None if it is the cheapest, else how much more
    it may cost than the cheapest (when proving it would exceed the state budget)."""

    alloc: Counts
    gap: float | None = None
