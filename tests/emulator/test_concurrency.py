"""Thread safety: many clients writing to one emulator at once end in an exact, consistent state."""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests

from cloudflare_user_groups.emulator import Emulator
from tests.emulator.conftest import AUTH

THREADS = 8


def run_in_threads(work: Callable[[int], None]) -> None:
    """Run ``work(index)`` in THREADS threads released together; re-raise the first failure."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        # Failed asserts, requests errors (OSError) and bad JSON go to the main thread.
        except (AssertionError, OSError, ValueError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]


class TestThreadSafety:
    def test_concurrent_adds_reach_the_exact_union(self, emu: Emulator, account_id: str) -> None:
        """Keeps every member that 8 threads add at once, each in 5 separate POSTs."""
        group_id = str(emu.create_user_group(account_id, "Busy")["id"])
        members = [
            [
                str(emu.add_account_member(account_id, f"t{t}-{n}@example.com")["id"])
                for n in range(5)
            ]
            for t in range(THREADS)
        ]
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups/{group_id}/members"

        def add(index: int) -> None:
            with requests.Session() as session:
                for member_id in members[index]:
                    response = session.post(url, json=[{"id": member_id}], headers=AUTH, timeout=10)
                    assert response.status_code == 200

        run_in_threads(add)
        expected = {m for batch in members for m in batch}
        assert emu.group_member_ids(account_id, group_id) == expected
        assert emu.request_count("POST") == THREADS * 5

    def test_concurrent_creates_of_one_name_yield_one_group(
        self, emu: Emulator, account_id: str
    ) -> None:
        """Lets exactly one of 8 simultaneous creates of the same group name succeed."""
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        statuses: list[int] = []

        def create(_: int) -> None:
            with requests.post(url, json={"name": "Only"}, headers=AUTH, timeout=10) as response:
                statuses.append(response.status_code)

        run_in_threads(create)
        assert sorted(statuses) == [200] + [400] * (THREADS - 1)

    def test_concurrent_add_and_list_stay_consistent(self, emu: Emulator, account_id: str) -> None:
        """Answers every list with a consistent page while other threads write."""
        group_id = str(emu.create_user_group(account_id, "Mixed")["id"])
        member_ids = [
            str(emu.add_account_member(account_id, f"m{n}@example.com")["id"]) for n in range(20)
        ]
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups/{group_id}/members"

        def work(index: int) -> None:
            with requests.Session() as session:
                for n in range(index, 20, THREADS):
                    session.post(url, json=[{"id": member_ids[n]}], headers=AUTH, timeout=10)
                    body = session.get(url, headers=AUTH, timeout=10).json()
                    result = body["result"] or []
                    assert len(result) == body["result_info"]["count"]
                    assert body["result_info"]["total_count"] >= 1

        run_in_threads(work)
        assert emu.group_member_ids(account_id, group_id) == set(member_ids)
