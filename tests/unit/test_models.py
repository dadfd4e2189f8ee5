"""Unit tests for the value objects and the input checks of ``cloudflare_user_groups.models``."""

from __future__ import annotations

import string

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudflare_user_groups.errors import InvalidInputError
from cloudflare_user_groups.models import (
    MAX_EMAIL_LENGTH,
    AccountMember,
    GroupKey,
    GroupMember,
    GroupMemberDetail,
    MemberKey,
    User,
    UserGroup,
    is_identifier,
    validate_email,
    validate_identifier,
    validate_name,
)

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"

hex_ids = st.text(alphabet="0123456789abcdefABCDEF", min_size=32, max_size=32)


class TestIsIdentifier:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (A, True),
            (A.upper(), True),
            (A[:-1], False),
            (A + "0", False),
            ("g" * 32, False),
            ("", False),
            (None, False),
            (12345678901234567890123456789012, False),
            (A.encode(), False),
            ("\uff10" * 32, False),  # fullwidth digits are not hex
            (A[:-1] + "\n", False),
            (" " + A[1:], False),
        ],
    )
    def test_table(self, value: object, expected: bool) -> None:
        """Accepts exactly 32 ASCII hex characters of type str, and nothing else."""
        assert is_identifier(value) is expected

    def test_alphabet_is_ascii_hex(self) -> None:
        """Accepts every ASCII hex digit in both cases and no other ASCII character."""
        for char in string.printable:
            assert is_identifier(char * 32) is (char in string.hexdigits)


class TestValidateIdentifier:
    @given(hex_ids)
    def test_accepts_and_lower_cases_hex(self, value: str) -> None:
        """Returns any 32-hex string lower-cased."""
        assert validate_identifier(value, "member_id") == value.lower()

    @given(st.text(max_size=40).filter(lambda v: not is_identifier(v)))
    def test_rejects_every_other_string(self, value: str) -> None:
        """Rejects any string that is not 32 hex characters, naming the property."""
        with pytest.raises(InvalidInputError) as info:
            validate_identifier(value, "member_id")
        assert info.value.prop == "member_id"

    @pytest.mark.parametrize(
        ("value", "rule"),
        [
            (None, "is required"),
            (42, "must be a string, not int"),
            ("", "must not be empty"),
            ("../x", "must be exactly 32 hexadecimal characters (0-9, a-f)"),
        ],
    )
    def test_rules(self, value: object, rule: str) -> None:
        """States the rule that the value breaks."""
        with pytest.raises(InvalidInputError) as info:
            validate_identifier(value, "account_id")
        assert info.value.rule == rule
        assert str(info.value).startswith(f"invalid account_id: {rule}")


class TestValidateEmail:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("Jane.Doe@Example.COM", "jane.doe@example.com"),
            ("a@b.co", "a@b.co"),
            ("first+tag@sub.example.org", "first+tag@sub.example.org"),
            ("ünïcode@exämple.de", "ünïcode@exämple.de"),
        ],
    )
    def test_accepts_plausible_addresses(self, value: str, expected: str) -> None:
        """Accepts plausible addresses and lower-cases them."""
        assert validate_email(value) == expected

    @pytest.mark.parametrize(
        ("value", "rule_part"),
        [
            (None, "is required"),
            (7, "must be a string"),
            ("", "must not be empty"),
            (" a@b.co", "must not start or end with whitespace"),
            ("a@b.co\n", "must not start or end with whitespace"),
            ("a b@c.co", "whitespace or control characters"),
            ("a\x00@b.co", "whitespace or control characters"),
            ("a\u200b@b.co", "whitespace or control characters"),
            ("ab.co", "exactly one @"),
            ("a@b@c.co", "exactly one @"),
            ("@b.co", "a name before the @"),
            ("a@localhost", "a domain with a dot"),
            ("a@.co", "a domain with a dot"),
            ("a@b.", "a domain with a dot"),
            ("a@b..co", "a domain with a dot"),
            ("a@", "a domain with a dot"),
        ],
    )
    def test_rejects_implausible_values(self, value: object, rule_part: str) -> None:
        """Rejects implausible values and names the property and the rule."""
        with pytest.raises(InvalidInputError) as info:
            validate_email(value, "email")
        assert info.value.prop == "email"
        assert rule_part in info.value.rule

    def test_length_limit(self) -> None:
        """Accepts exactly 90 characters and rejects 91."""
        domain = "@example.com"
        at_limit = "a" * (MAX_EMAIL_LENGTH - len(domain)) + domain
        assert validate_email(at_limit) == at_limit
        with pytest.raises(InvalidInputError) as info:
            validate_email("a" + at_limit)
        assert info.value.rule == "must be at most 90 characters"


class TestValidateName:
    def test_returns_name_unchanged(self) -> None:
        """Keeps case and inner spaces of a valid name."""
        assert validate_name("Platform Admins") == "Platform Admins"

    @pytest.mark.parametrize("value", [None, 3, "", " x", "x ", "a\nb", "a\x00b"])
    def test_rejects(self, value: object) -> None:
        """Rejects missing, empty, padded and control-character names."""
        with pytest.raises(InvalidInputError) as info:
            validate_name(value, "name")
        assert info.value.prop == "name"


class TestMemberKey:
    def test_lower_cases_and_builds_id(self) -> None:
        """Lower-cases each part and joins them into the composite id."""
        key = MemberKey(A.upper(), G, M.upper())
        assert (key.account_id, key.user_group_id, key.member_id) == (A, G, M)
        assert key.id == f"{A}/{G}/{M}"
        assert str(key) == key.id
        assert key.group == GroupKey(A, G)

    @pytest.mark.parametrize("field", ["account_id", "user_group_id", "member_id"])
    def test_invalid_part_names_the_field(self, field: str) -> None:
        """Names the field that is not a valid identifier."""
        values = {"account_id": A, "user_group_id": G, "member_id": M, field: "nope"}
        with pytest.raises(InvalidInputError) as info:
            MemberKey(**values)
        assert info.value.prop == field

    def test_is_frozen(self) -> None:
        """Refuses to change after creation."""
        key = MemberKey(A, G, M)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            key.member_id = A  # type: ignore[misc]

    @given(hex_ids, hex_ids, hex_ids)
    def test_parse_round_trips(self, account_id: str, user_group_id: str, member_id: str) -> None:
        """Parses any valid composite id back into the same key."""
        key = MemberKey.parse(f"{account_id}/{user_group_id}/{member_id}")
        assert key == MemberKey(account_id, user_group_id, member_id)
        assert MemberKey.parse(key.id) == key

    @pytest.mark.parametrize(
        "value",
        [
            "a/b/c",
            f"{A}/{G}",
            f"{A}/{G}/{M}/",
            f"{A}/{G}/{M}/{M}",
            f"/{A}/{G}/{M}",
            f"{A}//{M}",
            f"{A}/{G}/{M[:-1]}",
            "",
            None,
            123,
        ],
    )
    def test_parse_errors_show_the_form(self, value: object) -> None:
        """Shows the expected form in every parse error."""
        with pytest.raises(InvalidInputError) as info:
            MemberKey.parse(value)
        assert "<account_id>/<user_group_id>/<member_id>" in str(info.value)
        assert "<account_id>/<user_group_id>/<member_id>" in info.value.rule
        assert info.value.prop == "id"

    def test_parse_names_the_bad_part(self) -> None:
        """Says which part of the composite id is wrong, under a caller-chosen property name."""
        with pytest.raises(InvalidInputError) as info:
            MemberKey.parse(f"{A}/{G}/zz", prop="import_id")
        assert info.value.prop == "import_id"
        assert "<member_id> must be exactly 32 hexadecimal characters" in info.value.rule


class TestGroupKey:
    def test_parse_and_id(self) -> None:
        """Parses ``<account_id>/<user_group_id>`` and lower-cases it."""
        key = GroupKey.parse(f"{A.upper()}/{G}")
        assert key.id == f"{A}/{G}"

    @pytest.mark.parametrize("value", ["x", f"{A}/{G}/{M}", f"{A}/", None])
    def test_parse_errors_show_the_form(self, value: object) -> None:
        """Shows the expected form in parse errors."""
        with pytest.raises(InvalidInputError) as info:
            GroupKey.parse(value)
        assert "<account_id>/<user_group_id>" in info.value.rule


class TestFromApi:
    def test_group_member(self) -> None:
        """Reads a group member, lower-casing its id and ignoring unknown fields."""
        member = GroupMember.from_api(
            {"id": M.upper(), "email": "a@b.co", "status": "accepted", "extra": 1}
        )
        assert member == GroupMember(M, "a@b.co", "accepted")

    def test_group_member_detail_with_user(self) -> None:
        """Reads the detailed member with its user and created_at."""
        detail = GroupMemberDetail.from_api(
            {
                "id": M,
                "email": "a@b.co",
                "status": "pending",
                "created_at": "2026-01-01T00:00:00Z",
                "user": {"id": A, "email": "a@b.co", "first_name": "A", "last_name": None},
            }
        )
        assert detail.user == User(A, "a@b.co", "A", None)
        assert detail.created_at == "2026-01-01T00:00:00Z"

    def test_user_group(self) -> None:
        """Reads a user group."""
        group = UserGroup.from_api(
            {"id": G, "name": "Admins", "created_on": "c", "modified_on": "m", "policies": []}
        )
        assert group == UserGroup(G, "Admins", "c", "m")

    def test_account_member_email_falls_back_to_user(self) -> None:
        """Takes the account member's email from its user when the member has none."""
        member = AccountMember.from_api(
            {"id": M, "status": "accepted", "user": {"id": A, "email": "u@x.io"}}
        )
        assert member.email == "u@x.io"
        assert member.user is not None and member.user.id == A

    @pytest.mark.parametrize(
        ("reader", "data"),
        [
            (GroupMember.from_api, {"email": "a@b.co"}),
            (GroupMember.from_api, {"id": 5}),
            (GroupMember.from_api, {"id": M, "email": ["x"]}),
            (GroupMember.from_api, [M]),
            (GroupMemberDetail.from_api, {"id": M, "user": "x"}),
            (UserGroup.from_api, {"id": G}),
            (AccountMember.from_api, None),
        ],
    )
    def test_bad_shapes_raise_value_error(self, reader: object, data: object) -> None:
        """Raises ValueError when a required field is missing or a field has the wrong type."""
        with pytest.raises(ValueError, match=r"\w"):
            reader(data)  # type: ignore[operator]
