"""Pacing through the real provider host against the emulator's rate limit, on a scaled window.

Cloudflare allows 1200 requests per 300 s per user and then refuses every call for 300 s. Here the
emulator enforces 20 per second (and a 1 s block), the host's pacer is given a budget, and 8 client
threads push a burst of creates through the host's 4 worker threads. Figures seen: 50 requests in
2.2-2.4 s against a lower bound of 2 s with no 429; with a budget 50 times the server's, the same;
after another consumer spent the window, 3-4 requests in flight meet a 429 and the rest wait 1 s.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cloudflare_user_groups import UserGroupMember
from cloudflare_user_groups.emulator import Emulator, RecordedRequest
from tests.conftest import ACCOUNT_ID, TOKEN, Account, seed_account
from tests.host.harness import ProviderHost, provider_blob, provider_host, urn

LIMIT = 20
WINDOW = 1.0
BURST = 25  # creates: one POST and one GET each, so 50 requests, 2.5 windows' worth
HOST_WORKERS = 4  # the provider host serves at most 4 calls at once


@pytest.fixture
def host() -> Iterator[ProviderHost]:
    """A host per test: it configures each provider once, with the first emulator's URL."""
    with provider_host() as running:
        yield running


@pytest.fixture(scope="module")
def blob() -> str:
    return provider_blob(
        lambda: UserGroupMember(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
        )
    )


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator per test: a new base URL, so the host builds a new pacer for it."""
    with Emulator(tokens=[TOKEN]) as emu:
        yield emu


def configure(host: ProviderHost, emu: Emulator, rate_limit: str) -> None:
    host.configure(
        {
            "cloudflare:apiToken": TOKEN,
            "cloudflare:baseUrl": emu.base_url,
            "cloudflare-user-groups:rateLimit": rate_limit,
        }
    )


def burst(host: ProviderHost, world: Account, blob: str) -> float:
    """Create a membership for every member of ``world`` from 8 threads; return the seconds."""

    def create(member_id: str) -> str:
        news: dict[str, Any] = {
            "account_id": world.account_id,
            "user_group_id": world.user_group_id,
            "member_id": member_id,
            "__provider": blob,
        }
        checked, failures = host.check(urn(member_id), {}, news)
        assert failures == []
        return host.create(urn(member_id), checked)[0]

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, world.member_ids))
    elapsed = time.monotonic() - began
    assert len(set(ids)) == len(world.member_ids)
    assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == set(
        world.member_ids
    )
    return elapsed


def lower_bound(requests_sent: int) -> float:
    """The earliest the last of ``requests_sent`` requests may start under LIMIT per WINDOW."""
    return (math.ceil(requests_sent / LIMIT) - 1) * WINDOW


def busiest_window(log: list[RecordedRequest]) -> int:
    """The most requests that arrived at the server within any WINDOW seconds."""
    times = sorted(r.at for r in log)
    return max(sum(1 for t in times[i:] if t < start + WINDOW) for i, start in enumerate(times))


class TestPacing:
    def test_equal_budget_sends_no_429_and_takes_the_lower_bound(
        self, host: ProviderHost, emulator: Emulator, blob: str
    ) -> None:
        """Stays under a server budget equal to its own: no 429, and about the least time."""
        world = seed_account(emulator, members=BURST)
        configure(host, emulator, f"{LIMIT}/{WINDOW:g}")
        emulator.set_rate_limit(LIMIT, window=WINDOW)
        emulator.reset_requests()

        elapsed = burst(host, world, blob)

        log = emulator.requests
        assert len(log) == 2 * BURST
        assert [r for r in log if r.status != 200] == []
        assert busiest_window(log) <= LIMIT
        bound = lower_bound(len(log))
        # Within one window of the bound: Ratelimit gives the reset in whole seconds, rounded up.
        assert bound <= elapsed <= bound + WINDOW

    def test_bigger_budget_follows_the_server_and_waits_out_429s(
        self, host: ProviderHost, emulator: Emulator, blob: str
    ) -> None:
        """Follows the server's Ratelimit header when its own budget is 50 times larger."""
        world = seed_account(emulator, members=BURST)
        configure(host, emulator, f"{50 * LIMIT}/{WINDOW:g}")
        emulator.set_rate_limit(LIMIT, window=WINDOW, block=WINDOW)
        emulator.reset_requests()

        elapsed = burst(host, world, blob)

        log = emulator.requests
        refused = [r for r in log if r.status == 429]
        assert len(refused) <= HOST_WORKERS  # at most the calls already in flight
        assert len(log) - len(refused) == 2 * BURST
        assert elapsed >= lower_bound(2 * BURST)

    def test_429s_from_another_consumer_are_waited_out_per_retry_after(
        self, host: ProviderHost, emulator: Emulator, blob: str
    ) -> None:
        """Waits as Retry-After says when something else spent the budget, then succeeds."""
        # After the block, every request and retry fits in one window: no second exhaustion.
        world = seed_account(emulator, members=(LIMIT - HOST_WORKERS) // 2)
        configure(host, emulator, f"{50 * LIMIT}/{WINDOW:g}")
        block = 1.0
        emulator.set_rate_limit(LIMIT, window=WINDOW, block=block)
        # Another tool on the same user (the dashboard, a script) spends the whole window.
        with requests.Session() as other:
            for _ in range(LIMIT + 1):
                other.get(
                    f"{emulator.base_url}/accounts/{ACCOUNT_ID}/iam/user_groups",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=5,
                ).close()
        emulator.reset_requests()

        burst(host, world, blob)

        log = emulator.requests
        refused = [r for r in log if r.status == 429]
        assert 1 <= len(refused) <= HOST_WORKERS
        # Nothing new is sent until the block is over: the first answered request comes after it.
        first_refusal = min(r.at for r in refused)
        answered = [r.at for r in log if r.status == 200]
        assert min(answered) >= first_refusal + block - 0.1
        assert len(answered) == 2 * len(world.member_ids)
