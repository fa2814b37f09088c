"""A per-user limit on questions: at most ``rate`` in any ``per`` seconds."""

from __future__ import annotations

import time
from collections import deque


class UserCooldown:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._recent: dict[int, deque[float]] = {}

    def retry_after(self, user_id: int, now: float | None = None) -> float:
        """0 and counts the use when allowed, else the seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= self.per:
            recent.popleft()
        if len(recent) >= self.rate:
            return self.per - (now - recent[0])
        recent.append(now)
        if len(self._recent) > 10_000:  # forget users who stopped asking
            self._recent = {u: q for u, q in self._recent.items() if q and now - q[-1] < self.per}
        return 0.0
