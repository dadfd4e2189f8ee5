"""The client against the real emulator on loopback: every operation, pages, faults and threads."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudflare_user_groups.client import CloudflareClient, Credentials, RetryPolicy
from cloudflare_user_groups.emulator import Emulator, Fault
from cloudflare_user_groups.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from cloudflare_user_groups.models import GroupMember
from cloudflare_user_groups.pacing import Pacer
from tests.conftest import ACCOUNT_ID, TOKEN, Account

FAST = RetryPolicy(
    max_attempts=4, deadline=10.0, initial_delay=0.01, max_delay=0.05, max_retry_after=3.0
)
MEMBERS = r"/members$"


def make_client(
    emu: Emulator,
    *,
    token: str = TOKEN,
    retry: RetryPolicy = FAST,
    timeout: tuple[float, float] = (2.0, 5.0),
) -> CloudflareClient:
    return CloudflareClient(
        Credentials("api_token", token),
        base_url=emu.base_url,
        retry=retry,
        timeout=timeout,
        pacer=Pacer(),
    )


@pytest.fixture
def client(emu: Emulator) -> Iterator[CloudflareClient]:
    """A client of the emulator with fast retries and its own pacer."""
    with make_client(emu) as made:
        yield made


class TestGroupMemberOperations:
    def test_add_list_get_replace_remove(self, client: CloudflareClient, account: Account) -> None:
        """Runs each group-member operation and sees its effect in the emulator."""
        group, (m1, m2, m3) = account.user_group_id, account.member_ids
        emu = account.emulator
        added = client.add_group_members(ACCOUNT_ID, group, [m1, m2])
        assert {m.id for m in added} == {m1, m2}
        assert emu.group_member_ids(ACCOUNT_ID, group) == {m1, m2}

        listed = client.list_group_members(ACCOUNT_ID, group)
        assert [m.email for m in listed] == ["user0000@example.com", "user0001@example.com"]
        assert listed[0] == GroupMember(m1, "user0000@example.com", "accepted")

        detail = client.get_group_member(ACCOUNT_ID, group, m2)
        assert detail.id == m2
        assert detail.email == "user0001@example.com"
        assert detail.created_at is not None and detail.created_at.endswith("Z")
        assert detail.user is not None and detail.user.first_name == "User1"

        replaced = client.replace_group_members(ACCOUNT_ID, group, [m3])
        assert [m.id for m in replaced] == [m3]
        assert emu.group_member_ids(ACCOUNT_ID, group) == {m3}

        removed = client.remove_group_member(ACCOUNT_ID, group, m3)
        assert removed is not None and removed.id == m3
        assert emu.group_member_ids(ACCOUNT_ID, group) == set()
        assert client.list_group_members(ACCOUNT_ID, group) == []

    def test_add_is_idempotent(self, client: CloudflareClient, account: Account) -> None:
        """Adds a member twice without error and without a duplicate."""
        group, m1 = account.user_group_id, account.member_ids[0]
        client.add_group_members(ACCOUNT_ID, group, [m1])
        again = client.add_group_members(ACCOUNT_ID, group, [m1])
        assert [m.id for m in again] == [m1]

    def test_upper_case_ids_are_sent_lower_case(
        self, client: CloudflareClient, account: Account
    ) -> None:
        """Lower-cases identifiers so that the emulator sees the canonical form."""
        group, m1 = account.user_group_id, account.member_ids[0]
        client.add_group_members(ACCOUNT_ID.upper(), group.upper(), [m1.upper()])
        assert account.emulator.group_member_ids(ACCOUNT_ID, group) == {m1}
        assert (
            account.emulator.requests[-1].path
            == f"/accounts/{ACCOUNT_ID}/iam/user_groups/{group}/members"
        )

    def test_replace_with_nothing_clears(self, client: CloudflareClient, account: Account) -> None:
        """Clears the group with an empty replace."""
        group = account.user_group_id
        account.emulator.add_group_members(ACCOUNT_ID, group, list(account.member_ids))
        assert client.replace_group_members(ACCOUNT_ID, group, []) == []
        assert account.emulator.group_member_ids(ACCOUNT_ID, group) == set()

    def test_filters_and_direction(self, client: CloudflareClient, account: Account) -> None:
        """Passes fuzzy_email and direction through to the API."""
        group = account.user_group_id
        account.emulator.add_group_members(ACCOUNT_ID, group, list(account.member_ids))
        found = client.list_group_members(ACCOUNT_ID, group, fuzzy_email="USER0002")
        assert [m.id for m in found] == [account.member_ids[2]]
        backwards = client.list_group_members(ACCOUNT_ID, group, direction="desc")
        assert [m.id for m in backwards] == list(reversed(account.member_ids))

    def test_pages_1200_members_in_3_requests(
        self, client: CloudflareClient, emu: Emulator
    ) -> None:
        """Lists 1,200 members at 500 per page with exactly 3 list requests."""
        ids = [
            emu.add_account_member(ACCOUNT_ID, f"p{i:04d}@example.com")["id"] for i in range(1200)
        ]
        group = emu.create_user_group(ACCOUNT_ID, "big")["id"]
        emu.add_group_members(ACCOUNT_ID, group, ids)
        emu.reset_requests()
        members = client.list_group_members(ACCOUNT_ID, group, per_page=500)
        assert len(members) == 1200
        assert {m.id for m in members} == set(ids)
        assert emu.request_count("GET", MEMBERS) == 3
        assert [r.query["page"] for r in emu.requests] == ["1", "2", "3"]


class TestUserGroupOperations:
    def test_create_get_list_delete(self, client: CloudflareClient, emu: Emulator) -> None:
        """Creates, reads, lists (by name and fragment) and deletes a user group."""
        created = client.create_user_group(ACCOUNT_ID, "Platform Admins")
        assert created.name == "Platform Admins"
        assert client.get_user_group(ACCOUNT_ID, created.id) == created
        emu.create_user_group(ACCOUNT_ID, "Billing")
        assert [g.name for g in client.list_user_groups(ACCOUNT_ID)] == [
            "Billing",
            "Platform Admins",
        ]
        assert [g.id for g in client.list_user_groups(ACCOUNT_ID, name="Platform Admins")] == [
            created.id
        ]
        assert [g.name for g in client.list_user_groups(ACCOUNT_ID, fuzzy_name="platform")] == [
            "Platform Admins"
        ]
        names = [g.name for g in client.list_user_groups(ACCOUNT_ID, direction="desc")]
        assert names == ["Platform Admins", "Billing"]
        assert client.delete_user_group(ACCOUNT_ID, created.id) is None
        with pytest.raises(NotFoundError):
            client.get_user_group(ACCOUNT_ID, created.id)

    def test_pages_user_groups(self, client: CloudflareClient, emu: Emulator) -> None:
        """Follows the pages of the user-group list."""
        for i in range(7):
            emu.create_user_group(ACCOUNT_ID, f"g{i}")
        emu.reset_requests()
        assert len(client.list_user_groups(ACCOUNT_ID, per_page=3)) == 7
        assert emu.request_count("GET") == 3

    def test_duplicate_name_is_a_bad_request(self, client: CloudflareClient) -> None:
        """Raises BadRequestError for a second group of the same name."""
        client.create_user_group(ACCOUNT_ID, "Twice")
        with pytest.raises(BadRequestError):
            client.create_user_group(ACCOUNT_ID, "Twice")


class TestAccountMemberOperations:
    def test_list_get_and_find(self, client: CloudflareClient, emu: Emulator) -> None:
        """Lists every page of account members, reads one and finds one by email."""
        ids = [
            emu.add_account_member(ACCOUNT_ID, f"a{i:03d}@example.com")["id"] for i in range(120)
        ]
        emu.reset_requests()
        members = client.list_account_members(ACCOUNT_ID)
        assert {m.id for m in members} == set(ids)
        assert emu.request_count("GET") == 3
        assert client.get_account_member(ACCOUNT_ID, ids[5]).email == "a005@example.com"
        emu.reset_requests()
        found = client.find_account_member_by_email(ACCOUNT_ID, "A060@Example.COM")
        assert found is not None and found.id == ids[60]
        assert emu.request_count("GET") == 2  # stops at the page that holds the match
        assert client.find_account_member_by_email(ACCOUNT_ID, "nobody@example.com") is None

    def test_unknown_member(self, client: CloudflareClient) -> None:
        """Raises NotFoundError for an unknown account member."""
        with pytest.raises(NotFoundError):
            client.get_account_member(ACCOUNT_ID, "f" * 32)


class TestErrors:
    def test_invalid_member_is_not_retried(
        self, client: CloudflareClient, account: Account
    ) -> None:
        """Raises BadRequestError (code 400) after one request and applies nothing."""
        emu, group = account.emulator, account.user_group_id
        emu.reset_requests()
        with pytest.raises(BadRequestError) as info:
            client.add_group_members(ACCOUNT_ID, group, [account.member_ids[0], "e" * 32])
        assert info.value.has_code(400)
        assert "e" * 32 in str(info.value)
        assert emu.request_count() == 1
        assert emu.group_member_ids(ACCOUNT_ID, group) == set()

    def test_wrong_token_is_not_retried(self, emu: Emulator, account: Account) -> None:
        """Raises PermissionDeniedError naming the credential kind after one request."""
        emu.reset_requests()
        with (
            make_client(emu, token="wrong-token") as bad,
            pytest.raises(PermissionDeniedError) as info,
        ):
            bad.list_group_members(ACCOUNT_ID, account.user_group_id)
        assert info.value.has_code(10000)
        assert "using an API token" in str(info.value)
        assert "wrong-token" not in str(info.value)
        assert emu.request_count() == 1

    def test_api_key_credentials(self) -> None:
        """Authenticates with a Global API key and its email."""
        with Emulator(api_keys={"me@example.com": "k" * 37}) as emu:
            credentials = Credentials("api_key", "k" * 37, "me@example.com")
            with CloudflareClient(credentials, base_url=emu.base_url, pacer=Pacer()) as good:
                assert good.list_user_groups(ACCOUNT_ID) == []
            wrong = Credentials("api_key", "x" * 37, "me@example.com")
            bad = CloudflareClient(wrong, base_url=emu.base_url, pacer=Pacer())
            with bad, pytest.raises(PermissionDeniedError, match="using a Global API key"):
                bad.list_user_groups(ACCOUNT_ID)

    def test_missing_group(self, client: CloudflareClient, account: Account) -> None:
        """Raises NotFoundError with the emulator's code for a missing group, every operation."""
        missing = "d" * 32
        m1 = account.member_ids[0]
        calls = [
            lambda: client.list_group_members(ACCOUNT_ID, missing),
            lambda: client.get_group_member(ACCOUNT_ID, missing, m1),
            lambda: client.add_group_members(ACCOUNT_ID, missing, [m1]),
            lambda: client.replace_group_members(ACCOUNT_ID, missing, [m1]),
            lambda: client.remove_group_member(ACCOUNT_ID, missing, m1),
            lambda: client.get_user_group(ACCOUNT_ID, missing),
            lambda: client.delete_user_group(ACCOUNT_ID, missing),
        ]
        for call in calls:
            with pytest.raises(NotFoundError) as info:
                call()
            assert info.value.has_code(1003)

    def test_member_not_in_group(self, client: CloudflareClient, account: Account) -> None:
        """Raises NotFoundError for reading or removing a member that is not in the group."""
        for call in (client.get_group_member, client.remove_group_member):
            with pytest.raises(NotFoundError) as info:
                call(ACCOUNT_ID, account.user_group_id, account.member_ids[0])
            assert info.value.has_code(1004)

    @pytest.mark.parametrize(
        ("status", "cls", "requests"),
        [
            (400, BadRequestError, 1),
            (401, AuthenticationError, 1),
            (403, PermissionDeniedError, 1),
            (404, NotFoundError, 1),
            (409, ConflictError, 4),
            (422, UnprocessableEntityError, 1),
            (429, RateLimitError, 4),
            (500, InternalServerError, 4),
            (503, InternalServerError, 4),
        ],
    )
    def test_status_classes(
        self,
        client: CloudflareClient,
        account: Account,
        status: int,
        cls: type[APIStatusError],
        requests: int,
    ) -> None:
        """Raises the class of each status, retrying only the retryable ones."""
        emu = account.emulator
        emu.inject(Fault(status=status, times=10, retry_after="0" if status == 429 else None))
        emu.reset_requests()
        with pytest.raises(APIStatusError) as info:
            client.list_group_members(ACCOUNT_ID, account.user_group_id)
        assert type(info.value) is cls
        assert info.value.status_code == status
        assert emu.request_count() == requests

    def test_success_false_on_200_is_raised(
        self, client: CloudflareClient, account: Account
    ) -> None:
        """Raises APIStatusError with status 200 for success:false, without retrying."""
        emu = account.emulator
        emu.inject(Fault(kind="success_false"))
        emu.reset_requests()
        with pytest.raises(APIStatusError) as info:
            client.list_group_members(ACCOUNT_ID, account.user_group_id)
        assert type(info.value) is APIStatusError
        assert info.value.status_code == 200
        assert info.value.has_code(1011)
        assert emu.request_count() == 1

    def test_html_error_page(self, client: CloudflareClient, account: Account) -> None:
        """Turns a persistent HTML 502 into InternalServerError that describes the page."""
        account.emulator.inject(Fault(kind="html", status=502, times=10))
        with pytest.raises(InternalServerError) as info:
            client.get_user_group(ACCOUNT_ID, account.user_group_id)
        text = str(info.value)
        assert "HTTP 502" in text and "text/html" in text and "not valid JSON" in text
        assert "Traceback" not in text

    def test_truncated_json_exhausted(self, client: CloudflareClient, account: Account) -> None:
        """Raises InvalidResponseError when every answer is cut off."""
        account.emulator.inject(Fault(kind="truncated", times=10))
        with pytest.raises(InvalidResponseError, match="not valid JSON"):
            client.list_user_groups(ACCOUNT_ID)

    def test_dropped_connections_exhausted(
        self, client: CloudflareClient, account: Account
    ) -> None:
        """Raises APIConnectionError when every connection is dropped."""
        account.emulator.inject(Fault(kind="drop_before", times=10))
        with pytest.raises(APIConnectionError) as info:
            client.list_user_groups(ACCOUNT_ID)
        assert "list user groups" in str(info.value)

    def test_read_timeout_exhausted(self, emu: Emulator) -> None:
        """Raises APITimeoutError when every answer is slower than the read timeout."""
        emu.inject(Fault(kind="delay", delay=0.3, times=10))
        policy = RetryPolicy(max_attempts=2, deadline=5, initial_delay=0.01)
        slow = make_client(emu, retry=policy, timeout=(1.0, 0.1))
        with slow, pytest.raises(APITimeoutError):
            slow.list_user_groups(ACCOUNT_ID)


class TestRetries:
    def test_retry_after_on_429_is_honoured(
        self, client: CloudflareClient, account: Account
    ) -> None:
        """Waits for Retry-After on a 429 and then succeeds."""
        emu = account.emulator
        emu.inject(Fault(status=429, retry_after="1"))
        began = time.monotonic()
        assert client.list_group_members(ACCOUNT_ID, account.user_group_id) == []
        assert time.monotonic() - began >= 0.95
        assert emu.request_count() == 2

    def test_5xx_exhausted_within_deadline(self, emu: Emulator) -> None:
        """Gives up on endless 503s before the deadline with the last error."""
        emu.inject(Fault(status=503, times=1000))
        policy = RetryPolicy(max_attempts=1000, deadline=0.6, initial_delay=0.05, max_delay=0.1)
        began = time.monotonic()
        stubborn = make_client(emu, retry=policy)
        with stubborn, pytest.raises(InternalServerError):
            stubborn.list_user_groups(ACCOUNT_ID)
        assert time.monotonic() - began < 0.6 + 0.3
        assert emu.request_count() > 3

    @pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
    def test_dropped_add_converges(
        self, client: CloudflareClient, account: Account, kind: str
    ) -> None:
        """Reaches the same end state whether the dropped POST was applied or not."""
        emu, group, m1 = account.emulator, account.user_group_id, account.member_ids[0]
        emu.inject(Fault(kind=kind, method="POST", path=MEMBERS))  # type: ignore[arg-type]
        echoed = client.add_group_members(ACCOUNT_ID, group, [m1])
        assert [m.id for m in echoed] == [m1]
        assert emu.group_member_ids(ACCOUNT_ID, group) == {m1}
        assert emu.request_count("POST", MEMBERS) == 2

    @pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
    def test_dropped_replace_converges(
        self, client: CloudflareClient, account: Account, kind: str
    ) -> None:
        """Reaches the requested set whether the dropped PUT was applied or not."""
        emu, group = account.emulator, account.user_group_id
        emu.add_group_members(ACCOUNT_ID, group, list(account.member_ids[:2]))
        emu.inject(Fault(kind=kind, method="PUT", path=MEMBERS))  # type: ignore[arg-type]
        result = client.replace_group_members(ACCOUNT_ID, group, [account.member_ids[2]])
        assert [m.id for m in result] == [account.member_ids[2]]
        assert emu.group_member_ids(ACCOUNT_ID, group) == {account.member_ids[2]}

    @pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
    def test_dropped_remove_converges(
        self, client: CloudflareClient, account: Account, kind: str
    ) -> None:
        """Removes the member whether or not the dropped DELETE was applied."""
        emu, group, m1 = account.emulator, account.user_group_id, account.member_ids[0]
        emu.add_group_members(ACCOUNT_ID, group, [m1])
        emu.inject(Fault(kind=kind, method="DELETE"))  # type: ignore[arg-type]
        result = client.remove_group_member(ACCOUNT_ID, group, m1)
        assert result is None if kind == "drop_after" else result is not None
        assert emu.group_member_ids(ACCOUNT_ID, group) == set()

    @pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
    def test_dropped_create_makes_one_group(
        self, client: CloudflareClient, emu: Emulator, kind: str
    ) -> None:
        """Creates exactly one group whether or not the dropped POST was applied."""
        emu.inject(Fault(kind=kind, method="POST"))  # type: ignore[arg-type]
        group = client.create_user_group(ACCOUNT_ID, "Once")
        groups = client.list_user_groups(ACCOUNT_ID, name="Once")
        assert [g.id for g in groups] == [group.id]

    @pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
    def test_dropped_delete_group_converges(
        self, client: CloudflareClient, account: Account, kind: str
    ) -> None:
        """Deletes the group whether or not the dropped DELETE was applied."""
        emu = account.emulator
        emu.inject(Fault(kind=kind, method="DELETE"))  # type: ignore[arg-type]
        client.delete_user_group(ACCOUNT_ID, account.user_group_id)
        with pytest.raises(KeyError):
            emu.group_member_ids(ACCOUNT_ID, account.user_group_id)

    def test_truncated_json_is_retried(self, client: CloudflareClient, account: Account) -> None:
        """Retries a truncated 200 and returns the full answer."""
        emu = account.emulator
        emu.add_group_members(ACCOUNT_ID, account.user_group_id, list(account.member_ids))
        emu.inject(Fault(kind="truncated"))
        assert len(client.list_group_members(ACCOUNT_ID, account.user_group_id)) == 3
        assert emu.request_count() == 2

    def test_read_timeout_is_retried(self, emu: Emulator, account: Account) -> None:
        """Retries a request whose answer came slower than the read timeout."""
        emu.inject(Fault(kind="delay", delay=0.4))
        with make_client(emu, timeout=(1.0, 0.15)) as slow:
            added = slow.add_group_members(
                ACCOUNT_ID, account.user_group_id, [account.member_ids[0]]
            )
        assert [m.id for m in added] == [account.member_ids[0]]

    def test_retries_are_logged(
        self, client: CloudflareClient, account: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Logs one WARNING per retry and never the token."""
        caplog.set_level(logging.DEBUG)
        account.emulator.inject(Fault(status=502, times=2))
        client.list_group_members(ACCOUNT_ID, account.user_group_id)
        warnings = [r for r in caplog.records if r.name == "cloudflare_user_groups.client"]
        assert len(warnings) == 2
        assert all(r.levelno == logging.WARNING for r in warnings)
        assert "list group members: HTTP 502 [1010]; attempt 1 of 4" in warnings[0].getMessage()
        assert TOKEN not in caplog.text

    def test_pacer_follows_the_server_budget(self, client: CloudflareClient, emu: Emulator) -> None:
        """Stays within a small server budget by reading the Ratelimit header: no 429 at all."""
        emu.set_rate_limit(3, window=1.0)
        for _ in range(4):
            client.list_user_groups(ACCOUNT_ID)
        assert [r.status for r in emu.requests] == [200] * 4

    def test_server_block_is_waited_out(self, emu: Emulator) -> None:
        """Waits out the emulator's 429 block (Retry-After) and then succeeds."""
        emu.set_rate_limit(1, window=1.0, block=1.0)
        with make_client(emu) as first, make_client(emu) as second:
            first.list_user_groups(ACCOUNT_ID)
            # The second client's pacer has seen no Ratelimit header yet, so it meets the 429.
            began = time.monotonic()
            assert second.list_user_groups(ACCOUNT_ID) == []
            assert time.monotonic() - began >= 0.9
        assert [r.status for r in emu.requests] == [200, 429, 200]


class TestThreads:
    def test_eight_threads_share_one_client(self, client: CloudflareClient, emu: Emulator) -> None:
        """Serves 8 threads adding and listing at once; every add lands exactly once."""
        ids = [emu.add_account_member(ACCOUNT_ID, f"t{i:03d}@example.com")["id"] for i in range(80)]
        group = emu.create_user_group(ACCOUNT_ID, "threads")["id"]
        emu.inject(Fault(status=503, times=5))

        def work(chunk: list[str]) -> int:
            for member_id in chunk:
                client.add_group_members(ACCOUNT_ID, group, [member_id])
            return len(client.list_group_members(ACCOUNT_ID, group, per_page=7))

        chunks = [ids[i::8] for i in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            counts = list(pool.map(work, chunks))
        assert emu.group_member_ids(ACCOUNT_ID, group) == set(ids)
        assert all(10 <= count <= 80 for count in counts)
        assert client.list_group_members(ACCOUNT_ID, group, per_page=500)[0].id in ids
