"""Every UserGroupMemberProvider method against the emulator on loopback (no engine)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pulumi.dynamic import Config, ConfigureRequest

from cloudflare_user_groups.emulator import Emulator, Fault
from cloudflare_user_groups.errors import NotFoundError
from cloudflare_user_groups.member import (
    MemberEmailNotFoundError,
    MembershipMismatchError,
    MembershipNotFoundError,
    UserGroupMemberProvider,
)
from tests.conftest import TOKEN, Account

MEMBERS = r"/members$"


def make_provider(base_url: str, **extra: str) -> UserGroupMemberProvider:
    provider = UserGroupMemberProvider()
    config = {
        "cloudflare:apiToken": TOKEN,
        "cloudflare:baseUrl": base_url,
        "cloudflare-user-groups:propagationTimeout": "2",
        "cloudflare-user-groups:retryDeadline": "1",
        **extra,
    }
    provider.configure(ConfigureRequest(Config(config, "test")))
    provider._propagation_delays = (0.05, 0.1, 0.2)  # keep the waits short in tests
    return provider


def inputs(account: Account, **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "account_id": account.account_id,
        "user_group_id": account.user_group_id,
    }
    base.update(props)
    return base


@pytest.fixture
def provider(account: Account) -> UserGroupMemberProvider:
    return make_provider(account.base_url)


class TestCreate:
    def test_create_by_id_adds_and_reads_back_in_two_requests(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Adds the member with one POST and reads the details with one GET."""
        member_id = account.member_ids[0]
        account.emulator.reset_requests()
        result = provider.create(inputs(account, member_id=member_id))
        assert result.id == f"{account.account_id}/{account.user_group_id}/{member_id}"
        outs = result.outs or {}
        assert outs["email"] == account.emails[0]
        assert outs["status"] == "accepted"
        assert outs["created_at"]
        assert outs["user"]["first_name"] == "User0"
        assert outs["identified_by"] == "member_id"
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            member_id
        }
        assert account.emulator.request_count() == 2

    def test_create_by_email_resolves_the_member_id(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Finds the account member by email, without regard to case, and adds them."""
        result = provider.create(inputs(account, email=account.emails[1].upper()))
        outs = result.outs or {}
        assert outs["member_id"] == account.member_ids[1]
        assert outs["identified_by"] == "email"
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[1]
        }

    def test_create_by_unknown_email_fails_without_adding(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Fails with a clear error and adds nobody when no account member has the email."""
        with pytest.raises(MemberEmailNotFoundError, match=r"nobody@example\.com"):
            provider.create(inputs(account, email="nobody@example.com"))
        assert account.emulator.request_count(method="POST") == 0

    def test_create_adopts_an_existing_membership(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Adopts a member who is already in the group: no error, no duplicate."""
        member_id = account.member_ids[0]
        account.emulator.add_group_members(account.account_id, account.user_group_id, [member_id])
        result = provider.create(inputs(account, member_id=member_id))
        assert (result.outs or {})["member_id"] == member_id
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            member_id
        }

    def test_create_keeps_other_members(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Leaves members added by others in place."""
        account.emulator.add_group_members(
            account.account_id, account.user_group_id, [account.member_ids[2]]
        )
        provider.create(inputs(account, member_id=account.member_ids[0]))
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[0],
            account.member_ids[2],
        }

    def test_create_waits_for_a_new_group_to_propagate(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Retries the 404 of a group created a moment ago, then succeeds."""
        account.emulator.inject(Fault(method="POST", path=MEMBERS, status=404, times=2))
        result = provider.create(inputs(account, member_id=account.member_ids[0]))
        assert result.id.endswith(account.member_ids[0])
        assert account.emulator.request_count(method="POST") == 3

    def test_create_in_a_missing_group_fails_after_the_propagation_window(
        self, emu: Emulator, account: Account
    ) -> None:
        """Gives up with NotFoundError once the propagation window has passed."""
        provider = make_provider(account.base_url)
        missing = "0" * 32
        with pytest.raises(NotFoundError):
            provider.create(
                {
                    "account_id": account.account_id,
                    "user_group_id": missing,
                    "member_id": account.member_ids[0],
                }
            )
        assert emu.request_count(method="POST") >= 2

    def test_create_succeeds_when_only_the_detail_read_fails(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Keeps a landed add in state when the detail GET fails, using the add's echo."""
        account.emulator.inject(Fault(method="GET", path=r"/members/", status=500, times=20))
        result = provider.create(inputs(account, member_id=account.member_ids[0]))
        outs = result.outs or {}
        assert outs["email"] == account.emails[0]
        assert outs["status"] == "accepted"
        assert outs["created_at"] is None
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[0]
        }

    def test_failed_add_raises_and_a_rerun_converges(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Fails when the add itself keeps failing, and a rerun adds the member exactly once."""
        account.emulator.inject(Fault(method="POST", path=MEMBERS, status=503, times=20))
        with pytest.raises(Exception, match="503"):
            provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.clear_faults()
        provider.create(inputs(account, member_id=account.member_ids[0]))
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[0]
        }


class TestAdoptOnly:
    def test_import_adopts_with_one_request_and_adds_nothing(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Reads the existing membership with one GET and never adds."""
        member_id = account.member_ids[0]
        account.emulator.add_group_members(account.account_id, account.user_group_id, [member_id])
        key = f"{account.account_id}/{account.user_group_id}/{member_id}"
        account.emulator.reset_requests()
        result = provider.create(inputs(account, member_id=member_id, import_id=key))
        assert result.id == key
        assert (result.outs or {})["email"] == account.emails[0]
        assert account.emulator.request_count() == 1
        assert account.emulator.request_count(method="POST") == 0

    def test_import_of_a_missing_membership_fails_and_adds_nothing(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Fails clearly when the membership does not exist, without adding it."""
        member_id = account.member_ids[0]
        key = f"{account.account_id}/{account.user_group_id}/{member_id}"
        with pytest.raises(MembershipNotFoundError, match="Remove the import_ option"):
            provider.create(inputs(account, member_id=member_id, import_id=key))
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == set()
        assert account.emulator.request_count(method="POST") == 0

    def test_import_by_email_checks_the_email(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Refuses to adopt when the declared email belongs to someone else."""
        member_id = account.member_ids[0]
        account.emulator.add_group_members(account.account_id, account.user_group_id, [member_id])
        key = f"{account.account_id}/{account.user_group_id}/{member_id}"
        with pytest.raises(MembershipMismatchError):
            provider.create(inputs(account, email=account.emails[1], import_id=key))


class TestRead:
    def test_read_refreshes_outputs_with_one_request(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Reads the membership with one GET and returns outputs and inputs."""
        created = provider.create(inputs(account, email=account.emails[0]))
        account.emulator.reset_requests()
        result = provider.read(created.id, created.outs or {})
        assert result.id == created.id
        assert (result.outs or {})["status"] == "accepted"
        assert result.inputs == {
            "account_id": account.account_id,
            "user_group_id": account.user_group_id,
            "email": account.emails[0],
        }
        assert account.emulator.request_count() == 1

    def test_read_after_out_of_band_removal_is_gone(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Returns the empty id, so refresh drops the membership from state."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.remove_group_member(
            account.account_id, account.user_group_id, account.member_ids[0]
        )
        assert not provider.read(created.id, created.outs or {}).id

    def test_read_after_group_deletion_is_gone(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Treats a deleted group as a gone membership."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        assert not provider.read(created.id, created.outs or {}).id

    def test_read_by_id_alone(self, account: Account, provider: UserGroupMemberProvider) -> None:
        """Reads from the resource id when no outputs are recorded (UserGroupMember.get)."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        result = provider.read(created.id, {})
        assert (result.outs or {})["member_id"] == account.member_ids[0]


class TestDelete:
    def test_delete_removes_only_this_member_with_one_request(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Removes the member with one DELETE and keeps everyone else."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.add_group_members(
            account.account_id, account.user_group_id, [account.member_ids[1]]
        )
        account.emulator.reset_requests()
        provider.delete(created.id, created.outs or {})
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[1]
        }
        assert account.emulator.request_count() == 1

    def test_delete_of_an_already_removed_member_succeeds(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Counts a membership removed out of band as deleted."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.remove_group_member(
            account.account_id, account.user_group_id, account.member_ids[0]
        )
        provider.delete(created.id, created.outs or {})

    def test_delete_after_the_group_is_gone_succeeds(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Counts a deleted group as a deleted membership."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        provider.delete(created.id, created.outs or {})

    def test_delete_after_the_member_left_the_account_succeeds(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Treats Cloudflare's invalid-member 400 (the person left the account) as gone."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        response = requests.delete(
            f"{account.base_url}/accounts/{account.account_id}/members/{account.member_ids[0]}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        response.close()
        assert response.status_code == 200
        provider.delete(created.id, created.outs or {})

    def test_delete_propagates_other_errors(
        self, account: Account, provider: UserGroupMemberProvider
    ) -> None:
        """Fails, leaving the resource in state, when Cloudflare refuses the removal."""
        created = provider.create(inputs(account, member_id=account.member_ids[0]))
        account.emulator.inject(Fault(method="DELETE", path=r"/members/", status=403))
        with pytest.raises(Exception, match="403"):
            provider.delete(created.id, created.outs or {})
        assert account.emulator.group_member_ids(account.account_id, account.user_group_id) == {
            account.member_ids[0]
        }
