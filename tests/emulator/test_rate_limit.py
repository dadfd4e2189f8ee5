"""The rate limiter: budget arithmetic on a fake clock, then 429s and headers on the wire."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.emulator._ratelimit import RateLimiter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at t=1000."""
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    """A limiter on the fake clock, still unconfigured."""
    return RateLimiter(threading.RLock(), clock)


def header(decision: object, name: str) -> str:
    """One header of a decision."""
    headers = dict(getattr(decision, "headers", ()))
    return str(headers[name])


class TestRateLimiter:
    def test_off_by_default(self, limiter: RateLimiter) -> None:
        """Counts nothing and adds no headers until a limit is set."""
        assert limiter.spend() is None

    def test_spends_the_budget_then_refuses(self, limiter: RateLimiter, clock: FakeClock) -> None:
        """Allows ``limit`` requests with falling remaining counts, then refuses."""
        limiter.configure(3, window=60)
        remaining = []
        for _ in range(3):
            decision = limiter.spend()
            assert decision is not None
            assert decision.allowed
            remaining.append(header(decision, "Ratelimit"))
            clock.now += 10
        assert remaining == [
            '"default";r=2;t=60',
            '"default";r=1;t=50',
            '"default";r=0;t=40',
        ]
        refused = limiter.spend()
        assert refused is not None
        assert not refused.allowed
        assert refused.retry_after == 60
        assert header(refused, "Ratelimit-Policy") == '"default";q=3;w=60'

    @pytest.mark.parametrize(
        ("block", "elapsed", "retry_after"),
        [
            (None, 0.0, 60),
            (5.0, 0.0, 5),
            (1.2, 0.0, 2),
            (10.0, 9.5, 1),
            (0.3, 0.0, 1),
        ],
    )
    def test_block_period_and_retry_after(
        self,
        limiter: RateLimiter,
        clock: FakeClock,
        block: float | None,
        elapsed: float,
        retry_after: int,
    ) -> None:
        """Refuses through the block (default: the window), Retry-After rounded up to >= 1."""
        limiter.configure(1, window=60, block=block)
        limiter.spend()
        first = limiter.spend()
        assert first is not None
        assert not first.allowed
        clock.now += elapsed
        decision = limiter.spend()
        assert decision is not None
        assert not decision.allowed
        assert decision.retry_after == retry_after
        assert header(decision, "Ratelimit").startswith('"default";r=0;')

    def test_fresh_window_after_block(self, limiter: RateLimiter, clock: FakeClock) -> None:
        """Opens a full new window once the block has passed."""
        limiter.configure(2, window=10, block=3)
        for _ in range(3):
            limiter.spend()
        clock.now += 3
        decision = limiter.spend()
        assert decision is not None
        assert decision.allowed
        assert header(decision, "Ratelimit") == '"default";r=1;t=10'

    def test_window_expiry_restores_budget(self, limiter: RateLimiter, clock: FakeClock) -> None:
        """Restores the budget when the window ends without it being exceeded."""
        limiter.configure(2, window=10)
        limiter.spend()
        limiter.spend()
        clock.now += 10
        decision = limiter.spend()
        assert decision is not None
        assert decision.allowed
        assert header(decision, "Ratelimit") == '"default";r=1;t=10'

    def test_none_turns_it_off(self, limiter: RateLimiter) -> None:
        """Stops counting when the limit is set back to None."""
        limiter.configure(1)
        limiter.spend()
        limiter.configure(None)
        assert limiter.spend() is None

    @pytest.mark.parametrize(
        ("limit", "window", "block"),
        [(0, 60.0, None), (True, 60.0, None), (1.5, 60.0, None), (1, 0.0, None), (1, 60.0, -1.0)],
    )
    def test_rejects_invalid_configuration(
        self, limiter: RateLimiter, limit: object, window: float, block: float | None
    ) -> None:
        """Refuses a limit below 1, a non-positive window or a negative block."""
        with pytest.raises(ValueError):
            limiter.configure(limit, window, block)  # type: ignore[arg-type]


class TestRateLimitOnTheWire:
    def test_headers_then_429(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Sends Ratelimit headers, then 429 code 971 with Retry-After once spent."""
        emu.set_rate_limit(2, window=30)
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        first = http_session.get(url)
        assert first.headers["Ratelimit"] == '"default";r=1;t=30'
        assert first.headers["Ratelimit-Policy"] == '"default";q=2;w=30'
        second = http_session.get(f"{url}/{'0' * 32}")  # errors spend budget too
        assert second.status_code == 404
        assert second.headers["Ratelimit"].startswith('"default";r=0;')
        third = http_session.get(url)
        assert third.status_code == 429
        assert third.headers["Retry-After"] == "30"
        body = third.json()
        assert body["success"] is False
        assert body["errors"] == [
            {"code": 971, "message": "Please wait and consider throttling your request speed"}
        ]
        assert [r.status for r in emu.requests] == [200, 404, 429]

    def test_block_then_recovery(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers 429 to every request in the block, then serves again."""
        emu.set_rate_limit(1, window=0.4)
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        assert http_session.get(url).status_code == 200
        blocked = [http_session.get(url) for _ in range(3)]
        assert [r.status_code for r in blocked] == [429, 429, 429]
        assert all(r.headers["Retry-After"] == "1" for r in blocked)
        time.sleep(0.45)
        assert http_session.get(url).status_code == 200

    def test_no_headers_without_limit(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Sends no rate-limit headers while no limit is set."""
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert "Ratelimit" not in response.headers
        assert "Ratelimit-Policy" not in response.headers

    def test_budget_is_shared_by_all_credentials(self, emu: Emulator, account_id: str) -> None:
        """Counts requests with different credentials against one budget."""
        emu.set_rate_limit(1, window=30)
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        with requests.get(url, headers={"Authorization": "Bearer one"}) as first:
            assert first.status_code == 200
        with requests.get(
            url, headers={"X-Auth-Email": "b@example.com", "X-Auth-Key": "two"}
        ) as second:
            assert second.status_code == 429
