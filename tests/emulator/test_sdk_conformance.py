"""Conformance: the official ``cloudflare`` SDK runs each emulated operation and parses the answer.

The SDK's typed models are generated from Cloudflare's OpenAPI schema, so an emulator answer the
SDK can parse into the expected fields has the shape the real API documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import cloudflare
import pytest

from cloudflare_user_groups.emulator import Emulator, Fault
from tests.emulator.conftest import TOKEN, new_id


@pytest.fixture
def sdk(emu: Emulator) -> Iterator[cloudflare.Cloudflare]:
    """An SDK client aimed at the emulator, without retries."""
    client = cloudflare.Cloudflare(api_token=TOKEN, base_url=emu.base_url, max_retries=0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def seeded(emu: Emulator, account_id: str) -> tuple[str, list[str]]:
    """A user group and two accepted account members, sorted by email, not yet in the group."""
    group_id = str(emu.create_user_group(account_id, "SDK")["id"])
    members = [
        str(emu.add_account_member(account_id, email, first_name="F", last_name="L")["id"])
        for email in ("one@example.com", "two@example.com")
    ]
    return group_id, members


def error_codes(exc: cloudflare.APIStatusError) -> list[int]:
    """The envelope codes the SDK parsed from a failure."""
    return [error.code for error in exc.errors]


class TestGroupMembersWithSdk:
    def test_create_parses_the_full_member_page(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Adds members with members.create and parses the echoed array as a page of members."""
        group_id, members = seeded
        page = sdk.iam.user_groups.members.create(
            group_id, account_id=account_id, members=[{"id": members[1]}]
        )
        again = sdk.iam.user_groups.members.create(
            group_id, account_id=account_id, members=[{"id": members[0]}]
        )
        assert [(m.id, m.email, m.status) for m in page] == [
            (members[1], "two@example.com", "accepted")
        ]
        assert [m.id for m in again] == members
        assert emu.group_member_ids(account_id, group_id) == set(members)

    def test_update_replaces_and_empties(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Replaces the set with members.update, and parses the null answer for an empty set."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:1])
        page = sdk.iam.user_groups.members.update(
            group_id, account_id=account_id, members=[{"id": members[1]}]
        )
        assert [m.id for m in page] == [members[1]]
        emptied = sdk.iam.user_groups.members.update(group_id, account_id=account_id, members=[])
        assert list(emptied) == []
        assert emu.group_member_ids(account_id, group_id) == set()

    def test_list_pages_through_every_member(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Lists with members.list, auto-paginating until a page is empty."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members)
        page = sdk.iam.user_groups.members.list(group_id, account_id=account_id, per_page=1)
        assert page.result_info is not None
        assert (page.result_info.page, page.result_info.per_page) == (1, 1)
        assert [m.id for m in page] == members
        desc = sdk.iam.user_groups.members.list(
            group_id, account_id=account_id, direction="desc", fuzzy_email="EXAMPLE"
        )
        assert [m.email for m in desc] == ["two@example.com", "one@example.com"]

    def test_list_of_an_empty_group(
        self, sdk: cloudflare.Cloudflare, account_id: str, seeded: tuple[str, list[str]]
    ) -> None:
        """Parses result null for an empty group as an empty page."""
        group_id, _ = seeded
        page = sdk.iam.user_groups.members.list(group_id, account_id=account_id)
        assert page.result is None
        assert list(page) == []

    def test_get_parses_the_detail(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Reads one member with members.get, created_at as a UTC datetime and its user."""
        group_id, members = seeded
        before = datetime.now(timezone.utc)
        emu.add_group_members(account_id, group_id, members[:1])
        detail = sdk.iam.user_groups.members.get(
            members[0], account_id=account_id, user_group_id=group_id
        )
        assert detail is not None
        assert (detail.id, detail.email, detail.status) == (
            members[0],
            "one@example.com",
            "accepted",
        )
        assert isinstance(detail.created_at, datetime)
        assert detail.created_at.utcoffset() is not None
        assert detail.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert detail.created_at >= before.replace(microsecond=0)
        assert detail.user is not None
        assert (detail.user.email, detail.user.first_name, detail.user.last_name) == (
            "one@example.com",
            "F",
            "L",
        )

    def test_delete_parses_the_removed_member(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Removes a member with members.delete and parses the removed member."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members)
        removed = sdk.iam.user_groups.members.delete(
            members[0], account_id=account_id, user_group_id=group_id
        )
        assert removed is not None
        assert (removed.id, removed.email, removed.status) == (
            members[0],
            "one@example.com",
            "accepted",
        )
        assert emu.group_member_ids(account_id, group_id) == {members[1]}

    def test_errors_map_to_sdk_exceptions(
        self, sdk: cloudflare.Cloudflare, account_id: str, seeded: tuple[str, list[str]]
    ) -> None:
        """Raises the SDK's status exceptions with the envelope codes parsed."""
        group_id, members = seeded
        with pytest.raises(cloudflare.BadRequestError) as invalid:
            sdk.iam.user_groups.members.create(
                group_id, account_id=account_id, members=[{"id": new_id()}]
            )
        assert error_codes(invalid.value) == [400]
        with pytest.raises(cloudflare.NotFoundError) as not_in_group:
            sdk.iam.user_groups.members.get(
                members[0], account_id=account_id, user_group_id=group_id
            )
        assert error_codes(not_in_group.value) == [1004]
        with pytest.raises(cloudflare.NotFoundError) as no_group:
            sdk.iam.user_groups.members.list(new_id(), account_id=account_id)
        assert error_codes(no_group.value) == [1003]
        with pytest.raises(cloudflare.BadRequestError) as bad_id:
            sdk.iam.user_groups.members.list("not-an-id", account_id=account_id)
        assert error_codes(bad_id.value) == [7003, 7000]

    @pytest.mark.parametrize(
        ("fault", "error"),
        [
            (Fault(status=429, retry_after="1"), cloudflare.RateLimitError),
            (Fault(status=503), cloudflare.InternalServerError),
            (Fault(kind="html", status=502), cloudflare.InternalServerError),
            (Fault(kind="drop_before"), cloudflare.APIConnectionError),
        ],
    )
    def test_faults_surface_as_sdk_errors(
        self,
        emu: Emulator,
        sdk: cloudflare.Cloudflare,
        account_id: str,
        seeded: tuple[str, list[str]],
        fault: Fault,
        error: type[Exception],
    ) -> None:
        """Surfaces each scripted fault as the SDK exception a real failure would raise."""
        group_id, _ = seeded
        emu.inject(fault)
        with pytest.raises(error):
            sdk.iam.user_groups.members.list(group_id, account_id=account_id)


class TestUserGroupsWithSdk:
    def test_create_get_update_delete(
        self, emu: Emulator, sdk: cloudflare.Cloudflare, account_id: str
    ) -> None:
        """Runs user_groups.create, get, update and delete and parses each typed answer."""
        created = sdk.iam.user_groups.create(account_id=account_id, name="Readers", policies=[])
        assert created is not None
        assert created.name == "Readers"
        assert isinstance(created.created_on, datetime)
        assert created.created_on == created.modified_on
        assert created.policies == []
        fetched = sdk.iam.user_groups.get(created.id, account_id=account_id)
        assert fetched is not None
        assert (fetched.id, fetched.name) == (created.id, "Readers")
        updated = sdk.iam.user_groups.update(created.id, account_id=account_id, name="Writers")
        assert updated is not None
        assert updated.name == "Writers"
        assert updated.modified_on >= created.modified_on
        deleted = sdk.iam.user_groups.delete(created.id, account_id=account_id)
        assert deleted is not None
        assert deleted.id == created.id
        with pytest.raises(cloudflare.NotFoundError):
            sdk.iam.user_groups.get(created.id, account_id=account_id)

    def test_create_with_policies(self, sdk: cloudflare.Cloudflare, account_id: str) -> None:
        """Parses policies echoed with a server-assigned id."""
        created = sdk.iam.user_groups.create(
            account_id=account_id,
            name="Pol",
            policies=[
                {
                    "access": "allow",
                    "permission_groups": [{"id": new_id()}],
                    "resource_groups": [{"id": new_id()}],
                }
            ],
        )
        assert created is not None
        assert created.policies is not None
        assert created.policies[0].access == "allow"
        assert created.policies[0].id is not None
        assert len(created.policies[0].id) == 32

    def test_list_filters_and_paginates(
        self, emu: Emulator, sdk: cloudflare.Cloudflare, account_id: str
    ) -> None:
        """Lists groups with user_groups.list, filtering and auto-paginating."""
        for name in ("gamma", "alpha", "beta"):
            emu.create_user_group(account_id, name)
        everything = sdk.iam.user_groups.list(account_id=account_id, per_page=2)
        assert [g.name for g in everything] == ["alpha", "beta", "gamma"]
        fuzzy = sdk.iam.user_groups.list(account_id=account_id, fuzzy_name="MM", direction="desc")
        assert [g.name for g in fuzzy] == ["gamma"]
        exact = sdk.iam.user_groups.list(account_id=account_id, name="beta")
        assert [g.name for g in exact] == ["beta"]

    def test_duplicate_name_is_bad_request(
        self, emu: Emulator, sdk: cloudflare.Cloudflare, account_id: str
    ) -> None:
        """Raises BadRequestError for a second group with the same name."""
        emu.create_user_group(account_id, "Once")
        with pytest.raises(cloudflare.BadRequestError) as exc_info:
            sdk.iam.user_groups.create(account_id=account_id, name="Once", policies=[])
        assert error_codes(exc_info.value) == [1005]


class TestAccountMembersWithSdk:
    def test_create_get_list_delete(
        self, emu: Emulator, sdk: cloudflare.Cloudflare, account_id: str
    ) -> None:
        """Runs accounts.members.create, get, list and delete and parses each typed answer."""
        role_id = new_id()
        created = sdk.accounts.members.create(
            account_id=account_id, email="new@example.com", roles=[role_id]
        )
        assert created is not None
        assert created.id is not None
        assert created.status == "pending"
        assert created.roles is not None
        assert [role.id for role in created.roles] == [role_id]
        assert created.user is not None
        assert created.user.email == "new@example.com"
        assert created.user.two_factor_authentication_enabled is False

        fetched = sdk.accounts.members.get(created.id, account_id=account_id)
        assert fetched is not None
        assert (fetched.id, fetched.email) == (created.id, "new@example.com")

        emu.add_account_member(account_id, "another@example.com")
        listed = sdk.accounts.members.list(account_id=account_id, per_page=5)
        assert [m.email for m in listed] == ["another@example.com", "new@example.com"]
        accepted = sdk.accounts.members.list(account_id=account_id, status="accepted")
        assert [m.email for m in accepted] == ["another@example.com"]

        deleted = sdk.accounts.members.delete(created.id, account_id=account_id)
        assert deleted is not None
        assert deleted.id == created.id
        with pytest.raises(cloudflare.NotFoundError) as exc_info:
            sdk.accounts.members.get(created.id, account_id=account_id)
        assert error_codes(exc_info.value) == [1007]

    def test_create_with_status_accepted(self, sdk: cloudflare.Cloudflare, account_id: str) -> None:
        """Honours the status the SDK may send on create."""
        created = sdk.accounts.members.create(
            account_id=account_id, email="direct@example.com", roles=[], status="accepted"
        )
        assert created is not None
        assert created.status == "accepted"

    def test_per_page_below_five_is_bad_request(
        self, sdk: cloudflare.Cloudflare, account_id: str
    ) -> None:
        """Raises BadRequestError for per_page outside 5..50."""
        with pytest.raises(cloudflare.BadRequestError) as exc_info:
            sdk.accounts.members.list(account_id=account_id, per_page=2)
        assert error_codes(exc_info.value) == [1002]
