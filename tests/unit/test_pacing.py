"""Unit tests for the request budget: configuration, header parsing and waiting, on a fake clock."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from cloudflare_user_groups.errors import InvalidInputError
from cloudflare_user_groups.pacing import (
    DEFAULT_LIMIT,
    DEFAULT_WINDOW,
    ENV_RATE_LIMIT,
    Pacer,
    RateLimitStatus,
    parse_rate_limit,
    parse_ratelimit,
    rate_limit_from_env,
    shared_pacer,
)
from tests.fakes import FakeClock


def fake_pacer(limit: int = 10, window: float = 60.0) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(limit, window, clock=clock, sleep=clock.sleep), clock


class TestParseRateLimit:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1200/300", (1200, 300.0)),
            (" 10 / 2.5 ", (10, 2.5)),
            ("1/0.5", (1, 0.5)),
            ("5/.5", (5, 0.5)),
        ],
    )
    def test_valid(self, value: str, expected: tuple[int, float]) -> None:
        """Reads N requests per SECONDS."""
        assert parse_rate_limit(value) == expected

    @pytest.mark.parametrize(
        "value",
        ["", "1200", "1200/", "/300", "0/300", "10/0", "-1/5", "10/-5", "a/b", "1e3/5", "10/5/1"],
    )
    def test_invalid_names_variable_and_form(self, value: str) -> None:
        """Rejects anything else with an error naming the variable and the expected form."""
        with pytest.raises(InvalidInputError) as info:
            parse_rate_limit(value)
        assert info.value.prop == ENV_RATE_LIMIT
        assert '"N/SECONDS"' in str(info.value)
        assert '"1200/300"' in str(info.value)


class TestRateLimitFromEnv:
    def test_default(self) -> None:
        """Uses Cloudflare's 1200 requests per 300 s when the variable is unset or blank."""
        assert rate_limit_from_env({}) == (DEFAULT_LIMIT, DEFAULT_WINDOW) == (1200, 300.0)
        assert rate_limit_from_env({ENV_RATE_LIMIT: "  "}) == (1200, 300.0)

    def test_from_variable(self) -> None:
        """Reads the variable when set."""
        assert rate_limit_from_env({ENV_RATE_LIMIT: "600/60"}) == (600, 60.0)

    def test_invalid_variable(self) -> None:
        """Raises a clear error for an invalid variable."""
        with pytest.raises(InvalidInputError, match=ENV_RATE_LIMIT):
            rate_limit_from_env({ENV_RATE_LIMIT: "fast"})


class TestParseRatelimitHeader:
    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"Ratelimit": '"default";r=50;t=30'}, RateLimitStatus(50, 30.0)),
            ({"ratelimit": '"default";r=0;t=12'}, RateLimitStatus(0, 12.0)),
            (
                {"Ratelimit": '"default";r=5;t=30', "Ratelimit-Policy": '"default";q=1200;w=300'},
                RateLimitStatus(5, 30.0, 1200),
            ),
            ({"Ratelimit": '"burst";r=9;t=1, "default";r=3;t=200'}, RateLimitStatus(3, 200.0)),
            ({"RateLimit-Remaining": "7", "RateLimit-Reset": "9"}, RateLimitStatus(7, 9.0)),
            ({"Ratelimit": '"default";r=-1;t=30'}, None),
            ({"Ratelimit": '"default";r=5'}, None),
            ({"Ratelimit": "garbage"}, None),
            ({"Ratelimit": '"default";r=5;t=inf'}, None),
            ({}, None),
        ],
    )
    def test_table(self, headers: dict[str, str], expected: RateLimitStatus | None) -> None:
        """Reads remaining and reset (most restrictive policy first) and ignores garbage."""
        assert parse_ratelimit(headers) == expected


class TestPacer:
    def test_rejects_bad_settings(self) -> None:
        """Refuses a zero limit or a non-positive window."""
        with pytest.raises(InvalidInputError):
            Pacer(0, 10)
        with pytest.raises(InvalidInputError):
            Pacer(10, 0)

    def test_sends_up_to_the_limit_without_waiting(self) -> None:
        """Lets `limit` requests through at once."""
        pacer, clock = fake_pacer(limit=5, window=60)
        for _ in range(5):
            assert pacer.acquire()
        assert clock.sleeps == []

    def test_waits_for_the_oldest_request_to_leave_the_window(self) -> None:
        """Holds the request over the limit until the first one is a window old."""
        pacer, clock = fake_pacer(limit=3, window=60)
        start = clock.now
        for _ in range(3):
            pacer.acquire()
            clock.now += 1
        assert pacer.delay() == pytest.approx(57)
        pacer.acquire()
        assert clock.now == pytest.approx(start + 60)

    def test_never_exceeds_the_limit_in_any_window(self) -> None:
        """Keeps every window at or under the limit over a long run."""
        pacer, clock = fake_pacer(limit=4, window=10)
        starts = []
        for _ in range(40):
            pacer.acquire()
            starts.append(clock.now)
        for index in range(len(starts) - 4):
            assert starts[index + 4] - starts[index] >= 10 - 1e-9

    def test_timeout_refuses_without_reserving(self) -> None:
        """Returns False at once when the wait would exceed the timeout, and counts nothing."""
        pacer, clock = fake_pacer(limit=1, window=60)
        pacer.acquire()
        assert pacer.acquire(timeout=30) is False
        assert clock.sleeps == []
        clock.now += 60
        assert pacer.acquire(timeout=0)

    def test_block_for_holds_back_the_next_request(self) -> None:
        """Waits out a block set after a 429."""
        pacer, clock = fake_pacer()
        pacer.block_for(20)
        assert pacer.delay() == pytest.approx(20)
        pacer.acquire()
        assert clock.sleeps == [pytest.approx(20)]

    def test_block_for_ignores_non_positive(self) -> None:
        """Ignores zero, negative and NaN blocks."""
        pacer, clock = fake_pacer()
        for seconds in (0.0, -5.0, float("nan")):
            pacer.block_for(seconds)
        pacer.acquire()
        assert clock.sleeps == []

    def test_block_arriving_during_a_wait_applies(self) -> None:
        """Makes a thread that is already waiting wait for a block set meanwhile."""
        clock = FakeClock()
        pacer: Pacer

        def sleep(seconds: float) -> None:
            if not clock.sleeps:
                pacer.block_for(30)  # another thread saw a 429 while this one slept
            clock.sleep(seconds)

        pacer = Pacer(1, 10, clock=clock, sleep=sleep)
        pacer.acquire()
        began = clock.now
        pacer.acquire()
        assert clock.now >= began + 30

    def test_block_during_wait_respects_timeout(self) -> None:
        """Gives up when a block set meanwhile would exceed the timeout."""
        clock = FakeClock()
        pacer: Pacer

        def sleep(seconds: float) -> None:
            if not clock.sleeps:
                pacer.block_for(100)
            clock.sleep(seconds)

        pacer = Pacer(1, 10, clock=clock, sleep=sleep)
        pacer.acquire()
        assert pacer.acquire(timeout=50) is False

    def test_spreads_requests_when_few_remain(self) -> None:
        """Spreads the remaining requests over the time left when the server says few remain."""
        pacer, clock = fake_pacer(limit=100, window=300)
        pacer.acquire()
        pacer.observe({"Ratelimit": '"default";r=4;t=40'})
        begin = clock.now
        times = []
        for _ in range(3):
            pacer.acquire()
            times.append(clock.now - begin)
        assert times[0] == pytest.approx(10)
        assert times[1] > times[0]
        assert times[-1] <= 40

    def test_waits_for_reset_when_none_remain(self) -> None:
        """Waits until the server's reset when it reports no requests left."""
        pacer, clock = fake_pacer(limit=100)
        pacer.observe({"Ratelimit": '"default";r=0;t=25'})
        begin = clock.now
        pacer.acquire()
        assert clock.now - begin == pytest.approx(25)

    def test_plenty_remaining_does_not_slow_down(self) -> None:
        """Sends at full speed while the server reports plenty left."""
        pacer, clock = fake_pacer(limit=100)
        pacer.observe({"Ratelimit": '"default";r=90;t=300'})
        for _ in range(5):
            pacer.acquire()
        assert clock.sleeps == []

    def test_server_feedback_expires_at_reset(self) -> None:
        """Forgets the server's numbers once its reset time has passed."""
        pacer, clock = fake_pacer(limit=100)
        pacer.observe({"Ratelimit": '"default";r=1;t=5'})
        clock.now += 6
        pacer.acquire()
        pacer.acquire()
        assert clock.sleeps == []

    def test_out_of_order_responses_keep_the_lowest_count(self) -> None:
        """Keeps the lower remaining count when an older response arrives late."""
        pacer, _clock = fake_pacer(limit=100)
        pacer.observe({"Ratelimit": '"default";r=0;t=30'})
        pacer.observe({"Ratelimit": '"default";r=50;t=30'})
        assert pacer.delay() == pytest.approx(30)

    def test_threads_share_the_budget(self) -> None:
        """Holds 8 threads together to the limit on the real clock."""
        pacer = Pacer(20, 0.3)
        began = time.monotonic()

        def work() -> None:
            for _ in range(5):
                assert pacer.acquire(timeout=5)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # 40 requests at 20 per 0.3 s: the 21st cannot start before 0.3 s.
        assert time.monotonic() - began >= 0.3 - 0.01

    def test_repr_shows_settings(self) -> None:
        """Shows its limit and window."""
        assert repr(Pacer(5, 2)) == "Pacer(limit=5, window=2)"


class TestSharedPacer:
    def test_one_per_credential_and_base_url(self) -> None:
        """Returns the same pacer for one key and different ones for other keys."""
        fingerprint = uuid.uuid4().hex
        first = shared_pacer(fingerprint, "https://api.example/client/v4")
        assert shared_pacer(fingerprint, "https://api.example/client/v4/") is first
        assert shared_pacer(fingerprint, "https://other.example/client/v4") is not first
        assert shared_pacer(uuid.uuid4().hex, "https://api.example/client/v4") is not first

    def test_uses_environment_on_creation(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Takes the budget from the environment when it creates the pacer."""
        monkeypatch.setenv(ENV_RATE_LIMIT, "30/15")
        pacer = shared_pacer(uuid.uuid4().hex, "https://api.example")
        assert (pacer.limit, pacer.window) == (30, 15.0)

    def test_explicit_values_win(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Uses explicit values, and then does not read an invalid variable."""
        monkeypatch.setenv(ENV_RATE_LIMIT, "broken")
        pacer = shared_pacer(uuid.uuid4().hex, "https://api.example", 7, 3.0)
        assert (pacer.limit, pacer.window) == (7, 3.0)

    def test_invalid_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Raises a clear error for an invalid variable."""
        monkeypatch.setenv(ENV_RATE_LIMIT, "lots")
        with pytest.raises(InvalidInputError, match=ENV_RATE_LIMIT):
            shared_pacer(uuid.uuid4().hex, "https://api.example")
