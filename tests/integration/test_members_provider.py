"""Every UserGroupMembersProvider method against the emulator on loopback (no engine)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cloudflare_user_groups.client import CloudflareClient, Credentials
from cloudflare_user_groups.emulator import Emulator, Fault
from cloudflare_user_groups.errors import BadRequestError
from cloudflare_user_groups.members import (
    MemberEmailsNotFoundError,
    MemberSetMismatchError,
    UserGroupMembersProvider,
    UserGroupNotFoundError,
    check_members_inputs,
    diff_members,
)
from cloudflare_user_groups.models import GroupMember
from tests.conftest import TOKEN, Account, seed_account

MEMBERS = r"/members$"
ROSTER = r"/accounts/[0-9a-f]+/members$"


def make_provider(base_url: str) -> UserGroupMembersProvider:
    provider = UserGroupMembersProvider()
    config = {
        "cloudflare:apiToken": TOKEN,
        "cloudflare:baseUrl": base_url,
        "cloudflare-user-groups:propagationTimeout": "0.3",
    }
    provider.configure(ConfigureRequest(Config(config, "test")))
    provider._propagation_delays = (0.05, 0.1, 0.2)  # keep the waits short in tests
    return provider


def declare(account: Account, **props: Any) -> dict[str, Any]:
    """Inputs as Check returns them."""
    result = check_members_inputs(
        {"account_id": account.account_id, "user_group_id": account.user_group_id, **props}
    )
    assert result.failures == []
    return result.inputs


def in_group(account: Account) -> set[str]:
    return account.emulator.group_member_ids(account.account_id, account.user_group_id)


def seed_group(account: Account, member_ids: Sequence[str]) -> None:
    account.emulator.add_group_members(account.account_id, account.user_group_id, member_ids)


@pytest.fixture
def provider(account: Account) -> UserGroupMembersProvider:
    return make_provider(account.base_url)


@pytest.fixture
def big(emu: Emulator) -> Account:
    """A group of an account with 1,200 members (three pages of 500)."""
    return seed_account(emu, members=1200, group="big")


class TestCreate:
    def test_create_replaces_the_set_with_one_put(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Makes the declared ids the whole set with one PUT, removing undeclared members."""
        seed_group(account, [account.member_ids[2]])
        account.emulator.reset_requests()
        ids = [account.member_ids[1], account.member_ids[0]]
        result = provider.create(declare(account, member_ids=ids))
        assert result.id == f"{account.account_id}/{account.user_group_id}"
        assert in_group(account) == set(ids)
        assert account.emulator.request_count() == 1
        assert account.emulator.request_count(method="PUT", path=MEMBERS) == 1
        outs = result.outs or {}
        assert [m["id"] for m in outs["members"]] == sorted(ids)
        assert outs["members"][0]["status"] == "accepted"
        assert outs["member_count"] == 2
        assert outs["member_ids"] == sorted(ids)
        assert outs["emails"] == []
        assert outs["drift"] == {"extra": [], "missing": []}

    def test_create_by_email_lists_the_roster_once(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Resolves emails, without regard to case, with one roster listing and one PUT."""
        account.emulator.reset_requests()
        result = provider.create(
            declare(account, emails=[account.emails[0].upper(), account.emails[2]])
        )
        assert in_group(account) == {account.member_ids[0], account.member_ids[2]}
        assert account.emulator.request_count(method="GET", path=ROSTER) == 1
        assert account.emulator.request_count() == 2
        members = (result.outs or {})["members"]
        assert {m["email"] for m in members} == {account.emails[0], account.emails[2]}

    def test_id_and_email_of_one_person_make_one_member(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Puts a member declared both by id and by email into the group once."""
        result = provider.create(
            declare(account, member_ids=[account.member_ids[0]], emails=[account.emails[0]])
        )
        assert in_group(account) == {account.member_ids[0]}
        assert (result.outs or {})["member_count"] == 1
        assert (result.outs or {})["drift"] == {"extra": [], "missing": []}

    def test_unknown_emails_fail_together_before_any_write(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Names every unknown email in one error and writes nothing."""
        seed_group(account, [account.member_ids[1]])
        with pytest.raises(MemberEmailsNotFoundError) as caught:
            provider.create(
                declare(account, emails=[account.emails[0], "nobody@example.com", "ghost@x.org"])
            )
        assert "nobody@example.com" in str(caught.value)
        assert "ghost@x.org" in str(caught.value)
        assert account.emails[0] not in str(caught.value)
        assert account.emulator.request_count(method="PUT") == 0
        assert in_group(account) == {account.member_ids[1]}

    def test_empty_set_empties_the_group(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Empties the group with one PUT of [] when the declaration is empty."""
        seed_group(account, account.member_ids)
        result = provider.create(declare(account, member_ids=[]))
        assert in_group(account) == set()
        outs = result.outs or {}
        assert (outs["members"], outs["member_count"]) == ([], 0)

    def test_create_of_1200_members_is_one_put(self, big: Account) -> None:
        """Puts 1,200 members in with a single request."""
        provider = make_provider(big.base_url)
        big.emulator.reset_requests()
        result = provider.create(declare(big, member_ids=list(big.member_ids)))
        assert big.emulator.request_count() == 1
        assert (result.outs or {})["member_count"] == 1200
        assert len(in_group(big)) == 1200

    def test_create_waits_for_a_new_group_to_propagate(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Retries the 404 of a group created a moment ago, then succeeds."""
        account.emulator.inject(Fault(method="PUT", path=MEMBERS, status=404, times=2))
        provider.create(declare(account, member_ids=[account.member_ids[0]]))
        assert in_group(account) == {account.member_ids[0]}
        assert account.emulator.request_count(method="PUT") == 3

    def test_create_in_a_missing_group_fails_clearly(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Gives up with a message naming the group once the propagation window has passed."""
        missing = "0" * 32
        inputs = declare(account, member_ids=[account.member_ids[0]])
        inputs["user_group_id"] = missing
        with pytest.raises(UserGroupNotFoundError, match=f"user group {missing} does not exist"):
            provider.create(inputs)

    def test_a_put_echo_that_is_not_the_full_set_is_checked_by_listing(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Reads the group back when the PUT answer lacks members, so the outputs stay true."""

        class ShortEchoClient(CloudflareClient):
            def replace_group_members(
                self, account_id: str, user_group_id: str, member_ids: Sequence[str]
            ) -> list[GroupMember]:
                return super().replace_group_members(account_id, user_group_id, member_ids)[:1]

        provider.use_client(
            ShortEchoClient(Credentials.from_values(api_token=TOKEN), base_url=account.base_url)
        )
        account.emulator.reset_requests()
        result = provider.create(declare(account, member_ids=list(account.member_ids)))
        assert (result.outs or {})["member_count"] == 3
        assert account.emulator.request_count(method="GET", path=MEMBERS) == 1


class TestAdoptOnly:
    def test_import_of_an_equal_set_reads_once_and_writes_nothing(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Adopts the group with one listing when its members equal the declared set."""
        seed_group(account, account.member_ids[:2])
        account.emulator.reset_requests()
        key = f"{account.account_id}/{account.user_group_id}"
        result = provider.create(
            declare(
                account,
                member_ids=[account.member_ids[0]],
                emails=[account.emails[1]],
                import_id=key,
            )
        )
        assert result.id == key
        assert (result.outs or {})["member_count"] == 2
        assert account.emulator.request_count() == 1
        assert account.emulator.request_count(method="PUT") == 0

    def test_import_of_a_different_set_fails_and_writes_nothing(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Fails naming the extra and missing members, and never writes."""
        seed_group(account, account.member_ids[:2])
        key = f"{account.account_id}/{account.user_group_id}"
        with pytest.raises(MemberSetMismatchError) as caught:
            provider.create(
                declare(
                    account,
                    member_ids=[account.member_ids[0], account.member_ids[2]],
                    import_id=key,
                )
            )
        message = str(caught.value)
        assert f"in the group but not declared: {account.member_ids[1]}" in message
        assert f"declared but not in the group: {account.member_ids[2]}" in message
        assert "Nothing was changed" in message
        assert account.emulator.request_count(method="PUT") == 0
        assert in_group(account) == set(account.member_ids[:2])

    def test_import_of_a_missing_group_fails(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Fails clearly when the group to adopt does not exist."""
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        key = f"{account.account_id}/{account.user_group_id}"
        with pytest.raises(UserGroupNotFoundError, match="Nothing was changed"):
            provider.create(declare(account, member_ids=[], import_id=key))

    def test_import_of_an_empty_group_as_empty(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Adopts an empty group declared empty."""
        key = f"{account.account_id}/{account.user_group_id}"
        result = provider.create(declare(account, member_ids=[], import_id=key))
        assert (result.outs or {})["members"] == []


class TestRead:
    def test_read_of_1200_members_is_complete_in_three_requests(self, big: Account) -> None:
        """Reads every page, 500 members at a time, so no member past the first page is lost."""
        provider = make_provider(big.base_url)
        created = provider.create(declare(big, member_ids=list(big.member_ids)))
        big.emulator.reset_requests()
        result = provider.read(created.id, created.outs or {})
        outs = result.outs or {}
        assert outs["member_count"] == 1200
        assert {m["id"] for m in outs["members"]} == set(big.member_ids)
        assert outs["drift"] == {"extra": [], "missing": []}
        assert big.emulator.request_count() == 3
        assert {r.query.get("per_page") for r in big.emulator.requests} == {"500"}

    def test_drift_is_reported_and_the_next_update_converges(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Reports an out-of-band addition and removal, keeps the declaration, then reverts both."""
        inputs = declare(account, member_ids=account.member_ids[:2])
        created = provider.create(inputs)
        seed_group(account, [account.member_ids[2]])
        account.emulator.remove_group_member(
            account.account_id, account.user_group_id, account.member_ids[0]
        )

        refreshed = provider.read(created.id, created.outs or {})
        outs = refreshed.outs or {}
        assert refreshed.id == created.id
        assert refreshed.inputs is None  # the engine keeps the declared inputs
        assert outs["member_ids"] == sorted(account.member_ids[:2])
        assert {m["id"] for m in outs["members"]} == {account.member_ids[1], account.member_ids[2]}
        assert outs["drift"] == {
            "extra": [account.member_ids[2]],
            "missing": [account.member_ids[0]],
        }

        assert diff_members(outs, inputs).changes is True
        account.emulator.reset_requests()
        updated = provider.update(created.id, outs, inputs).outs or {}
        assert account.emulator.request_count() == 1
        assert in_group(account) == set(account.member_ids[:2])
        assert updated["drift"] == {"extra": [], "missing": []}
        assert diff_members(updated, inputs).changes is False

    def test_read_by_email_declaration_reports_a_removed_email(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Names a declared email whose member left the group as missing, without a roster call."""
        created = provider.create(declare(account, emails=list(account.emails[:2])))
        account.emulator.remove_group_member(
            account.account_id, account.user_group_id, account.member_ids[1]
        )
        account.emulator.reset_requests()
        outs = provider.read(created.id, created.outs or {}).outs or {}
        assert outs["drift"] == {"extra": [], "missing": [account.emails[1]]}
        assert account.emulator.request_count(path=ROSTER) == 0

    def test_read_after_the_group_is_deleted_is_gone(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Returns the empty id and empty outputs, so refresh drops the resource."""
        created = provider.create(declare(account, member_ids=[account.member_ids[0]]))
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        result = provider.read(created.id, created.outs or {})
        assert not result.id
        assert result.outs == {}

    def test_read_of_an_empty_group_is_one_request(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Reads an empty group (a null result) as no members, with one request."""
        created = provider.create(declare(account, member_ids=[]))
        account.emulator.reset_requests()
        outs = provider.read(created.id, created.outs or {}).outs or {}
        assert (outs["members"], outs["member_count"], outs["member_ids"]) == ([], 0, [])
        assert account.emulator.request_count() == 1

    def test_read_by_id_alone_records_no_declaration(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Reads a group from its id alone (UserGroupMembers.get) without inventing drift."""
        seed_group(account, [account.member_ids[1]])
        key = f"{account.account_id}/{account.user_group_id}"
        result = provider.read(key, {})
        outs = result.outs or {}
        assert result.id == key
        assert [m["id"] for m in outs["members"]] == [account.member_ids[1]]
        assert outs["member_ids"] is None
        assert outs["drift"] is None


class TestUpdate:
    def test_update_by_email_is_one_listing_and_one_put(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Replaces the set with one PUT after one roster listing, and returns every output."""
        old = declare(account, member_ids=[account.member_ids[0]])
        created = provider.create(old)
        new = declare(account, member_ids=[account.member_ids[0]], emails=[account.emails[2]])
        assert diff_members(created.outs or {}, new).changes is True
        account.emulator.reset_requests()
        outs = provider.update(created.id, created.outs or {}, new).outs or {}
        assert account.emulator.request_count() == 2
        assert in_group(account) == {account.member_ids[0], account.member_ids[2]}
        assert set(outs) >= {"account_id", "user_group_id", "member_ids", "emails", "members"}
        assert outs["emails"] == [account.emails[2]]
        assert outs["member_count"] == 2

    def test_update_of_a_deleted_group_fails_clearly(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Fails with a message that says to refresh, when the group was deleted out of band."""
        inputs = declare(account, member_ids=[account.member_ids[0]])
        created = provider.create(inputs)
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        with pytest.raises(UserGroupNotFoundError, match="pulumi refresh"):
            provider.update(created.id, created.outs or {}, inputs)


class TestDelete:
    def test_delete_empties_the_group_with_one_put(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Removes every member with one PUT of [] and keeps the group."""
        created = provider.create(declare(account, member_ids=list(account.member_ids)))
        account.emulator.reset_requests()
        provider.delete(created.id, created.outs or {})
        assert in_group(account) == set()
        assert account.emulator.request_count() == 1
        assert account.emulator.requests[0].method == "PUT"

    def test_delete_after_the_group_is_gone_succeeds(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Counts a deleted group as an emptied one."""
        created = provider.create(declare(account, member_ids=[account.member_ids[0]]))
        account.emulator.delete_user_group(account.account_id, account.user_group_id)
        provider.delete(created.id, created.outs or {})

    def test_delete_by_id_alone(self, account: Account, provider: UserGroupMembersProvider) -> None:
        """Finds the group from the resource id when no outputs are recorded."""
        seed_group(account, account.member_ids)
        provider.delete(f"{account.account_id}/{account.user_group_id}", {})
        assert in_group(account) == set()


class TestRefusedIds:
    def test_an_id_outside_the_account_fails_and_applies_nothing(
        self, account: Account, provider: UserGroupMembersProvider
    ) -> None:
        """Surfaces Cloudflare's refusal naming the id, with the group left as it was."""
        seed_group(account, [account.member_ids[0]])
        stranger = "ab" * 16
        with pytest.raises(BadRequestError, match=stranger):
            provider.create(declare(account, member_ids=[account.member_ids[1], stranger]))
        assert in_group(account) == {account.member_ids[0]}
