"""Cheap refresh: reads of many UserGroupMembers of one group share one paged listing."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.member import UserGroupMemberProvider
from tests.conftest import TOKEN, Account, seed_account


def provider_for(base_url: str, window: str = "30") -> UserGroupMemberProvider:
    provider = UserGroupMemberProvider()
    config = {
        "cloudflare:apiToken": TOKEN,
        "cloudflare:baseUrl": base_url,
        "cloudflare-user-groups:readCacheSeconds": window,
    }
    provider.configure(ConfigureRequest(Config(config, "test")))
    return provider


def state_of(account: Account, index: int) -> tuple[str, dict[str, Any]]:
    """The id and outputs a membership has in state after an earlier create."""
    member_id = account.member_ids[index]
    outputs = {
        "account_id": account.account_id,
        "user_group_id": account.user_group_id,
        "member_id": member_id,
        "email": account.emails[index],
        "status": "accepted",
        "created_at": "2026-01-01T00:00:00Z",
        "user": {"id": "u" * 32, "email": account.emails[index], "first_name": f"User{index}"},
        "identified_by": "member_id",
    }
    return f"{account.account_id}/{account.user_group_id}/{member_id}", outputs


@pytest.fixture
def big(emu: Emulator) -> Account:
    account = seed_account(emu, members=600, group="big")
    emu.add_group_members(account.account_id, account.user_group_id, account.member_ids)
    emu.reset_requests()
    return account


class TestCheapRefresh:
    def test_refresh_of_n_members_costs_pages_plus_one(self, big: Account) -> None:
        """Refreshes 600 memberships with one GET and ceil(600/500) list requests."""
        provider = provider_for(big.base_url)
        states = [state_of(big, i) for i in range(600)]
        results = [provider.read(id_, outs) for id_, outs in states]
        assert all(result.id for result in results)
        assert big.emulator.request_count() == math.ceil(600 / 500) + 1
        first = results[1].outs or {}
        assert first["created_at"] == "2026-01-01T00:00:00Z"  # kept from state
        assert first["user"]["first_name"] == "User1"

    def test_concurrent_refresh_shares_the_listing(self, big: Account) -> None:
        """Lets four host threads refresh at once while paying for one listing."""
        provider = provider_for(big.base_url)
        states = [state_of(big, i) for i in range(600)]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda s: provider.read(*s), states))
        assert all(result.id for result in results)
        assert big.emulator.request_count(method="GET", path=r"/members$") == 2
        assert big.emulator.request_count() <= math.ceil(600 / 500) + 4

    def test_removed_member_is_gone_from_the_listing(self, big: Account) -> None:
        """Drops a membership that the shared listing no longer holds."""
        provider = provider_for(big.base_url)
        big.emulator.remove_group_member(big.account_id, big.user_group_id, big.member_ids[7])
        results = {i: provider.read(*state_of(big, i)) for i in range(10)}
        assert not results[7].id
        assert all(results[i].id for i in range(10) if i != 7)

    def test_changed_member_is_read_again(self, big: Account) -> None:
        """Fetches fresh details for a member whose status differs from the state."""
        provider = provider_for(big.base_url)
        id_, outs = state_of(big, 3)
        provider.read(*state_of(big, 0))
        big.emulator.reset_requests()
        result = provider.read(id_, {**outs, "status": "pending"})
        assert (result.outs or {})["status"] == "accepted"
        assert big.emulator.request_count(path=r"/members/") == 1

    def test_own_write_is_never_hidden(self, account: Account) -> None:
        """Sees a membership this process removed, even within the window."""
        provider = provider_for(account.base_url)
        created = [
            provider.create(
                {
                    "account_id": account.account_id,
                    "user_group_id": account.user_group_id,
                    "member_id": member_id,
                }
            )
            for member_id in account.member_ids
        ]
        for result in created:
            assert provider.read(result.id, result.outs or {}).id
        provider.delete(created[0].id, created[0].outs or {})
        assert not provider.read(created[0].id, created[0].outs or {}).id
        assert provider.read(created[1].id, created[1].outs or {}).id

    def test_zero_window_reads_each_membership(self, big: Account) -> None:
        """Reads every membership on its own when the cache is switched off."""
        provider = provider_for(big.base_url, window="0")
        for i in range(5):
            provider.read(*state_of(big, i))
        assert big.emulator.request_count() == 5
