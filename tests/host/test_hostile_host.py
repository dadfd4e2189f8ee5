"""Hostile input through the real provider host: Check refuses it on its property, over gRPC,
and no request reaches the emulator; Create, Read and Delete refuse it too if Check is bypassed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloudflare_user_groups import UserGroupMember
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.members import UserGroupMembers
from tests.conftest import TOKEN
from tests.host.harness import HostError, ProviderHost, provider_blob, provider_host, urn
from tests.unit.hostile import (
    EMAIL,
    EMAILS,
    IDENTIFIERS,
    LISTS,
    A,
    G,
    M,
    group_import_ids,
    member_import_ids,
    show,
)

MEMBER_TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMember"
MEMBERS_TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMembers"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[TOKEN]) as emu:
        yield emu


@pytest.fixture(scope="module")
def host(emulator: Emulator) -> Iterator[ProviderHost]:
    with provider_host() as running:
        running.configure({"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": emulator.base_url})
        yield running


@pytest.fixture(scope="module")
def blobs() -> dict[str, str]:
    return {
        "member": provider_blob(
            lambda: UserGroupMember("probe", account_id=A, user_group_id=G, member_id=M)
        ),
        "members": provider_blob(
            lambda: UserGroupMembers("probe", account_id=A, user_group_id=G, member_ids=[])
        ),
    }


def refused(
    host: ProviderHost, emulator: Emulator, type_: str, news: dict[str, Any], prop: str
) -> list[tuple[str, str]]:
    """Check ``news`` through the host; assert a failure on ``prop`` and no request at all."""
    _, failures = host.check(urn("hostile", type_), {}, news)
    assert prop in {name for name, _ in failures}, failures
    assert all(reason for _, reason in failures)
    assert emulator.request_count() == 0
    return failures


class TestUserGroupMemberCheck:
    def news(self, blobs: dict[str, str], **change: object) -> dict[str, Any]:
        return {
            "account_id": A,
            "user_group_id": G,
            "member_id": M,
            "__provider": blobs["member"],
            **change,
        }

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id", "member_id"])
    @pytest.mark.parametrize("value", IDENTIFIERS, ids=show)
    def test_identifier(
        self,
        host: ProviderHost,
        emulator: Emulator,
        blobs: dict[str, str],
        prop: str,
        value: object,
    ) -> None:
        """Refuses a hostile identifier on its property, over gRPC."""
        refused(host, emulator, MEMBER_TYPE, self.news(blobs, **{prop: value}), prop)

    @pytest.mark.parametrize("value", EMAILS, ids=show)
    def test_email(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], value: object
    ) -> None:
        """Refuses a hostile email on email, over gRPC."""
        refused(host, emulator, MEMBER_TYPE, self.news(blobs, member_id=None, email=value), "email")

    @pytest.mark.parametrize("value", member_import_ids(), ids=show)
    def test_import_id(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], value: object
    ) -> None:
        """Refuses a hostile import_ id on import_id, over gRPC."""
        refused(host, emulator, MEMBER_TYPE, self.news(blobs, import_id=value), "import_id")

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id", "member_id"])
    def test_none_where_required(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], prop: str
    ) -> None:
        """Refuses a missing identifier (member_id: when no email is given either)."""
        refused(host, emulator, MEMBER_TYPE, self.news(blobs, **{prop: None}), prop)


class TestUserGroupMembersCheck:
    def news(self, blobs: dict[str, str], **change: object) -> dict[str, Any]:
        return {
            "account_id": A,
            "user_group_id": G,
            "member_ids": [M],
            "__provider": blobs["members"],
            **change,
        }

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id"])
    @pytest.mark.parametrize("value", IDENTIFIERS, ids=show)
    def test_identifier(
        self,
        host: ProviderHost,
        emulator: Emulator,
        blobs: dict[str, str],
        prop: str,
        value: object,
    ) -> None:
        """Refuses a hostile identifier on its property, over gRPC."""
        refused(host, emulator, MEMBERS_TYPE, self.news(blobs, **{prop: value}), prop)

    @pytest.mark.parametrize("value", [*IDENTIFIERS, None], ids=show)
    def test_member_ids_item(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], value: object
    ) -> None:
        """Refuses a hostile member_ids item on member_ids, naming its index."""
        news = self.news(blobs, member_ids=[M, value])
        failures = refused(host, emulator, MEMBERS_TYPE, news, "member_ids")
        assert any("member_ids[1]" in reason for _, reason in failures)

    @pytest.mark.parametrize("value", [*EMAILS, None], ids=show)
    def test_emails_item(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], value: object
    ) -> None:
        """Refuses a hostile emails item on emails, naming its index."""
        news = self.news(blobs, emails=[value, EMAIL])
        failures = refused(host, emulator, MEMBERS_TYPE, news, "emails")
        assert any("emails[0]" in reason for _, reason in failures)

    @pytest.mark.parametrize("prop", ["member_ids", "emails"])
    @pytest.mark.parametrize("value", LISTS, ids=show)
    def test_list_itself(
        self,
        host: ProviderHost,
        emulator: Emulator,
        blobs: dict[str, str],
        prop: str,
        value: object,
    ) -> None:
        """Refuses a member list that is not a list, over gRPC."""
        refused(host, emulator, MEMBERS_TYPE, self.news(blobs, **{prop: value}), prop)

    @pytest.mark.parametrize("value", group_import_ids(), ids=show)
    def test_import_id(
        self, host: ProviderHost, emulator: Emulator, blobs: dict[str, str], value: object
    ) -> None:
        """Refuses a hostile import_ id on import_id, over gRPC."""
        refused(host, emulator, MEMBERS_TYPE, self.news(blobs, import_id=value), "import_id")


HOSTILE_IDS = ["../" + A[3:], A[:-3] + "%2F", A[:-1] + "\u0430", A + "\n", "", 7]


class TestWithoutCheck:
    """The engine always checks first; a tampered state or a bug must still send nothing."""

    @pytest.mark.parametrize("value", HOSTILE_IDS, ids=show)
    @pytest.mark.parametrize("resource", ["member", "members"])
    def test_create_refuses_unchecked_input(
        self,
        host: ProviderHost,
        emulator: Emulator,
        blobs: dict[str, str],
        resource: str,
        value: object,
    ) -> None:
        """Fails Create on an unchecked hostile group id without sending a request."""
        props: dict[str, Any] = {"account_id": A, "user_group_id": value}
        props.update({"member_id": M} if resource == "member" else {"member_ids": [M]})
        props["__provider"] = blobs[resource]
        with pytest.raises(HostError, match="user_group_id"):
            host.create(urn("unchecked"), props)
        assert emulator.request_count() == 0

    @pytest.mark.parametrize("value", HOSTILE_IDS, ids=show)
    @pytest.mark.parametrize("resource", ["member", "members"])
    def test_read_and_delete_refuse_a_tampered_state(
        self,
        host: ProviderHost,
        emulator: Emulator,
        blobs: dict[str, str],
        resource: str,
        value: object,
    ) -> None:
        """Fails Read and Delete when both the id and the outputs are malformed; sends nothing."""
        outputs: dict[str, Any] = {"account_id": A, "user_group_id": value}
        outputs.update({"member_id": M} if resource == "member" else {"member_ids": [M]})
        outputs["__provider"] = blobs[resource]
        tampered_id = f"{A}/{value}/{M}" if resource == "member" else f"{A}/{value}"
        with pytest.raises(HostError, match=r"invalid id"):
            host.read(urn("tampered"), tampered_id, outputs)
        with pytest.raises(HostError, match=r"invalid id"):
            host.delete(urn("tampered"), tampered_id, outputs)
        assert emulator.request_count() == 0
