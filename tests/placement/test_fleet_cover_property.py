"""The capacity kernels under nested instance caps against brute force on small arrays."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from spotarb.placement.fleet_alloc import GroupCap, reachable_fill
from spotarb.placement.fleet_cover import CappedCover

Pools = tuple[list[float], list[int], list[int], list[int], list[int]]


@st.composite
def problems(draw: Any) -> tuple[Pools, int, int | None, int | None]:
    n = draw(st.integers(1, 6))
    cost = [draw(st.integers(1, 20)) / 7 for _ in range(n)]
    units = [draw(st.sampled_from([1, 2, 3, 4, 8])) for _ in range(n)]
    caps = [draw(st.integers(1, 3)) for _ in range(n)]
    provider = [draw(st.integers(0, 1)) for _ in range(n)]
    region = [p * 3 + draw(st.integers(0, 2)) for p in provider]
    # Pools in visit order: cost per unit, then position.
    order = sorted(range(n), key=lambda j: (round(cost[j] / units[j] * 1e9), j))
    pools = tuple([values[j] for j in order] for values in (cost, units, caps, region, provider))
    per_region = draw(st.one_of(st.none(), st.integers(1, 3)))
    per_provider = draw(st.one_of(st.none(), st.integers(1, 4)))
    return pools, draw(st.integers(1, 25)), per_region, per_provider  # type: ignore[return-value]


def _plans(pools: Pools, region_cap: int | None, provider_cap: int | None) -> list[tuple[int, ...]]:
    """Every combination of counts within the pool, region and provider caps."""
    _, _, caps, region, provider = pools
    out = []
    for counts in itertools.product(*(range(c + 1) for c in caps)):
        for codes, cap in ((region, region_cap), (provider, provider_cap)):
            if cap is not None:
                held: dict[int, int] = {}
                for n, code in zip(counts, codes, strict=True):
                    held[code] = held.get(code, 0) + n
                if max(held.values()) > cap:
                    break
        else:
            out.append(counts)
    return out


def _groups(pools: Pools, region_cap: int | None, provider_cap: int | None) -> list[GroupCap]:
    out: list[GroupCap] = []
    for codes, cap, size in ((pools[3], region_cap, 6), (pools[4], provider_cap, 2)):
        if cap is not None:
            out.append((np.array(codes), np.full(size, cap, dtype=np.int64)))
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_the_capped_cover_is_the_cheapest_plan(
    problem: tuple[Pools, int, int | None, int | None],
) -> None:
    pools, target, region_cap, provider_cap = problem
    if region_cap is None and provider_cap is None:
        region_cap = 2
    cost, units = pools[0], pools[1]
    covering = [c for c in _plans(pools, region_cap, provider_cap)
                if np.dot(c, units) >= target]  # fmt: skip
    groups = _groups(pools, region_cap, provider_cap)
    region = groups[0] if region_cap is not None else None
    provider = groups[-1] if provider_cap is not None else None
    cover = CappedCover(np.array(cost), np.array(units), np.array(pools[2]), target, region,
                        provider)  # fmt: skip
    found = cover.solve()
    alloc = None if found is None else found.alloc
    bounds = cover.bounds()
    lower = None if bounds is None else bounds[0]
    event("feasible" if covering else "infeasible")
    if not covering:
        assert alloc is None and lower is None
        return
    assert found is not None and alloc is not None and lower is not None
    assert found.gap is None  # proven the cheapest
    assert tuple(alloc.tolist()) in covering
    cheapest = min(float(np.dot(c, cost)) for c in covering)
    assert abs(float(np.dot(alloc, cost)) - cheapest) < 1e-9
    assert bounds is not None and lower <= cheapest + 1e-9 <= bounds[1] + 2e-9


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(), rounds=st.booleans())
def test_reachable_fill_is_the_checked_sequential_fill(
    problem: tuple[Pools, int, int | None, int | None], rounds: bool
) -> None:
    pools, target, region_cap, provider_cap = problem
    if region_cap is None and provider_cap is None:
        provider_cap = 2
    units = pools[1]
    covering = [c for c in _plans(pools, region_cap, provider_cap)
                if np.dot(c, units) >= target]  # fmt: skip
    # The rule, one instance at a time: a pool takes one while it has room under every
    # cap and some covering plan still holds everything taken so far plus it.
    alloc = [0] * len(units)
    covered = 0
    while covered < target:
        placed = False
        for i in range(len(units)):
            while covered < target:
                alloc[i] += 1
                if any(all(c[j] >= alloc[j] for j in range(len(units))) for c in covering):
                    covered += units[i]
                    placed = True
                    if rounds:
                        break
                else:
                    alloc[i] -= 1
                    break
        if not (rounds and placed):
            break
    got = reachable_fill(np.array(pools[2]), np.array(units),
                         target, _groups(pools, region_cap, provider_cap), rounds)  # fmt: skip
    event("reaches" if covered >= target else "short")
    if not covering:
        assert not got.any()
        return
    assert covered >= target
    assert got.tolist() == alloc
