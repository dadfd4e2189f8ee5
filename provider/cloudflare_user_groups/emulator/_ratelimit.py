"""A fixed-window request budget shaped like Cloudflare's global API rate limit.

One budget is shared by every credential (Cloudflare counts per user; the emulator has no users).
The window opens at the first request after the previous one expired. Once ``limit`` requests have
been counted, the next request starts a block of ``block`` seconds during which every request is
refused; when the block ends a fresh window opens.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed, and the headers that say so."""

    allowed: bool
    headers: tuple[tuple[str, str], ...]
    retry_after: int | None = None


class RateLimiter:
    """Thread-safe fixed-window budget; off until :meth:`configure` gives it a limit."""

    def __init__(self, lock: threading.RLock, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = lock
        self._clock = clock
        self._limit: int | None = None
        self._window = 300.0
        self._block = 300.0
        self._window_start: float | None = None
        self._used = 0
        self._blocked_until: float | None = None

    def configure(
        self, limit: int | None, window: float = 300.0, block: float | None = None
    ) -> None:
        """Set (or with ``None`` remove) the budget; this also starts a fresh window."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ValueError("rate limit must be an integer >= 1 or None")
        if isinstance(window, bool) or not isinstance(window, int | float) or not window > 0:
            raise ValueError("rate-limit window must be a positive number of seconds")
        if block is not None and (
            isinstance(block, bool) or not isinstance(block, int | float) or block < 0
        ):
            raise ValueError("rate-limit block must be a non-negative number of seconds or None")
        with self._lock:
            self._limit = limit
            self._window = float(window)
            self._block = float(window if block is None else block)
            self._window_start = None
            self._used = 0
            self._blocked_until = None

    def spend(self) -> RateDecision | None:
        """Count one request; ``None`` when no limit is set."""
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            now = self._clock()
            if self._blocked_until is not None:
                if now < self._blocked_until:
                    return self._refuse(limit, self._blocked_until - now)
                self._blocked_until = None
                self._window_start = None
            if self._window_start is None or now >= self._window_start + self._window:
                self._window_start = now
                self._used = 0
            if self._used >= limit:
                self._blocked_until = now + self._block
                return self._refuse(limit, self._block)
            self._used += 1
            reset = self._window_start + self._window - now
            return RateDecision(True, self._headers(limit, limit - self._used, reset))

    def _refuse(self, limit: int, wait: float) -> RateDecision:
        # Retry-After is whole seconds rounded up (Cloudflare limits page), and at least 1.
        retry_after = max(1, math.ceil(wait))
        return RateDecision(False, self._headers(limit, 0, wait), retry_after)

    def _headers(self, limit: int, remaining: int, reset: float) -> tuple[tuple[str, str], ...]:
        return (
            ("Ratelimit", f'"default";r={remaining};t={max(0, math.ceil(reset))}'),
            ("Ratelimit-Policy", f'"default";q={limit};w={math.ceil(self._window)}'),
        )
