"""UserGroupMembers through the real provider host, driven over gRPC as the engine drives it."""

from __future__ import annotations

import itertools
import random
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.members import UserGroupMembers
from tests.conftest import ACCOUNT_ID, Account, seed_account
from tests.host.harness import (
    UNKNOWN,
    HostError,
    ProviderHost,
    captured_registration,
    declared,
    provider_blob,
    run_program,
)
from tests.host.harness import urn as member_urn

TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMembers"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "authoritative" / "__main__.py"
MEMBERS = r"/members$"
_GROUPS = itertools.count()
DIFF_NONE = provider_pb2.DiffResponse.DIFF_NONE


def urn(name: str) -> str:
    return member_urn(name, TYPE)


@pytest.fixture(scope="module")
def blob() -> str:
    """The provider as the SDK serializes it, from a resource built under mocks."""
    return provider_blob(
        lambda: UserGroupMembers(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_ids=[]
        )
    )


def in_group(world: Account) -> set[str]:
    return world.emulator.group_member_ids(world.account_id, world.user_group_id)


def ids_of(outputs: dict[str, Any]) -> set[str]:
    return {member["id"] for member in outputs["members"]}


class TestLifecycle:
    def test_full_lifecycle(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Runs check, create, read, diff, update and delete with engine-shaped properties."""
        world.emulator.add_group_members(
            world.account_id, world.user_group_id, [world.member_ids[3]]
        )
        ids = [world.member_ids[1].upper(), world.member_ids[0]]
        id_, outputs, checked = host.up(urn("s1"), declared(world, blob, member_ids=ids))
        assert id_ == f"{world.account_id}/{world.user_group_id}"
        assert in_group(world) == set(world.member_ids[:2])  # the undeclared member is removed
        assert outputs["member_ids"] == sorted(world.member_ids[:2])
        assert outputs["emails"] == []
        assert outputs["member_count"] == 2
        assert outputs["__provider"] == blob

        read_id, refreshed, read_inputs = host.read(urn("s1"), id_, outputs, checked)
        assert read_id == id_
        assert read_inputs == {}  # no inputs: the engine keeps the declared ones
        assert ids_of(refreshed) == set(world.member_ids[:2])

        same = host.diff(urn("s1"), id_, refreshed, checked)
        assert same.changes == same.DIFF_NONE

        news = declared(world, blob, member_ids=ids, emails=[world.emails[2]])
        later, _ = host.check(urn("s1"), checked, news)
        change = host.diff(urn("s1"), id_, refreshed, later)
        assert change.changes == change.DIFF_SOME
        assert list(change.replaces) == []
        updated = host.update(urn("s1"), id_, refreshed, later)
        assert updated["member_count"] == 3
        assert updated["emails"] == [world.emails[2]]
        assert in_group(world) == set(world.member_ids[:3])

        host.delete(urn("s1"), id_, updated)
        assert in_group(world) == set()

    def test_1200_members_are_created_and_read_completely(
        self, host: ProviderHost, module_emulator: Emulator, blob: str
    ) -> None:
        """Creates 1,200 members with one PUT and reads them back with three list requests."""
        big = seed_account(module_emulator, members=1200, group=f"big{next(_GROUPS)}")
        module_emulator.reset_requests()
        id_, outputs, checked = host.up(
            urn("s2"), declared(big, blob, member_ids=list(reversed(big.member_ids)))
        )
        assert module_emulator.request_count() == 1
        assert outputs["member_count"] == 1200
        module_emulator.reset_requests()
        _, refreshed, _ = host.read(urn("s2"), id_, outputs, checked)
        assert module_emulator.request_count(method="GET", path=MEMBERS) == 3
        assert ids_of(refreshed) == set(big.member_ids)
        assert host.diff(urn("s2"), id_, refreshed, checked).changes == DIFF_NONE

    def test_reorder_duplicates_and_case_cause_no_diff(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Reports no change for the same members reordered, repeated and re-cased."""
        ids = list(world.member_ids[:3])
        id_, outputs, checked = host.up(urn("s3"), declared(world, blob, member_ids=ids))
        shuffled = [ids[2].upper(), ids[0], ids[1], ids[0], ids[2]]
        random.Random(7).shuffle(shuffled)
        later, _ = host.check(urn("s3"), checked, declared(world, blob, member_ids=shuffled))
        assert later == checked
        result = host.diff(urn("s3"), id_, outputs, later)
        assert result.changes == result.DIFF_NONE

    def test_id_and_email_of_one_person_cause_no_diff(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Reports no change when a member declared by id is also, or instead, declared by email."""
        ids = list(world.member_ids[:2])
        id_, outputs, checked = host.up(urn("s4"), declared(world, blob, member_ids=ids))
        for extra in (
            {"member_ids": ids, "emails": [world.emails[0].upper()]},
            {"member_ids": [ids[1]], "emails": [world.emails[0]]},
        ):
            later, _ = host.check(urn("s4"), checked, declared(world, blob, **extra))
            result = host.diff(urn("s4"), id_, outputs, later)
            assert result.changes == result.DIFF_NONE

    def test_drift_is_refreshed_then_reverted(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Shows out-of-band changes after a refresh and puts the group back on the next update."""
        id_, outputs, checked = host.up(
            urn("s5"), declared(world, blob, member_ids=list(world.member_ids[:2]))
        )
        world.emulator.add_group_members(
            world.account_id, world.user_group_id, [world.member_ids[2]]
        )
        world.emulator.remove_group_member(
            world.account_id, world.user_group_id, world.member_ids[0]
        )
        _, refreshed, read_inputs = host.read(urn("s5"), id_, outputs, checked)
        assert read_inputs == {}
        assert refreshed["drift"] == {
            "extra": [world.member_ids[2]],
            "missing": [world.member_ids[0]],
        }
        assert refreshed["member_ids"] == outputs["member_ids"]

        # The engine's refresh diff: new outputs as olds, the stored (declared) inputs as news.
        result = host.diff(urn("s5"), id_, refreshed, checked)
        assert result.changes == result.DIFF_SOME
        world.emulator.reset_requests()
        updated = host.update(urn("s5"), id_, refreshed, checked)
        assert world.emulator.request_count() == 1
        assert in_group(world) == set(world.member_ids[:2])
        assert updated["drift"] == {"extra": [], "missing": []}
        assert host.diff(urn("s5"), id_, updated, checked).changes == DIFF_NONE

    def test_group_deleted_out_of_band(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Reads a deleted group as gone and deletes it without error."""
        id_, outputs, checked = host.up(
            urn("s6"), declared(world, blob, member_ids=[world.member_ids[0]])
        )
        world.emulator.delete_user_group(world.account_id, world.user_group_id)
        read_id, _, _ = host.read(urn("s6"), id_, outputs, checked)
        assert read_id == ""
        host.delete(urn("s6"), id_, outputs)

    def test_empty_set(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Keeps an explicitly empty group empty and survives the wire as empty lists."""
        world.emulator.add_group_members(world.account_id, world.user_group_id, world.member_ids)
        id_, outputs, checked = host.up(urn("s7"), declared(world, blob, member_ids=[]))
        assert in_group(world) == set()
        assert (checked["member_ids"], checked["emails"]) == ([], [])
        assert (outputs["members"], outputs["member_ids"]) == ([], [])
        _, refreshed, _ = host.read(urn("s7"), id_, outputs, checked)
        assert refreshed["drift"] == {"extra": [], "missing": []}
        assert host.diff(urn("s7"), id_, refreshed, checked).changes == DIFF_NONE

    def test_declaring_nothing_fails_check(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Refuses, through the host, a resource that declares neither list."""
        _, failures = host.check(urn("s8"), {}, declared(world, blob))
        assert [prop for prop, _ in failures] == ["member_ids"]

    def test_unknown_email_error_reaches_the_engine(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Surfaces the unknown emails as a gRPC error and writes nothing."""
        news = declared(world, blob, emails=["nobody@example.com", world.emails[0]])
        checked, _ = host.check(urn("s9"), {}, news)
        with pytest.raises(HostError, match=r"nobody@example\.com"):
            host.create(urn("s9"), checked)
        assert world.emulator.request_count(method="PUT") == 0


class TestPreview:
    def test_check_passes_unknowns(self, host: ProviderHost, world: Account, blob: str) -> None:
        """Lets unknown lists and items through Check during preview."""
        news = declared(world, blob, member_ids=UNKNOWN, emails=[world.emails[0], UNKNOWN])
        checked, failures = host.check(urn("p1"), {}, news)
        assert failures == []
        assert isinstance(checked["member_ids"], Unknown)

    def test_diff_with_unknown_members_is_a_change(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Predicts an update, never an unknown diff, while the member list is unknown."""
        id_, outputs, _ = host.up(
            urn("p2"), declared(world, blob, member_ids=[world.member_ids[0]])
        )
        result = host.diff(urn("p2"), id_, outputs, declared(world, blob, member_ids=UNKNOWN))
        assert result.changes == result.DIFF_SOME
        assert list(result.replaces) == []

    def test_new_group_is_a_replacement(
        self, host: ProviderHost, world: Account, blob: str
    ) -> None:
        """Predicts a replacement, new set first, when the group id changes."""
        id_, outputs, _ = host.up(
            urn("p3"), declared(world, blob, member_ids=[world.member_ids[0]])
        )
        news = declared(world, blob, user_group_id=UNKNOWN, member_ids=[world.member_ids[0]])
        result = host.diff(urn("p3"), id_, outputs, news)
        assert result.changes == result.DIFF_SOME
        assert list(result.replaces) == ["user_group_id"]
        assert result.deleteBeforeReplace is False


class TestExisting:
    def test_import_option_becomes_adopt_only_create(
        self, host: ProviderHost, world: Account
    ) -> None:
        """Registers no engine import, adopts with one listing, and import_ can then be removed."""
        key = f"{world.account_id}/{world.user_group_id}"
        world.emulator.add_group_members(
            world.account_id, world.user_group_id, world.member_ids[:2]
        )
        registration = captured_registration(
            lambda: UserGroupMembers(
                "adopted",
                account_id=world.account_id,
                user_group_id=world.user_group_id,
                member_ids=[world.member_ids[0]],
                emails=[world.emails[1]],
                opts=pulumi.ResourceOptions(import_=key),
            )
        )
        assert not registration.resource_id  # the engine would fail to import it
        news = registration.inputs
        assert news["import_id"] == key
        world.emulator.reset_requests()
        id_, outputs, checked = host.up(urn("adopted"), news)
        assert id_ == key
        assert outputs["member_count"] == 2
        assert world.emulator.request_count() == 1
        assert world.emulator.request_count(method="PUT") == 0

        without = {k: v for k, v in news.items() if k != "import_id"}
        later, _ = host.check(urn("adopted"), checked, without)
        result = host.diff(urn("adopted"), id_, outputs, later)
        assert result.changes == result.DIFF_NONE

    def test_import_of_a_different_set_fails(self, host: ProviderHost, world: Account) -> None:
        """Fails with a clear error and writes nothing when the members differ."""
        key = f"{world.account_id}/{world.user_group_id}"
        world.emulator.add_group_members(world.account_id, world.user_group_id, world.member_ids)
        news = captured_registration(
            lambda: UserGroupMembers(
                "different",
                account_id=world.account_id,
                user_group_id=world.user_group_id,
                member_ids=[world.member_ids[0]],
                opts=pulumi.ResourceOptions(import_=key),
            )
        ).inputs
        checked, failures = host.check(urn("different"), {}, news)
        assert failures == []
        with pytest.raises(HostError, match="in the group but not declared"):
            host.create(urn("different"), checked)
        assert world.emulator.request_count(method="PUT") == 0
        assert in_group(world) == set(world.member_ids)

    def test_get_reads_an_existing_group(self, host: ProviderHost, world: Account) -> None:
        """Reads a group by id the way the engine serves UserGroupMembers.get."""
        key = f"{world.account_id}/{world.user_group_id}"
        world.emulator.add_group_members(
            world.account_id, world.user_group_id, world.member_ids[1:3]
        )
        registration = captured_registration(lambda: UserGroupMembers.get("looked-up", key))
        assert registration.resource_id == key
        # A user-driven get: the engine sends the program's properties as inputs, no state.
        read_id, outputs, _ = host.read(urn("looked-up"), key, {}, registration.inputs)
        assert read_id == key
        assert ids_of(outputs) == set(world.member_ids[1:3])
        assert "drift" not in outputs


class TestProgram:
    def test_type_token_and_inputs(self) -> None:
        """Registers the custom type token, the declared lists and no import."""
        (registration,) = run_program(
            lambda: UserGroupMembers(
                "set", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_ids=[], emails=None
            )
        )
        assert registration.typ == TYPE
        assert registration.inputs["member_ids"] == []
        assert "emails" not in registration.inputs
        assert "import_id" not in registration.inputs
        assert not registration.resource_id

    def test_outputs_of_other_resources_are_accepted(self) -> None:
        """Takes a group id and member ids that are Outputs of other resources."""

        def program() -> None:
            group = pulumi.CustomResource("cloudflare:index/userGroup:UserGroup", "ops", {})
            member = pulumi.CustomResource("cloudflare:index/accountMember:AccountMember", "a", {})
            UserGroupMembers(
                "set", account_id=ACCOUNT_ID, user_group_id=group.id, member_ids=[member.id]
            )

        *_, registration = run_program(program)
        assert registration.inputs["user_group_id"] == "ops-id"
        assert registration.inputs["member_ids"] == ["a-id"]

    @pytest.mark.parametrize(
        ("config", "expected"),
        [
            ({"memberIds": '["00112233445566778899aabbccddeeff"]'}, {"member_ids"}),
            ({"emails": '["a@example.com"]', "adopt": "true"}, {"emails", "import_id"}),
            ({"memberIds": "[]"}, {"member_ids"}),
        ],
    )
    def test_example_program(self, config: dict[str, str], expected: set[str]) -> None:
        """Runs examples/authoritative from stack config and registers one UserGroupMembers."""
        project = "cloudflare-user-groups-authoritative"
        full = {"accountId": ACCOUNT_ID, "userGroupId": ACCOUNT_ID, **config}
        (registration,) = run_program(
            lambda: runpy.run_path(str(EXAMPLE)),
            project=project,
            config={f"{project}:{key}": value for key, value in full.items()},
        )
        assert registration.typ == TYPE
        declared = {"member_ids", "emails", "import_id"} & set(registration.inputs)
        assert declared == expected
