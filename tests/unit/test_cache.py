"""The shared group listings behind cheap refresh: when they fetch, share, fail and expire."""

from __future__ import annotations

import threading
import time

import pytest

from cloudflare_user_groups._cache import GroupListCache, forget_everywhere, shared_cache
from cloudflare_user_groups.models import GroupMember

KEY = ("http://x/client/v4", "a" * 32, "b" * 32)
MEMBER = GroupMember(id="c" * 32, email="c@example.com", status="accepted")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    def __init__(self, result: dict[str, GroupMember] | None = None) -> None:
        self.calls = 0
        self.result = {MEMBER.id: MEMBER} if result is None else result

    def __call__(self) -> dict[str, GroupMember] | None:
        self.calls += 1
        return self.result


class TestGroupListCache:
    def test_first_read_goes_alone(self) -> None:
        """Answers None to the first read of a group, so a lone refresh costs one GET."""
        fetch = Fetcher()
        assert GroupListCache(10, FakeClock()).members(KEY, fetch) is None
        assert fetch.calls == 0

    def test_later_reads_share_one_listing(self) -> None:
        """Fetches once on the second read and serves every further read from it."""
        cache = GroupListCache(10, FakeClock())
        fetch = Fetcher()
        cache.members(KEY, fetch)
        results = [cache.members(KEY, fetch) for _ in range(50)]
        assert fetch.calls == 1
        assert all(result == {MEMBER.id: MEMBER} for result in results)

    def test_gone_group_reads_as_empty(self) -> None:
        """Turns a group that no longer exists into an empty listing."""
        cache = GroupListCache(10, FakeClock())
        fetch = Fetcher()
        fetch.result = None  # type: ignore[assignment]
        cache.members(KEY, fetch)
        assert cache.members(KEY, fetch) == {}

    def test_window_expiry_starts_over(self) -> None:
        """Starts over with a lone read once the window has passed."""
        clock = FakeClock()
        cache = GroupListCache(10, clock)
        fetch = Fetcher()
        cache.members(KEY, fetch)
        cache.members(KEY, fetch)
        clock.now += 10.5
        assert cache.members(KEY, fetch) is None
        assert cache.members(KEY, fetch) is not None
        assert fetch.calls == 2

    def test_forget_drops_the_listing(self) -> None:
        """Fetches again after a write forgot the group."""
        cache = GroupListCache(10, FakeClock())
        fetch = Fetcher()
        cache.members(KEY, fetch)
        cache.members(KEY, fetch)
        cache.forget(KEY)
        assert cache.members(KEY, fetch) is None
        cache.members(KEY, fetch)
        assert fetch.calls == 2

    def test_zero_window_disables(self) -> None:
        """Never shares anything when the window is zero."""
        cache = GroupListCache(0, FakeClock())
        fetch = Fetcher()
        assert [cache.members(KEY, fetch) for _ in range(3)] == [None, None, None]
        assert fetch.calls == 0

    def test_error_reaches_the_read_and_the_next_read_retries(self) -> None:
        """Raises a failed fetch's error and fetches again on the next read."""
        cache = GroupListCache(10, FakeClock())
        cache.members(KEY, Fetcher())

        def broken() -> dict[str, GroupMember] | None:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            cache.members(KEY, broken)
        fetch = Fetcher()
        assert cache.members(KEY, fetch) == {MEMBER.id: MEMBER}
        assert fetch.calls == 1

    def test_concurrent_reads_wait_for_one_fetch(self) -> None:
        """Makes concurrent reads wait for the fetch in flight instead of fetching again."""
        cache = GroupListCache(10)
        release = threading.Event()
        calls = []

        def slow() -> dict[str, GroupMember] | None:
            calls.append(1)
            release.wait(5)
            return {MEMBER.id: MEMBER}

        cache.members(KEY, slow)
        results: list[object] = []
        threads = [
            threading.Thread(target=lambda: results.append(cache.members(KEY, slow)))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.1)
        release.set()
        for thread in threads:
            thread.join(5)
        assert len(calls) == 1
        assert results == [{MEMBER.id: MEMBER}] * 8


class TestSharedCache:
    def test_forget_everywhere_reaches_every_window(self) -> None:
        """Forgets a group in the caches of every window length."""
        key = ("http://shared/client/v4", "d" * 32, "e" * 32)
        caches = [shared_cache(61.0), shared_cache(62.0)]
        fetch = Fetcher()
        for cache in caches:
            cache.members(key, fetch)
            cache.members(key, fetch)
        forget_everywhere(key)
        assert all(cache.members(key, fetch) is None for cache in caches)
