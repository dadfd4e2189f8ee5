"""Hostile input against both providers' Check: each value fails on its property, with no request.

The providers are configured against a live emulator so that any request would be seen; none may
be. Property-based tests (hypothesis) then cover what the lists cannot: any text that is not 32
hexadecimal characters fails, any that is passes lower-cased, and MemberKey.parse never accepts a
malformed id or raises anything but InvalidInputError.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckResult, Config, ConfigureRequest

from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.errors import InvalidInputError
from cloudflare_user_groups.member import UserGroupMemberProvider, check_member_inputs
from cloudflare_user_groups.members import UserGroupMembersProvider, check_members_inputs
from cloudflare_user_groups.models import GroupKey, MemberKey, validate_email
from tests.conftest import TOKEN
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

HEX32 = re.compile(r"[0-9a-fA-F]{32}")
# Values only a Python program (not the engine) can pass: bytes and lone surrogates.
PYTHON_ONLY: list[object] = [A.encode(), bytearray(A.encode()), A[:-1] + "\ud800", object()]

Providers = tuple[UserGroupMemberProvider, UserGroupMembersProvider]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[TOKEN]) as emu:
        yield emu


@pytest.fixture(scope="module")
def providers(emulator: Emulator) -> Providers:
    """Both providers, configured with credentials for the emulator."""
    config = ConfigureRequest(
        Config({"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": emulator.base_url}, "test")
    )
    member, members = UserGroupMemberProvider(), UserGroupMembersProvider()
    member.configure(config)
    members.configure(config)
    return member, members


def failed(result: CheckResult) -> set[str]:
    return {failure.property for failure in result.failures}


def member_news(**change: object) -> dict[str, Any]:
    return {"account_id": A, "user_group_id": G, "member_id": M, **change}


def members_news(**change: object) -> dict[str, Any]:
    return {"account_id": A, "user_group_id": G, "member_ids": [M], **change}


def assert_refused(
    result: CheckResult, prop: str, emulator: Emulator, also: set[str] | None = None
) -> None:
    """One failure names ``prop`` (and perhaps ``also``), with a reason, and nothing was sent."""
    assert prop in failed(result)
    assert failed(result) <= {prop} | (also or set())
    assert all(failure.reason for failure in result.failures)
    assert emulator.request_count() == 0


class TestUserGroupMember:
    def test_valid_inputs_pass(self, providers: Providers, emulator: Emulator) -> None:
        """Accepts the baseline the other tests spoil one property of."""
        result = providers[0].check({}, member_news(import_id=f"{A}/{G}/{M}"))
        assert result.failures == []
        assert emulator.request_count() == 0

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id", "member_id"])
    @pytest.mark.parametrize("value", [*IDENTIFIERS, *PYTHON_ONLY], ids=show)
    def test_identifier(
        self, providers: Providers, emulator: Emulator, prop: str, value: object
    ) -> None:
        """Refuses a hostile identifier on its property."""
        assert_refused(providers[0].check({}, member_news(**{prop: value})), prop, emulator)

    @pytest.mark.parametrize("value", [*EMAILS, *PYTHON_ONLY], ids=show)
    def test_email(self, providers: Providers, emulator: Emulator, value: object) -> None:
        """Refuses a hostile email on the email property."""
        news = member_news(member_id=None, email=value)
        assert_refused(providers[0].check({}, news), "email", emulator)

    @pytest.mark.parametrize("value", member_import_ids(), ids=show)
    def test_import_id(self, providers: Providers, emulator: Emulator, value: object) -> None:
        """Refuses a hostile import_ id on import_id."""
        assert_refused(providers[0].check({}, member_news(import_id=value)), "import_id", emulator)

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id"])
    def test_required_identifier_missing(
        self, providers: Providers, emulator: Emulator, prop: str
    ) -> None:
        """Refuses None where an identifier is required."""
        assert_refused(providers[0].check({}, member_news(**{prop: None})), prop, emulator)

    def test_neither_member_id_nor_email(self, providers: Providers, emulator: Emulator) -> None:
        """Refuses a membership that names no member, on member_id."""
        news = member_news(member_id=None, email=None)
        assert_refused(providers[0].check({}, news), "member_id", emulator)

    @pytest.mark.parametrize("value", ["a/b@example.com", "a%2Fb@example.com", "a?b#c@example.com"])
    def test_rfc_specials_in_the_name_are_valid_and_stay_out_of_urls(
        self, account_emulator: Emulator, value: str
    ) -> None:
        """Accepts RFC 5322 specials before the @, and never puts an email in a URL."""
        provider = UserGroupMemberProvider()
        provider.configure(
            ConfigureRequest(
                Config(
                    {"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": account_emulator.base_url},
                    "test",
                )
            )
        )
        group = account_emulator.create_user_group(A, "specials")["id"]
        account_emulator.add_account_member(A, value)
        result = provider.check({}, {"account_id": A, "user_group_id": group, "email": value})
        assert result.failures == []
        created = provider.create(result.inputs)
        assert (created.outs or {})["email"] == value.lower()
        for request in account_emulator.requests:
            assert "@" not in request.path
            assert not any("@" in item for item in request.query.values())


@pytest.fixture
def account_emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[TOKEN]) as emu:
        yield emu


class TestUserGroupMembers:
    def test_valid_inputs_pass(self, providers: Providers, emulator: Emulator) -> None:
        """Accepts the baseline the other tests spoil one property of."""
        news = members_news(emails=[EMAIL], import_id=f"{A}/{G}")
        assert providers[1].check({}, news).failures == []
        assert emulator.request_count() == 0

    @pytest.mark.parametrize("prop", ["account_id", "user_group_id"])
    @pytest.mark.parametrize("value", [*IDENTIFIERS, *PYTHON_ONLY], ids=show)
    def test_identifier(
        self, providers: Providers, emulator: Emulator, prop: str, value: object
    ) -> None:
        """Refuses a hostile identifier on its property."""
        assert_refused(providers[1].check({}, members_news(**{prop: value})), prop, emulator)

    @pytest.mark.parametrize("value", [*IDENTIFIERS, *PYTHON_ONLY, None], ids=show)
    def test_member_ids_item(self, providers: Providers, emulator: Emulator, value: object) -> None:
        """Refuses a hostile item of member_ids, first or after a valid one, naming its index."""
        for items, index in (([value], 0), ([M, value], 1)):
            result = providers[1].check({}, members_news(member_ids=items))
            assert_refused(result, "member_ids", emulator)
            assert f"member_ids[{index}]" in result.failures[0].reason

    @pytest.mark.parametrize("value", [*EMAILS, *PYTHON_ONLY, None], ids=show)
    def test_emails_item(self, providers: Providers, emulator: Emulator, value: object) -> None:
        """Refuses a hostile item of emails, naming its index."""
        result = providers[1].check({}, members_news(emails=[EMAIL, value]))
        assert_refused(result, "emails", emulator)
        assert "emails[1]" in result.failures[0].reason

    @pytest.mark.parametrize("prop", ["member_ids", "emails"])
    @pytest.mark.parametrize("value", LISTS, ids=show)
    def test_list_itself(
        self, providers: Providers, emulator: Emulator, prop: str, value: object
    ) -> None:
        """Refuses a member list that is not a list."""
        assert_refused(providers[1].check({}, members_news(**{prop: value})), prop, emulator)

    @pytest.mark.parametrize("value", group_import_ids(), ids=show)
    def test_import_id(self, providers: Providers, emulator: Emulator, value: object) -> None:
        """Refuses a hostile import_ id on import_id."""
        result = providers[1].check({}, members_news(import_id=value))
        assert_refused(result, "import_id", emulator)

    def test_no_member_list_at_all(self, providers: Providers, emulator: Emulator) -> None:
        """Refuses a declaration with neither member_ids nor emails, on member_ids."""
        news = members_news(member_ids=None)
        assert_refused(providers[1].check({}, news), "member_ids", emulator)


class TestEmailsThatStayValid:
    @pytest.mark.parametrize(
        "value",
        [
            "Jane.Doe@Example.COM",
            "o'brien+ops@sub.example.ie",
            "a/b=c?d#e%f@example.com",
            "\u00fcn\u00efcode@ex\u00e4mple.de",  # Latin with accents
            "\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
            "\u592a\u90ce@example.jp",  # Chinese characters beside Latin
            "\u5c71\u7530\u305f\u308d\u3046@example.jp",  # Han and Hiragana
            "x" * 78 + "@example.com",  # 90 characters
        ],
    )
    def test_real_addresses_pass(self, value: str) -> None:
        """Keeps accepting addresses people really have, in one script, lower-cased."""
        assert validate_email(value) == value.lower()


# Property-based tests.

HEX = "0123456789abcdefABCDEF"
not_an_identifier = st.one_of(
    st.text(),
    st.text(alphabet=HEX, min_size=30, max_size=34),
    st.text(alphabet=HEX + "/.%?#\\ \x00\u0430\uff10", min_size=32, max_size=32),
).filter(lambda text: HEX32.fullmatch(text) is None)
identifier = st.text(alphabet=HEX, min_size=32, max_size=32)


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(
        prop=st.sampled_from(["account_id", "user_group_id", "member_id"]),
        value=not_an_identifier,
    )
    def test_anything_but_32_hex_fails_on_its_property(self, prop: str, value: str) -> None:
        """Fails any text that is not 32 hexadecimal characters, on that property only."""
        assert failed(check_member_inputs(member_news(**{prop: value}))) == {prop}

    @settings(max_examples=200, deadline=None)
    @given(value=not_an_identifier)
    def test_anything_but_32_hex_fails_in_member_ids(self, value: str) -> None:
        """Fails any member_ids item that is not 32 hexadecimal characters."""
        assert failed(check_members_inputs(members_news(member_ids=[M, value]))) == {"member_ids"}

    @settings(max_examples=200, deadline=None)
    @given(account_id=identifier, user_group_id=identifier, member_id=identifier)
    def test_any_32_hex_passes_lower_cased(
        self, account_id: str, user_group_id: str, member_id: str
    ) -> None:
        """Passes any 32 hexadecimal characters, in either case, and lower-cases them."""
        news = {"account_id": account_id, "user_group_id": user_group_id, "member_id": member_id}
        result = check_member_inputs(news)
        assert result.failures == []
        assert result.inputs == {key: value.lower() for key, value in news.items()}
        listed = check_members_inputs(
            {"account_id": account_id, "user_group_id": user_group_id, "member_ids": [member_id]}
        )
        assert listed.failures == []
        assert listed.inputs["member_ids"] == [member_id.lower()]

    @settings(max_examples=200, deadline=None)
    @given(parts=st.tuples(identifier, identifier, identifier))
    def test_member_key_round_trips(self, parts: tuple[str, str, str]) -> None:
        """Parses any well-formed key to its lower-cased parts and prints it back."""
        key = MemberKey.parse("/".join(parts))
        assert (key.account_id, key.user_group_id, key.member_id) == tuple(
            part.lower() for part in parts
        )
        assert MemberKey.parse(key.id) == key
        assert key.group == GroupKey.parse(f"{key.account_id}/{key.user_group_id}")

    @settings(max_examples=400, deadline=None)
    @given(
        value=st.one_of(
            st.text(),
            st.text(alphabet=HEX + "/", min_size=96, max_size=100),
            st.lists(st.one_of(identifier, not_an_identifier), min_size=1, max_size=4).map(
                "/".join
            ),
            st.none(),
            st.integers(),
            st.floats(),
            st.booleans(),
            st.lists(st.text(), max_size=3),
        )
    )
    def test_member_key_parse_refuses_anything_else(self, value: object) -> None:
        """Refuses anything but three 32-hex parts, only ever with InvalidInputError on id."""
        well_formed = isinstance(value, str) and re.fullmatch(
            r"[0-9a-fA-F]{32}/[0-9a-fA-F]{32}/[0-9a-fA-F]{32}", value
        )
        try:
            key = MemberKey.parse(value)
        except InvalidInputError as error:
            assert not well_formed
            assert error.prop == "id"
            assert "<account_id>/<user_group_id>/<member_id>" in error.rule
        else:
            assert well_formed
            assert key.id == str(value).lower()

    @settings(max_examples=300, deadline=None)
    @given(value=st.text(max_size=120))
    def test_email_check_never_raises_and_lower_cases(self, value: str) -> None:
        """Refuses with a failure on email, or returns the address lower-cased: never raises."""
        result = check_member_inputs(member_news(member_id=None, email=value))
        if result.failures:
            assert failed(result) == {"email"}
        else:
            assert result.inputs["email"] == value.lower()
            assert value.count("@") == 1
            assert not any(ch.isspace() or ord(ch) < 32 for ch in value)

    @settings(max_examples=200, deadline=None)
    @given(
        name=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10),
        at=st.integers(min_value=0, max_value=9),
        look_alike=st.sampled_from("\u0430\u0435\u043e\u0440\u0441\u0445\u03bf\u03c1\uff41"),
    )
    def test_a_look_alike_letter_is_refused(self, name: str, at: int, look_alike: str) -> None:
        """Refuses a Latin address with one Cyrillic, Greek or fullwidth look-alike in it."""
        address = f"{name}@example.com"
        spoofed = address[: at % len(address)] + look_alike + address[at % len(address) + 1 :]
        if spoofed.count("@") != 1:
            return  # the look-alike replaced the @: refused as well, for another reason
        with pytest.raises(InvalidInputError) as info:
            validate_email(spoofed)
        assert info.value.prop == "email"
