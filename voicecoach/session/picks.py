"""Pools: which of their lines a session says, so a daily exercise varies and does not repeat itself."""

import random


def choose_picks(pools: dict, recent: dict, rng: random.Random) -> dict:
    """Each pool's picks for a session: never one of the latest half of the pool said before, if avoidable."""
    picks = {}
    for name, pool in pools.items():
        said = [item for item in dict.fromkeys(recent.get(name, ())) if item in pool.items]
        avoid = said[: len(pool.items) // 2]
        fresh = [item for item in pool.items if item not in avoid]
        chosen = rng.sample(fresh, min(pool.pick, len(fresh)))
        chosen += list(reversed(avoid))[: pool.pick - len(chosen)]  # the longest ago first
        picks[name] = tuple(chosen)
    return picks


def typical_picks(pools: dict) -> dict:
    """Picks of middling length, for planning how long an exercise lasts."""
    return {name: tuple(sorted(pool.items, key=len)[(len(pool.items) - pool.pick) // 2:][: pool.pick])
            for name, pool in pools.items()}
