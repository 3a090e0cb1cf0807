"""Requests per caller (admin key or user): a token bucket each, pyrate-limiter's, kept in this process.

Each Cloud Run instance counts on its own, so N instances admit up to N times the rate: the limit protects an
instance (and the model behind it) from one caller, it is not a quota. A bucket that has refilled holds nothing a
new one would not, so idle ones are dropped and the table stays as small as the set of recent callers.
"""

import math

from pyrate_limiter import Duration, Rate, RateItem, StateBucket, TokenBucket

MAX_CALLERS = 10_000  # buckets kept; past it, the refilled ones are dropped, then the oldest


class RateLimiter:
    """`per_min` requests a minute per caller, `burst` of them at once; `check` says how long to wait, if at all."""

    def __init__(self, per_min: int, burst: int, max_callers: int = MAX_CALLERS):
        self.rate = Rate(per_min, Duration.MINUTE, burst=burst)
        self.max_callers = max_callers
        self._buckets: dict[str, StateBucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, caller: str) -> float | None:
        """Take one request from `caller`'s bucket: None when admitted, else the seconds until one is."""
        bucket = self._buckets.get(caller)
        if bucket is None:
            self._make_room()
            bucket = self._buckets[caller] = StateBucket([self.rate], TokenBucket())
        item = RateItem(caller, bucket.now())
        decision = bucket.put_decision(item)
        if decision.allowed:
            return None
        wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else bucket.waiting(item)
        return max(wait_ms, 1) / 1000

    def _make_room(self) -> None:
        if len(self._buckets) < self.max_callers:
            return
        for caller in [c for c, b in self._buckets.items() if b.count() == 0]:  # full again: nothing to remember
            del self._buckets[caller]
        while len(self._buckets) >= self.max_callers:  # all busy: forget the oldest (it restarts with a full bucket)
            del self._buckets[next(iter(self._buckets))]


def retry_after(seconds: float) -> str:
    """The Retry-After header's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
