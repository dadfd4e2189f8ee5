"""Unit tests of UserGroupMembers' check, diff and output logic: no sockets, no engine."""

from __future__ import annotations

import base64
import logging
import pickletools
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from cloudflare_user_groups.members import (
    MemberSetChange,
    UserGroupMembers,
    UserGroupMembersProvider,
    check_members_inputs,
    diff_members,
    members_outputs,
    pending_change,
)
from cloudflare_user_groups.models import GroupKey, GroupMember

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
G2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
M1 = "00112233445566778899aabbccddeeff"
M2 = "ffeeddccbbaa99887766554433221100"
M3 = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"


def check(**news: Any) -> tuple[dict[str, Any], dict[str, str]]:
    result = check_members_inputs({"account_id": A, "user_group_id": G, **news})
    return result.inputs, {f.property: f.reason for f in result.failures}


def recorded(*members: tuple[str, str | None], **declared: Any) -> dict[str, Any]:
    """Old outputs as the provider writes them: identity, declaration and the listed members."""
    listed = [{"id": m, **({"email": e} if e else {}), "status": "accepted"} for m, e in members]
    return {
        "account_id": A,
        "user_group_id": G,
        "member_ids": declared.get("member_ids", []),
        "emails": declared.get("emails", []),
        "members": listed,
        "member_count": float(len(listed)),
        "__provider": "old-blob",
    }


def news(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"account_id": A, "user_group_id": G, "member_ids": [], "emails": []}
    base.update(props)
    return base


class TestCheck:
    def test_ids_are_lower_cased_sorted_and_deduplicated(self) -> None:
        """Normalises member ids so that case, order and repetition never matter."""
        inputs, failures = check(member_ids=[M2.upper(), M1, M2, M1.upper()])
        assert failures == {}
        assert inputs == {
            "account_id": A,
            "user_group_id": G,
            "member_ids": [M1, M2],
            "emails": [],
        }

    def test_emails_are_lower_cased_sorted_and_deduplicated(self) -> None:
        """Normalises emails the same way, since Cloudflare matches emails without case."""
        inputs, failures = check(emails=["Bob@Example.com", ALICE, "ALICE@example.COM"])
        assert failures == {}
        assert inputs["emails"] == [ALICE, BOB]
        assert inputs["member_ids"] == []

    def test_ids_and_emails_together(self) -> None:
        """Accepts ids and emails side by side."""
        inputs, failures = check(member_ids=[M1], emails=[ALICE])
        assert failures == {}
        assert (inputs["member_ids"], inputs["emails"]) == ([M1], [ALICE])

    def test_explicit_empty_set_is_allowed(self) -> None:
        """Accepts member_ids=[] as the declaration of an empty group."""
        inputs, failures = check(member_ids=[])
        assert failures == {}
        assert (inputs["member_ids"], inputs["emails"]) == ([], [])

    def test_empty_emails_alone_is_allowed(self) -> None:
        """Accepts emails=[] as the declaration of an empty group too."""
        _, failures = check(emails=[])
        assert failures == {}

    def test_leaving_out_both_lists_is_refused(self) -> None:
        """Refuses a resource that declares no list at all, which would silently empty a group."""
        _, failures = check()
        assert "member_ids=[]" in failures["member_ids"]

    def test_drops_unknown_keys_and_provider(self) -> None:
        """Keeps only the resource's input keys (the host re-adds __provider itself)."""
        inputs, _ = check(member_ids=[M1], __provider="blob", extra=1, members=[])
        assert set(inputs) == {"account_id", "user_group_id", "member_ids", "emails"}

    def test_tuples_are_accepted(self) -> None:
        """Accepts a tuple where a list is expected (a direct call, not over the wire)."""
        inputs, failures = check(member_ids=(M1,))
        assert failures == {}
        assert inputs["member_ids"] == [M1]

    @pytest.mark.parametrize(
        ("props", "prop", "fragment"),
        [
            ({"member_ids": M1}, "member_ids", "list of strings, not str"),
            ({"member_ids": {"id": M1}}, "member_ids", "not dict"),
            ({"member_ids": 3.0}, "member_ids", "not float"),
            ({"member_ids": [M1, None]}, "member_ids", "member_ids[1] must be a string, not None"),
            ({"member_ids": [M1, 12345.0]}, "member_ids", "member_ids[1]"),
            ({"member_ids": [M1, [M2]]}, "member_ids", "member_ids[1]"),
            ({"member_ids": ["xyz"]}, "member_ids", "member_ids[0]"),
            ({"member_ids": [M1 + "0"]}, "member_ids", "member_ids[0]"),
            ({"member_ids": ["../" + M1[3:]]}, "member_ids", "member_ids[0]"),
            ({"member_ids": [""]}, "member_ids", "member_ids[0]"),
            ({"emails": "a@b.co"}, "emails", "list of strings, not str"),
            ({"emails": [ALICE, "not-an-email"]}, "emails", "emails[1]"),
            ({"emails": ["a" * 85 + "@b.com"]}, "emails", "90"),
            ({"emails": [" a@b.co"]}, "emails", "emails[0]"),
            ({"emails": [1.0]}, "emails", "emails[0]"),
            ({"member_ids": [], "account_id": "abc"}, "account_id", "hexadecimal"),
            ({"member_ids": [], "user_group_id": None}, "user_group_id", "required"),
            ({"member_ids": [], "import_id": "a/b"}, "import_id", "import_"),
            ({"member_ids": [], "import_id": f"{A}/{G2}"}, "import_id", "declares"),
        ],
    )
    def test_rejects_bad_input_naming_the_property(
        self, props: dict[str, Any], prop: str, fragment: str
    ) -> None:
        """Reports a failure on the offending property whose reason says what is wrong."""
        result = check_members_inputs({"account_id": A, "user_group_id": G, **props})
        reasons = [f.reason for f in result.failures if f.property == prop]
        assert len(reasons) == 1
        assert fragment in reasons[0]

    def test_one_failure_per_property_naming_every_bad_index(self) -> None:
        """Collects every bad item of a list into that property's single failure."""
        result = check_members_inputs(
            {"account_id": "x", "user_group_id": G, "member_ids": ["a", M1, None], "emails": ["b"]}
        )
        by_prop = {f.property: f.reason for f in result.failures}
        assert len(result.failures) == 3
        assert set(by_prop) == {"account_id", "member_ids", "emails"}
        assert "member_ids[0]" in by_prop["member_ids"]
        assert "member_ids[2]" in by_prop["member_ids"]
        assert "member_ids[1]" not in by_prop["member_ids"]

    def test_long_lists_of_bad_items_are_summarised(self) -> None:
        """Names the first bad items and counts the rest, so the message stays readable."""
        _, failures = check(member_ids=[f"bad{i}" for i in range(25)])
        assert "member_ids[9]" in failures["member_ids"]
        assert "member_ids[10]" not in failures["member_ids"]
        assert "and 15 more" in failures["member_ids"]

    def test_unknown_lists_pass(self) -> None:
        """Lets whole unknown lists through during preview."""
        inputs, failures = check(member_ids=Unknown(), emails=Unknown())
        assert failures == {}
        assert isinstance(inputs["member_ids"], Unknown)

    def test_unknown_items_pass_and_keep_their_place(self) -> None:
        """Keeps unknown items and the order of known ones until every value is known."""
        unknown = Unknown()
        inputs, failures = check(member_ids=[M2.upper(), unknown, M1])
        assert failures == {}
        assert inputs["member_ids"] == [M2, unknown, M1]

    def test_unknown_identity_passes(self) -> None:
        """Lets an unknown group id through (the group is created in the same run)."""
        result = check_members_inputs({"account_id": A, "user_group_id": Unknown(), "emails": []})
        assert result.failures == []

    def test_import_id_is_normalised(self) -> None:
        """Accepts an import id that names the declared group, in any case."""
        inputs, failures = check(member_ids=[], import_id=f"{A.upper()}/{G}")
        assert failures == {}
        assert inputs["import_id"] == f"{A}/{G}"


class TestDiff:
    def test_same_set_is_no_change(self) -> None:
        """Reports no change when the declared ids are the recorded members."""
        result = diff_members(recorded((M1, ALICE), (M2, BOB)), news(member_ids=[M1, M2]))
        assert result.changes is False
        assert result.replaces == []

    def test_reorder_and_duplicates_are_no_change(self) -> None:
        """Reports no change for a reordered, repeated and re-cased declaration after Check."""
        olds = recorded((M1, ALICE), (M2, BOB), member_ids=[M1, M2])
        checked = check_members_inputs(
            {"account_id": A, "user_group_id": G, "member_ids": [M2, M1.upper(), M2]}
        ).inputs
        assert diff_members(olds, checked).changes is False

    def test_recorded_member_order_does_not_matter(self) -> None:
        """Compares the recorded members as a set, whatever order Cloudflare listed them in."""
        olds = recorded((M2, BOB), (M1, ALICE))
        assert diff_members(olds, news(member_ids=[M1, M2])).changes is False

    def test_id_and_email_of_the_same_person_count_once(self) -> None:
        """Counts a member declared by id and by email as one member."""
        olds = recorded((M1, ALICE), (M2, BOB))
        assert diff_members(olds, news(member_ids=[M1, M2], emails=[ALICE])).changes is False

    def test_switching_from_id_to_email_is_no_change(self) -> None:
        """Reports no change when a member is now declared by the email recorded for that id."""
        olds = recorded((M1, ALICE), (M2, BOB), member_ids=[M1, M2])
        new = news(member_ids=[M2], emails=["Alice@Example.com"])
        assert diff_members(olds, new).changes is False

    def test_email_not_among_recorded_members_is_an_addition(self) -> None:
        """Reports a change for an email that no recorded member has (it must be added)."""
        olds = recorded((M1, ALICE))
        assert diff_members(olds, news(member_ids=[M1], emails=[CAROL])).changes is True
        change = pending_change(olds, news(member_ids=[M1], emails=[CAROL]))
        assert change == MemberSetChange(add=(CAROL,), remove=())

    def test_out_of_band_addition_is_a_change_that_removes_it(self) -> None:
        """Reports a change when the group has a member the program does not declare."""
        olds = recorded((M1, ALICE), (M3, CAROL), member_ids=[M1])
        assert diff_members(olds, news(member_ids=[M1])).changes is True
        assert pending_change(olds, news(member_ids=[M1])) == MemberSetChange(remove=(M3,))

    def test_out_of_band_removal_is_a_change_that_adds_it_back(self) -> None:
        """Reports a change when a declared member is no longer in the group."""
        olds = recorded((M1, ALICE), member_ids=[M1, M2])
        assert pending_change(olds, news(member_ids=[M1, M2])) == MemberSetChange(add=(M2,))

    def test_empty_declaration_of_an_empty_group_is_no_change(self) -> None:
        """Reports no change for an empty set recorded as empty."""
        assert diff_members(recorded(), news()).changes is False

    def test_empty_declaration_of_a_populated_group_removes_everyone(self) -> None:
        """Reports a change that removes every member when the declaration becomes empty."""
        olds = recorded((M1, ALICE), (M2, BOB))
        assert pending_change(olds, news()) == MemberSetChange(remove=(M1, M2))

    @pytest.mark.parametrize(
        ("changed", "value"),
        [("user_group_id", G2), ("account_id", G2)],
    )
    def test_new_group_or_account_replaces(self, changed: str, value: str) -> None:
        """Replaces the resource, adding the new group's set before emptying the old group."""
        result = diff_members(recorded((M1, ALICE)), news(member_ids=[M1], **{changed: value}))
        assert result.changes is True
        assert result.replaces == [changed]
        assert result.delete_before_replace is False

    def test_case_change_of_the_group_is_no_replacement(self) -> None:
        """Treats a group id that differs only in case as the same group."""
        result = diff_members(recorded((M1, ALICE)), news(member_ids=[M1], user_group_id=G.upper()))
        assert result.changes is False

    def test_import_id_and_provider_are_ignored(self) -> None:
        """Ignores import_id and a new serialized provider, so neither causes an update."""
        olds = recorded((M1, ALICE))
        new = news(member_ids=[M1], import_id=f"{A}/{G}", __provider="new-blob")
        assert diff_members(olds, new).changes is False

    @pytest.mark.parametrize(
        "new",
        [
            news(member_ids=Unknown()),
            news(emails=Unknown()),
            news(member_ids=[M1, Unknown()]),
            news(member_ids=[M1], user_group_id=Unknown()),
        ],
    )
    def test_unknowns_are_a_change_never_unknown(self, new: dict[str, Any]) -> None:
        """Reports a change (never DIFF_UNKNOWN) while the declaration is unknown."""
        result = diff_members(recorded((M1, ALICE)), new)
        assert result.changes is True

    @pytest.mark.parametrize(
        ("olds", "new"),
        [
            (recorded((M1, ALICE)), news(member_ids=[M1])),
            (recorded((M1, ALICE)), news(member_ids=[M2])),
            (recorded(), news()),
            ({}, news()),
            (recorded((M1, None)), news(emails=[ALICE])),
        ],
    )
    def test_changes_is_always_a_boolean(self, olds: dict[str, Any], new: dict[str, Any]) -> None:
        """Answers True or False, never None, which the engine would treat as unknown."""
        assert diff_members(olds, new).changes in (True, False)

    def test_without_recorded_members_compares_declarations(self) -> None:
        """Falls back to the recorded declaration when no member listing was recorded."""
        olds = {"account_id": A, "user_group_id": G, "member_ids": [M1], "emails": [ALICE]}
        assert diff_members(olds, news(member_ids=[M1], emails=[ALICE])).changes is False
        assert pending_change(olds, news(member_ids=[M2])) == MemberSetChange(
            add=(M2,), remove=(M1, ALICE)
        )


class TestDescribe:
    def test_describes_removals_then_additions(self) -> None:
        """Names what an update removes and adds."""
        text = MemberSetChange(add=(M1,), remove=(M2, M3)).describe()
        assert text == f"removes 2 member(s): {M2}, {M3}; adds 1 member(s): {M1}"

    def test_caps_long_listings(self) -> None:
        """Names at most ten members per side and counts the others."""
        text = MemberSetChange(remove=tuple(f"{i:032x}" for i in range(1200))).describe()
        assert "and 1190 more" in text
        assert len(text) < 500

    def test_provider_diff_warns_about_removals(self, caplog: pytest.LogCaptureFixture) -> None:
        """Logs a warning naming the members an update would remove (no detailed diff exists)."""
        olds = recorded((M1, ALICE), (M3, CAROL))
        with caplog.at_level(logging.INFO, logger="cloudflare_user_groups.members"):
            UserGroupMembersProvider().diff(f"{A}/{G}", olds, news(member_ids=[M1]))
        (record,) = caplog.records
        assert record.levelno == logging.WARNING
        assert M3 in record.getMessage()
        assert f"{A}/{G}" in record.getMessage()

    def test_provider_diff_logs_additions_quietly(self, caplog: pytest.LogCaptureFixture) -> None:
        """Logs additions only at INFO, and nothing when there is no change."""
        olds = recorded((M1, ALICE))
        with caplog.at_level(logging.INFO, logger="cloudflare_user_groups.members"):
            provider = UserGroupMembersProvider()
            provider.diff(f"{A}/{G}", olds, news(member_ids=[M1, M2]))
            provider.diff(f"{A}/{G}", olds, news(member_ids=[M1]))
        assert [r.levelno for r in caplog.records] == [logging.INFO]


class TestOutputs:
    def test_members_sorted_by_id_with_count_and_declaration(self) -> None:
        """Lists members by id, counts them and echoes the normalised declaration."""
        members = [GroupMember(M2, "Bob@Example.com", "pending"), GroupMember(M1, ALICE, None)]
        outputs = members_outputs(GroupKey(A, G), [M2, M1], ["BOB@example.com"], members)
        assert outputs["members"] == [
            {"id": M1, "email": ALICE},
            {"id": M2, "email": BOB, "status": "pending"},
        ]
        assert outputs["member_count"] == 2
        assert outputs["member_ids"] == [M1, M2]
        assert outputs["emails"] == [BOB]
        assert outputs["drift"] == {"extra": [], "missing": []}

    def test_drift_names_extra_and_missing_members(self) -> None:
        """Records members outside the declaration and declared ones not in the group."""
        members = [GroupMember(M1, ALICE, "accepted"), GroupMember(M3, CAROL, "accepted")]
        outputs = members_outputs(GroupKey(A, G), [M1, M2], [BOB], members)
        assert outputs["drift"] == {"extra": [M3], "missing": [M2, BOB]}

    def test_roster_fills_in_a_missing_email(self) -> None:
        """Uses the account roster's email when the member listing leaves it out."""
        outputs = members_outputs(GroupKey(A, G), [], [ALICE], [GroupMember(M1)], {ALICE: M1})
        assert outputs["members"] == [{"id": M1, "email": ALICE}]
        assert outputs["drift"] == {"extra": [], "missing": []}

    def test_get_records_no_declaration(self) -> None:
        """Records neither a declaration nor drift for a group read with get()."""
        outputs = members_outputs(GroupKey(A, G), None, None, [GroupMember(M1, ALICE)])
        assert outputs["member_ids"] is None
        assert outputs["drift"] is None
        assert outputs["member_count"] == 1


class TestIdentity:
    def test_type_token(self) -> None:
        """Registers as pulumi-python:dynamic/cloudflare:UserGroupMembers."""
        assert UserGroupMembers._resource_type_name == "dynamic/cloudflare:UserGroupMembers"

    def test_provider_pickles_by_a_pinned_reference(self) -> None:
        """Pickles the provider by reference to a module path and class name that never change."""
        raw = base64.b64decode(serialize_provider(UserGroupMembersProvider()))
        names = [arg for _, arg, _ in pickletools.genops(raw) if isinstance(arg, str)]
        assert "cloudflare_user_groups.members" in names
        assert "UserGroupMembersProvider" in names
        assert len(raw) < 200
