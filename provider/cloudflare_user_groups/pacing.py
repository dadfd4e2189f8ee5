"""A thread-safe request budget that keeps a process under Cloudflare's rate limit; no HTTP here.

Cloudflare allows 1200 requests per 5 minutes per user and then blocks *every* call for five
minutes, so it is far cheaper to slow down than to hit the limit. A ``Pacer`` spends one unit per
request from a sliding window, follows the server's ``Ratelimit`` header (spreading the remaining
requests over the time left when few remain) and, after a 429, holds back every thread until the
block is over. One pacer is shared per credential and base URL within the process.

The server counts a request when it arrives, which is some time after the client decided to send
it: a request therefore holds its place in the window from the moment its answer came back
(:meth:`Pacer.finish`), so that the window the server sees is never shorter than the client's.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

import attrs

from cloudflare_user_groups.errors import InvalidInputError

# https://developers.cloudflare.com/fundamentals/api/reference/limits/
DEFAULT_LIMIT = 1200
DEFAULT_WINDOW = 300.0
ENV_RATE_LIMIT = "CLOUDFLARE_USER_GROUPS_RATE_LIMIT"
# Below this share of the quota left, requests are spread over the time until the reset.
LOW_REMAINING_FRACTION = 0.1

_RATE_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d*)?|\.\d+)\s*")
_RATE_LIMIT_RULE = (
    'must be "N/SECONDS": at most N requests (a whole number, 1 or more) per SECONDS seconds '
    '(a positive number), for example "1200/300"'
)


def parse_rate_limit(value: str, source: str = ENV_RATE_LIMIT) -> tuple[int, float]:
    """Read ``"N/SECONDS"`` into ``(limit, window)``; InvalidInputError names ``source``."""
    match = _RATE_LIMIT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInputError(source, _RATE_LIMIT_RULE, value=value)
    limit, window = int(match.group(1)), float(match.group(2))
    if limit < 1 or not 0 < window < math.inf:
        raise InvalidInputError(source, _RATE_LIMIT_RULE, value=value)
    return limit, window


def rate_limit_from_env(env: Mapping[str, str] | None = None) -> tuple[int, float]:
    """Return the budget from ``CLOUDFLARE_USER_GROUPS_RATE_LIMIT``, or the Cloudflare default."""
    raw = (os.environ if env is None else env).get(ENV_RATE_LIMIT, "").strip()
    if not raw:
        return DEFAULT_LIMIT, DEFAULT_WINDOW
    return parse_rate_limit(raw)


@attrs.frozen
class RateLimitStatus:
    """What a ``Ratelimit`` header says: requests left and seconds until the window resets."""

    remaining: int
    reset: float
    quota: int | None = None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _parameters(item: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in item.split(";")[1:]:
        key, sep, val = part.partition("=")
        if sep:
            params[key.strip().lower()] = val.strip().strip('"')
    return params


def _non_negative_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _non_negative_float(text: str | None) -> float | None:
    try:
        number = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return number if 0 <= number < math.inf else None


def parse_ratelimit(headers: Mapping[str, str]) -> RateLimitStatus | None:
    """Read ``Ratelimit: "default";r=<remaining>;t=<reset>`` (and ``Ratelimit-Policy`` q).

    With several policies the one with the fewest requests left wins. The older
    ``Ratelimit-Remaining`` / ``Ratelimit-Reset`` pair is read as well.
    """
    quota = None
    policy = _header(headers, "Ratelimit-Policy")
    if policy:
        quotas = [_non_negative_int(_parameters(item).get("q")) for item in policy.split(",")]
        known = [q for q in quotas if q]
        quota = min(known) if known else None
    candidates: list[RateLimitStatus] = []
    combined = _header(headers, "Ratelimit")
    if combined:
        for item in combined.split(","):
            params = _parameters(item)
            remaining = _non_negative_int(params.get("r"))
            reset = _non_negative_float(params.get("t"))
            if remaining is not None and reset is not None:
                candidates.append(RateLimitStatus(remaining, reset, quota))
    else:
        remaining = _non_negative_int((_header(headers, "Ratelimit-Remaining") or "").strip())
        reset = _non_negative_float(_header(headers, "Ratelimit-Reset"))
        if remaining is not None and reset is not None:
            candidates.append(RateLimitStatus(remaining, reset, quota))
    return min(candidates, key=lambda status: status.remaining) if candidates else None


@attrs.frozen
class Slot:
    """One request's place in the budget: its number in the order of reservations and its start."""

    seq: int
    start: float


class Pacer:
    """A thread-safe sliding-window request budget that also follows the server's feedback."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        low_fraction: float = LOW_REMAINING_FRACTION,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInputError(
                "limit", "must be a whole number of requests, 1 or more", value=limit
            )
        if not 0 < window < math.inf:
            raise InvalidInputError("window", "must be a positive number of seconds", value=window)
        if not 0 <= low_fraction <= 1:
            raise InvalidInputError("low_fraction", "must be between 0 and 1", value=low_fraction)
        self._limit = limit
        self._window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._low_fraction = low_fraction
        self._lock = threading.Lock()
        # When each request of the current window started (or, once answered, finished), sorted;
        # future ones are reservations.
        self._starts: deque[float] = deque()
        self._last_start = -math.inf
        self._blocked_until = -math.inf
        self._reserved = 0
        self._server: RateLimitStatus | None = None
        self._server_reset_at = -math.inf
        # The reservation whose answer gave ``_server`` (None: an observation without a slot).
        self._server_seq: int | None = None
        # Each thread's request in flight, so that observe() knows which request it answers.
        self._local = threading.local()

    @property
    def limit(self) -> int:
        """The most requests sent in any window."""
        return self._limit

    @property
    def window(self) -> float:
        """The window length in seconds."""
        return self._window

    def __repr__(self) -> str:
        return f"Pacer(limit={self._limit}, window={self._window:g})"

    def delay(self) -> float:
        """Seconds until the next request could be sent (0: now); reserves nothing."""
        with self._lock:
            now = self._clock()
            return max(0.0, self._next_start(now) - now)

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait until a request may be sent and count it; False if that takes over ``timeout``."""
        return self.reserve(timeout) is not None

    def reserve(self, timeout: float | None = None) -> Slot | None:
        """Like :meth:`acquire`, but return the request's slot, for :meth:`observe` and
        :meth:`finish`; None if the wait would take over ``timeout``."""
        with self._lock:
            began = now = self._clock()
            start = self._next_start(now)
            if timeout is not None and start - now > timeout:
                return None
            self._starts.append(start)
            self._last_start = start
            self._reserved += 1
            slot = Slot(self._reserved, start)
            self._local.slot = slot
            if self._server is not None:
                self._server = attrs.evolve(self._server, remaining=self._server.remaining - 1)
        if start > now:
            self._sleep(start - now)
        # A 429 seen by another thread while this one slept holds this request back as well.
        while True:
            with self._lock:
                now = self._clock()
                wait = self._blocked_until - now
            if wait <= 0:
                return slot
            if timeout is not None and now + wait - began > timeout:
                self._local.slot = None
                return None
            self._sleep(wait)

    def finish(self, slot: Slot | None = None) -> None:
        """Count the request (by default this thread's last) from now on, when its answer or
        failure came back.

        The server counted it somewhere between its start and now; counting it from now keeps
        the client's window at least as long as the server's, whatever the latency.
        """
        if slot is None:
            slot = getattr(self._local, "slot", None)
            if slot is None:
                return
        if getattr(self._local, "slot", None) == slot:
            self._local.slot = None
        with self._lock:
            now = self._clock()
            index = bisect.bisect_left(self._starts, slot.start)
            if index < len(self._starts) and self._starts[index] == slot.start:
                del self._starts[index]
            bisect.insort(self._starts, max(now, slot.start))

    def observe(self, headers: Mapping[str, str], slot: Slot | None = None) -> None:
        """Take the server's ``Ratelimit`` header into account (any response, errors included).

        ``slot`` is the request it answers (by default this thread's request in flight): an
        answer to a request sent before the one that gave the current numbers is ignored, and
        the requests sent since are deducted.
        """
        status = parse_ratelimit(headers)
        if status is None:
            return
        if slot is None:
            slot = getattr(self._local, "slot", None)
        with self._lock:
            now = self._clock()
            reset_at = now + status.reset
            current = self._server
            known = current is not None and now < self._server_reset_at
            if slot is not None:
                if known and self._server_seq is not None and slot.seq < self._server_seq:
                    return  # parallel answers arrive out of order: this one is older news
                sent_since = self._reserved - slot.seq
                status = attrs.evolve(status, remaining=status.remaining - sent_since)
                if known and current is not None and status.remaining <= current.remaining:
                    # Still the same window (a new one would show more left). The reset is
                    # given in whole seconds, rounded up: the earliest estimate is the closest.
                    reset_at = min(reset_at, self._server_reset_at)
            elif known and current is not None and abs(reset_at - self._server_reset_at) < 1.0:
                # Without slots, answers cannot be ordered: within one window keep the lowest
                # count, which also still includes the requests sent since.
                status = attrs.evolve(status, remaining=min(status.remaining, current.remaining))
            self._server = status
            self._server_reset_at = reset_at
            self._server_seq = None if slot is None else slot.seq

    def block_for(self, seconds: float) -> None:
        """Hold back every request of this pacer for ``seconds`` (after a 429)."""
        if not seconds > 0:
            return
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + min(seconds, 1e9))

    def _next_start(self, now: float) -> float:
        start = max(now, self._last_start, self._blocked_until)
        while self._starts and self._starts[0] <= now - self._window:
            self._starts.popleft()
        if len(self._starts) >= self._limit:
            # The request `limit` places back must leave the window first.
            start = max(start, self._starts[len(self._starts) - self._limit] + self._window)
        server = self._server
        if server is not None and now >= self._server_reset_at:
            self._server = server = None
        if server is not None:
            quota = server.quota or self._limit
            low = max(1, math.ceil(quota * self._low_fraction))
            if server.remaining <= 0:
                start = max(start, self._server_reset_at)
            elif server.remaining <= low:
                spacing = (self._server_reset_at - now) / server.remaining
                start = max(start, min(self._last_start + spacing, self._server_reset_at))
        return start


_registry: dict[tuple[str, str], Pacer] = {}
_registry_lock = threading.Lock()


def shared_pacer(
    fingerprint: str, base_url: str, limit: int | None = None, window: float | None = None
) -> Pacer:
    """Return the process-wide pacer of one credential and base URL, creating it on first use.

    ``limit`` and ``window`` default to ``CLOUDFLARE_USER_GROUPS_RATE_LIMIT`` or 1200/300 s and only
    apply when the pacer is created: later callers share the first caller's budget.
    """
    key = (fingerprint, base_url.rstrip("/"))
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            if limit is None or window is None:
                env_limit, env_window = rate_limit_from_env()
                limit = env_limit if limit is None else limit
                window = env_window if window is None else window
            pacer = Pacer(limit, window)
            _registry[key] = pacer
        return pacer
