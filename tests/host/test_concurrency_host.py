"""200 memberships of one group created, refreshed and deleted through one provider host at once.

The host shares one provider among its 4 worker threads; 8 client threads keep it busy, as the
engine does with `pulumi up --parallel`. The emulator answers after 5 ms and throws 503s along the
way, on a fixed schedule: some adds, some read-backs, the member listing and some removals. Every
operation must succeed and the group must end exactly as declared, its other members untouched.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from cloudflare_user_groups import UserGroupMember
from cloudflare_user_groups.emulator import Emulator, Fault
from tests.conftest import ACCOUNT_ID, TOKEN, Account, seed_account
from tests.host.harness import ProviderHost, provider_blob, provider_host, urn

COUNT = 200
OTHERS = 3
LATENCY = 0.005
CLIENT_THREADS = 8

T = TypeVar("T")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[TOKEN], latency=LATENCY) as emu:
        yield emu


@pytest.fixture(scope="module")
def host(emulator: Emulator) -> Iterator[ProviderHost]:
    with provider_host() as running:
        running.configure(
            {
                "cloudflare:apiToken": TOKEN,
                "cloudflare:baseUrl": emulator.base_url,
                "cloudflare-user-groups:propagationTimeout": "1",
            }
        )
        yield running


@pytest.fixture(scope="module")
def blob() -> str:
    return provider_blob(
        lambda: UserGroupMember(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
        )
    )


def in_parallel(work: Callable[[int], T], count: int) -> tuple[list[T], float]:
    """Run ``work(0..count-1)`` on CLIENT_THREADS threads; the results and the seconds taken."""
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(work, range(count)))
    return results, time.monotonic() - began


def test_200_memberships_with_latency_and_503s(
    host: ProviderHost, emulator: Emulator, blob: str
) -> None:
    """Creates, refreshes and deletes 200 memberships of one group with no error, exactly."""
    world: Account = seed_account(emulator, members=COUNT + OTHERS, group="crowd")
    others, members = world.member_ids[:OTHERS], world.member_ids[OTHERS:]
    emulator.add_group_members(world.account_id, world.user_group_id, others)
    group = f"^/accounts/{world.account_id}/iam/user_groups/{world.user_group_id}/members"

    def group_now() -> set[str]:
        return emulator.group_member_ids(world.account_id, world.user_group_id)

    def one(index: int) -> str:
        return f"{group}/{members[index]}$"

    # Creates: every 20th create queues a 503 for the next add, whoever sends it, and every 25th
    # member's read-back after its add fails once.
    for index in range(0, COUNT, 25):
        emulator.inject(Fault(method="GET", path=one(index), status=503))

    def create(index: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
        if index % 20 == 10:
            emulator.inject(Fault(method="POST", path=f"{group}$", status=503))
        name = urn(f"member-{index}")
        news = {
            "account_id": world.account_id,
            "user_group_id": world.user_group_id,
            "member_id": members[index],
            "__provider": blob,
        }
        checked, failures = host.check(name, {}, news)
        assert failures == []
        id_, outputs = host.create(name, checked)
        return id_, outputs, checked

    created, create_seconds = in_parallel(create, COUNT)
    assert group_now() == set(others) | set(members)
    assert sorted(id_ for id_, _, _ in created) == sorted(
        f"{world.account_id}/{world.user_group_id}/{member_id}" for member_id in members
    )
    assert emulator.pending_faults == []  # every scheduled 503 was met and retried

    # Refresh: reads share one listing of the group; the listing fails once first.
    emulator.inject(Fault(method="GET", path=f"{group}$", status=503))

    def refresh(index: int) -> str:
        id_, outputs, checked = created[index]
        read_id, refreshed, _ = host.read(urn(f"member-{index}"), id_, outputs, checked)
        assert refreshed["member_id"] == members[index]
        return read_id

    read_ids, read_seconds = in_parallel(refresh, COUNT)
    assert read_ids == [id_ for id_, _, _ in created]

    # Deletes: every 20th member's removal fails once.
    for index in range(5, COUNT, 20):
        emulator.inject(Fault(method="DELETE", path=one(index), status=503))

    def delete(index: int) -> None:
        id_, outputs, _ = created[index]
        host.delete(urn(f"member-{index}"), id_, outputs)

    _, delete_seconds = in_parallel(delete, COUNT)
    assert group_now() == set(others)
    assert emulator.pending_faults == []

    statuses = [request.status for request in emulator.requests]
    assert statuses.count(503) == COUNT // 20 + COUNT // 25 + 1 + COUNT // 20
    # Generous bounds: each phase is ~1-3 s here; the figures go in docs/reliability.md.
    assert create_seconds < 30
    assert read_seconds < 30
    assert delete_seconds < 30
