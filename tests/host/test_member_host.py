"""UserGroupMember through the real provider host, driven over gRPC as the engine drives it."""

from __future__ import annotations

import base64
import concurrent.futures

import pulumi
import pytest
from pulumi.output import Unknown

from cloudflare_user_groups import UserGroupMember
from tests.conftest import ACCOUNT_ID, Account
from tests.host.harness import (
    UNKNOWN,
    HostError,
    ProviderHost,
    captured_registration,
    declared,
    provider_blob,
    urn,
)


@pytest.fixture(scope="module")
def blob() -> str:
    """The provider as the SDK serializes it, from a resource built under mocks."""
    return provider_blob(
        lambda: UserGroupMember(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
        )
    )


class TestLifecycle:
    def test_full_lifecycle_by_id(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Runs check, create, read, diff, update and delete with engine-shaped properties."""
        member_id = world.member_ids[0]
        news = declared(world, blob, member_id=member_id.upper())
        id_, outputs, checked = host.up(urn("m1"), news)
        assert id_ == f"{world.account_id}/{world.user_group_id}/{member_id}"
        assert outputs["member_id"] == member_id
        assert outputs["email"] == world.emails[0]
        assert outputs["__provider"] == blob
        assert world.emulator.request_count(method="POST") == 1

        read_id, refreshed, read_inputs = host.read(urn("m1"), id_, outputs, checked)
        assert read_id == id_
        assert refreshed["status"] == "accepted"
        assert read_inputs["member_id"] == member_id

        same = host.diff(urn("m1"), id_, refreshed, checked)
        assert same.changes == same.DIFF_NONE

        updated = host.update(urn("m1"), id_, refreshed, checked)
        assert updated["email"] == world.emails[0]
        assert updated["created_at"] == outputs["created_at"]

        host.delete(urn("m1"), id_, updated)
        assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == set()

    def test_create_by_email(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Resolves the email to the account member id in the host."""
        _, outputs, _ = host.up(urn("m2"), declared(world, blob, email=world.emails[2]))
        assert outputs["member_id"] == world.member_ids[2]
        assert outputs["identified_by"] == "email"

    def test_refresh_after_out_of_band_removal_drops_it(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Returns the empty id on Read, so refresh removes the resource from state."""
        id_, outputs, checked = host.up(
            urn("m3"), declared(world, blob, member_id=world.member_ids[1])
        )
        world.emulator.remove_group_member(
            world.account_id, world.user_group_id, world.member_ids[1]
        )
        read_id, _, _ = host.read(urn("m3"), id_, outputs, checked)
        assert read_id == ""

    def test_delete_of_already_removed_membership(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Succeeds when the membership was removed out of band."""
        id_, outputs, _ = host.up(urn("m4"), declared(world, blob, member_id=world.member_ids[1]))
        world.emulator.remove_group_member(
            world.account_id, world.user_group_id, world.member_ids[1]
        )
        host.delete(urn("m4"), id_, outputs)

    def test_create_adopts_existing(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Adopts a membership that already exists, leaving one membership."""
        world.emulator.add_group_members(
            world.account_id, world.user_group_id, [world.member_ids[3]]
        )
        _, outputs, _ = host.up(urn("m5"), declared(world, blob, member_id=world.member_ids[3]))
        assert outputs["member_id"] == world.member_ids[3]
        assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == {
            world.member_ids[3]
        }

    def test_errors_reach_the_engine_with_the_reason(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Surfaces a provider failure as a gRPC error that names what went wrong."""
        news = declared(world, blob, email="nobody@example.com")
        checked, _ = host.check(urn("m6"), {}, news)
        with pytest.raises(HostError, match=r"nobody@example\.com"):
            host.create(urn("m6"), checked)


class TestPreview:
    def test_check_passes_unknowns(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Lets unknown values through Check during preview."""
        checked, failures = host.check(
            urn("p1"),
            {},
            declared(world, blob, user_group_id=UNKNOWN, member_id=world.member_ids[0]),
        )
        assert failures == []
        assert isinstance(checked["user_group_id"], Unknown)  # still unknown on the wire

    def test_check_reports_failures_by_property(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Reports one failure per bad property through the host."""
        _, failures = host.check(
            urn("p2"), {}, declared(world, blob, account_id="../x", email="nope")
        )
        assert {prop for prop, _ in failures} == {"account_id", "email"}

    def test_diff_with_unknown_predicts_replacement(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Predicts a replacement when the group id is unknown during preview."""
        id_, outputs, _ = host.up(urn("p3"), declared(world, blob, member_id=world.member_ids[0]))
        news = declared(world, blob, user_group_id=UNKNOWN, member_id=world.member_ids[0])
        result = host.diff(urn("p3"), id_, outputs, news)
        assert result.changes == result.DIFF_SOME
        assert list(result.replaces) == ["user_group_id"]

    def test_diff_ignores_a_new_provider_blob(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Reports no change when only the serialized provider differs (a package upgrade)."""
        id_, outputs, checked = host.up(
            urn("p4"), declared(world, blob, member_id=world.member_ids[0])
        )
        olds = {**outputs, "__provider": base64.b64encode(b"an older provider").decode()}
        result = host.diff(urn("p4"), id_, olds, checked)
        assert result.changes == result.DIFF_NONE


class TestExisting:
    def test_import_option_becomes_adopt_only_create(
        self, host: ProviderHost, world: Account
    ) -> None:
        """Registers no engine import and adopts the membership with a single GET."""
        member_id = world.member_ids[0]
        key = f"{world.account_id}/{world.user_group_id}/{member_id}"
        world.emulator.add_group_members(world.account_id, world.user_group_id, [member_id])
        registration = captured_registration(
            lambda: UserGroupMember(
                "adopted",
                account_id=world.account_id,
                user_group_id=world.user_group_id,
                member_id=member_id,
                opts=pulumi.ResourceOptions(import_=key),
            )
        )
        assert not registration.resource_id  # the engine would fail to import it
        news = registration.inputs
        assert news["import_id"] == key
        world.emulator.reset_requests()
        id_, outputs, checked = host.up(urn("adopted"), news)
        assert id_ == key
        assert world.emulator.request_count() == 1
        assert world.emulator.request_count(method="POST") == 0

        # Removing import_ from the program afterwards changes nothing.
        without = {k: v for k, v in news.items() if k != "import_id"}
        later, _ = host.check(urn("adopted"), checked, without)
        result = host.diff(urn("adopted"), id_, outputs, later)
        assert result.changes == result.DIFF_NONE

    def test_import_of_missing_membership_fails(self, host: ProviderHost, world: Account) -> None:
        """Fails with a clear error and adds nothing when the membership is missing."""
        member_id = world.member_ids[1]
        key = f"{world.account_id}/{world.user_group_id}/{member_id}"
        news = captured_registration(
            lambda: UserGroupMember(
                "missing",
                account_id=world.account_id,
                user_group_id=world.user_group_id,
                member_id=member_id,
                opts=pulumi.ResourceOptions(import_=key),
            )
        ).inputs
        checked, failures = host.check(urn("missing"), {}, news)
        assert failures == []
        with pytest.raises(HostError, match="is not in user group"):
            host.create(urn("missing"), checked)
        assert world.emulator.request_count(method="POST") == 0

    def test_get_reads_an_existing_membership(self, host: ProviderHost, world: Account) -> None:
        """Reads a membership by id the way the engine serves UserGroupMember.get."""
        member_id = world.member_ids[2]
        key = f"{world.account_id}/{world.user_group_id}/{member_id}"
        world.emulator.add_group_members(world.account_id, world.user_group_id, [member_id])
        registration = captured_registration(lambda: UserGroupMember.get("looked-up", key))
        assert registration.resource_id == key
        # A user-driven get: the engine sends the program's properties as inputs, no state.
        read_id, outputs, _ = host.read(urn("looked-up"), key, {}, registration.inputs)
        assert read_id == key
        assert outputs["email"] == world.emails[2]


class TestConcurrency:
    def test_four_concurrent_creates(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Creates four memberships at once through the host's worker threads."""

        def create(member_id: str) -> str:
            return host.up(urn(f"c-{member_id}"), declared(world, blob, member_id=member_id))[0]

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(create, world.member_ids))
        assert len(set(ids)) == 4
        assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == set(
            world.member_ids
        )
