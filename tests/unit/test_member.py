"""Unit tests of UserGroupMember's check and diff logic: no sockets, no engine."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from cloudflare_user_groups.member import (
    UserGroupMemberProvider,
    check_member_inputs,
    diff_member,
)

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M = "00112233445566778899aabbccddeeff"
M2 = "ffeeddccbbaa99887766554433221100"


def failures(news: dict[str, Any]) -> dict[str, str]:
    result = check_member_inputs(news)
    return {f.property: f.reason for f in result.failures}


class TestCheck:
    def test_valid_by_id_is_normalised_to_lower_case(self) -> None:
        """Accepts 32-hex identifiers in either case and returns them in lower case."""
        result = check_member_inputs(
            {"account_id": A.upper(), "user_group_id": G, "member_id": M.upper()}
        )
        assert result.failures == []
        assert result.inputs == {"account_id": A, "user_group_id": G, "member_id": M}

    def test_valid_by_email_is_lower_cased(self) -> None:
        """Accepts an email and lower-cases it, since Cloudflare matches emails without case."""
        result = check_member_inputs(
            {"account_id": A, "user_group_id": G, "email": "Alice@Example.COM"}
        )
        assert result.failures == []
        assert result.inputs["email"] == "alice@example.com"

    def test_drops_unknown_keys_and_provider(self) -> None:
        """Keeps only the resource's input keys (the host re-adds __provider itself)."""
        result = check_member_inputs(
            {"account_id": A, "user_group_id": G, "member_id": M, "__provider": "x", "extra": 1}
        )
        assert set(result.inputs) == {"account_id", "user_group_id", "member_id"}

    @pytest.mark.parametrize(
        ("news", "prop"),
        [
            ({"user_group_id": G, "member_id": M}, "account_id"),
            ({"account_id": A, "member_id": M}, "user_group_id"),
            ({"account_id": "abc", "user_group_id": G, "member_id": M}, "account_id"),
            ({"account_id": A + "0", "user_group_id": G, "member_id": M}, "account_id"),
            ({"account_id": A, "user_group_id": "g" * 32, "member_id": M}, "user_group_id"),
            ({"account_id": A, "user_group_id": G, "member_id": 12345.0}, "member_id"),
            ({"account_id": A, "user_group_id": G, "member_id": "../" + M[3:]}, "member_id"),
            ({"account_id": A, "user_group_id": G}, "member_id"),
            ({"account_id": A, "user_group_id": G, "member_id": M, "email": "a@b.co"}, "email"),
            ({"account_id": A, "user_group_id": G, "email": "not-an-email"}, "email"),
            ({"account_id": A, "user_group_id": G, "email": "a" * 85 + "@b.com"}, "email"),
            ({"account_id": A, "user_group_id": G, "email": ["a@b.co"]}, "email"),
            (
                {"account_id": A, "user_group_id": G, "member_id": M, "import_id": "a/b"},
                "import_id",
            ),
        ],
    )
    def test_rejects_bad_input_naming_the_property(self, news: dict[str, Any], prop: str) -> None:
        """Reports one failure on the offending property, with a non-empty rule."""
        found = failures(news)
        assert prop in found
        assert found[prop]

    def test_reports_one_failure_per_bad_property(self) -> None:
        """Reports every bad property at once, not just the first."""
        found = failures({"account_id": "x", "user_group_id": "y", "member_id": "z"})
        assert set(found) == {"account_id", "user_group_id", "member_id"}

    def test_identifier_rule_names_the_format(self) -> None:
        """Explains that identifiers are 32 hexadecimal characters."""
        reason = failures({"account_id": "x", "user_group_id": G, "member_id": M})["account_id"]
        assert "32" in reason
        assert "hex" in reason.lower()

    def test_unknowns_pass_during_preview(self) -> None:
        """Lets values that are unknown during preview through unchecked."""
        unknown = Unknown()
        result = check_member_inputs(
            {"account_id": A, "user_group_id": unknown, "member_id": unknown}
        )
        assert result.failures == []
        assert result.inputs["user_group_id"] is unknown

    def test_import_id_must_match_the_inputs(self) -> None:
        """Refuses an import_ id that names another member than the inputs."""
        found = failures(
            {"account_id": A, "user_group_id": G, "member_id": M, "import_id": f"{A}/{G}/{M2}"}
        )
        assert "import_id" in found
        assert "member_id" in found["import_id"]

    def test_import_id_is_normalised(self) -> None:
        """Normalises a matching import_ id to lower case."""
        result = check_member_inputs(
            {
                "account_id": A,
                "user_group_id": G,
                "member_id": M,
                "import_id": f"{A}/{G}/{M}".upper(),
            }
        )
        assert result.failures == []
        assert result.inputs["import_id"] == f"{A}/{G}/{M}"


OLD = {
    "account_id": A,
    "user_group_id": G,
    "member_id": M,
    "email": "alice@example.com",
    "status": "accepted",
    "identified_by": "member_id",
    "__provider": "old-blob",
}


class TestDiff:
    def test_no_change_is_reported_as_no_change(self) -> None:
        """Reports no change (not unknown) when nothing changed, even with a new provider blob."""
        result = diff_member(
            OLD, {"account_id": A, "user_group_id": G, "member_id": M, "__provider": "new"}
        )
        assert result.changes is False
        assert result.replaces == []

    @pytest.mark.parametrize(
        ("news", "replaced"),
        [
            ({"account_id": M2, "user_group_id": G, "member_id": M}, ["account_id"]),
            ({"account_id": A, "user_group_id": M2, "member_id": M}, ["user_group_id"]),
            ({"account_id": A, "user_group_id": G, "member_id": M2}, ["member_id"]),
            ({"account_id": A, "user_group_id": G, "email": "bob@example.com"}, ["email"]),
        ],
    )
    def test_identity_changes_replace(self, news: dict[str, Any], replaced: list[str]) -> None:
        """Replaces the membership when any identity input changes."""
        result = diff_member(OLD, news)
        assert result.changes is True
        assert result.replaces == replaced

    def test_unknown_predicts_replacement(self) -> None:
        """Predicts a replacement when an identity input is unknown during preview."""
        result = diff_member(OLD, {"account_id": A, "user_group_id": Unknown(), "member_id": M})
        assert result.replaces == ["user_group_id"]

    def test_switching_to_the_same_members_email_is_no_change(self) -> None:
        """Treats a switch from member_id to the same member's email as no change."""
        result = diff_member(
            OLD, {"account_id": A, "user_group_id": G, "email": "Alice@Example.com"}
        )
        assert result.changes is False

    def test_removing_import_id_is_no_change(self) -> None:
        """Ignores import_id, so removing import_ after adoption changes nothing."""
        with_import = {**OLD, "import_id": f"{A}/{G}/{M}"}
        result = diff_member(with_import, {"account_id": A, "user_group_id": G, "member_id": M})
        assert result.changes is False

    def test_same_group_replacement_deletes_first(self) -> None:
        """Deletes before re-creating within one group, so an adopted membership is not lost."""
        result = diff_member(OLD, {"account_id": A, "user_group_id": G, "email": "bob@example.com"})
        assert result.delete_before_replace is True

    def test_moving_to_another_group_creates_first(self) -> None:
        """Creates the new membership before removing the old one when the group changes."""
        result = diff_member(OLD, {"account_id": A, "user_group_id": M2, "member_id": M})
        assert result.delete_before_replace is False


class TestUpdate:
    def test_update_keeps_every_output(self) -> None:
        """Returns the full outputs instead of the SDK default that wipes them."""
        provider = UserGroupMemberProvider()
        result = provider.update(f"{A}/{G}/{M}", OLD, {"account_id": A})
        assert result.outs is not None
        assert result.outs["email"] == "alice@example.com"
        assert result.outs["member_id"] == M
        assert "__provider" not in result.outs
