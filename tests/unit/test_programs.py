"""Pulumi programs under ``pulumi.runtime.set_mocks``: the resource's wiring and the examples."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi
import pytest

from cloudflare_user_groups import UserGroupMember
from tests.host.harness import Registration, run_program

ROOT = Path(__file__).resolve().parents[2]
A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M = "00112233445566778899aabbccddeeff"
TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMember"


def example(name: str, project: str, config: dict[str, str]) -> list[Registration]:
    return run_program(
        lambda: runpy.run_path(str(ROOT / "examples" / name / "__main__.py")),
        project=project,
        config={f"{project}:{key}": value for key, value in config.items()},
    )


class TestUserGroupMemberProgram:
    def test_type_token_and_state_names(self) -> None:
        """Registers the custom type token with snake_case inputs and declared outputs."""
        (registration,) = run_program(
            lambda: UserGroupMember("m", account_id=A, user_group_id=G, member_id=M)
        )
        assert registration.typ == TYPE
        assert registration.inputs["account_id"] == A
        assert registration.inputs["member_id"] == M
        assert "import_id" not in registration.inputs

    def test_outputs_of_other_resources_are_accepted(self) -> None:
        """Takes a group id that is an Output of another resource, such as UserGroup."""

        def program() -> None:
            group = pulumi.CustomResource(
                "cloudflare:index/userGroup:UserGroup", "ops", {"name": "ops"}
            )
            UserGroupMember("m", account_id=A, user_group_id=group.id, email="a@example.com")

        group, member = run_program(program)
        assert group.typ == "cloudflare:index/userGroup:UserGroup"
        assert member.inputs["user_group_id"] == "ops-id"
        assert member.inputs["email"] == "a@example.com"

    def test_import_option_never_reaches_the_engine(self) -> None:
        """Moves import_ into the adopt-only input, so the engine never tries an import."""
        (registration,) = run_program(
            lambda: UserGroupMember(
                "m",
                account_id=A,
                user_group_id=G,
                member_id=M,
                opts=pulumi.ResourceOptions(import_=f"{A}/{G}/{M}", protect=False),
            )
        )
        assert not registration.resource_id
        assert registration.inputs["import_id"] == f"{A}/{G}/{M}"

    def test_get_reads_by_id(self) -> None:
        """Reads an existing membership with its id split into the inputs."""
        (registration,) = run_program(lambda: UserGroupMember.get("m", f"{A}/{G}/{M}"))
        assert registration.resource_id == f"{A}/{G}/{M}"
        assert registration.inputs["user_group_id"] == G

    def test_get_refuses_a_malformed_id(self) -> None:
        """Refuses a literal id that is not account/group/member, showing the expected form."""
        with pytest.raises(ValueError, match="<account_id>/<user_group_id>/<member_id>"):
            UserGroupMember.get("m", "not-an-id")


class TestExamples:
    def test_basic(self) -> None:
        """Declares one membership by id from stack config."""
        (member,) = example(
            "basic",
            "cloudflare-user-groups-basic",
            {"accountId": A, "userGroupId": G, "memberId": M},
        )
        assert member.typ == TYPE
        assert member.inputs["member_id"] == M

    def test_by_email(self) -> None:
        """Declares one membership per configured email, with names derived from the emails."""
        registered = example(
            "by_email",
            "cloudflare-user-groups-by-email",
            {
                "accountId": A,
                "userGroupId": G,
                "emails": '["alice@example.com", "bob@example.com"]',
            },
        )
        assert [r.name for r in registered] == [
            "member-alice-example-com",
            "member-bob-example-com",
        ]
        assert [r.inputs["email"] for r in registered] == ["alice@example.com", "bob@example.com"]

    def test_adopt_existing(self) -> None:
        """Adopts one membership without an engine import and reads another with get()."""
        adopted, looked_up = example(
            "adopt_existing",
            "cloudflare-user-groups-adopt-existing",
            {"accountId": A, "userGroupId": G, "memberId": M, "otherMemberId": G},
        )
        assert adopted.inputs["import_id"] == f"{A}/{G}/{M}"
        assert not adopted.resource_id
        assert looked_up.resource_id == f"{A}/{G}/{G}"
