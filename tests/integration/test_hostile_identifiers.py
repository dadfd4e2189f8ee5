"""Hostile identifiers reach no server: every client operation refuses them before any request."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cloudflare_user_groups.client import CloudflareClient, Credentials
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.errors import InvalidInputError
from cloudflare_user_groups.pacing import Pacer
from tests.conftest import TOKEN

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"

HOSTILE: list[object] = [
    "../x",
    "../" * 10 + "accounts",
    "a/b",
    f"{A[:16]}/{A[16:]}",
    "%2F",
    A[:29] + "%2F",
    "?q=1",
    A[:28] + "?q=1",
    "#f",
    A[:30] + "#f",
    "\uff10" * 32,  # fullwidth zeros
    A[:31] + "\u0430",  # Cyrillic a
    A[:31] + "\u0435",  # Cyrillic e
    A[:31] + "\u00e9",
    A + "\n",
    " " + A,
    A + "\x00",
    A[:31],
    A + "0",
    "x" * 10_240,
    "",
    None,
    0,
    123,
    int(A[:30], 16),
    A.encode(),
    ["a"],
]

Operation = Callable[[CloudflareClient, object], object]

# (operation, argument name, call with the hostile value in that argument)
CASES: list[tuple[str, str, Operation]] = [
    ("list_group_members", "account_id", lambda c, v: c.list_group_members(v, G)),
    ("list_group_members", "user_group_id", lambda c, v: c.list_group_members(A, v)),
    ("get_group_member", "account_id", lambda c, v: c.get_group_member(v, G, M)),
    ("get_group_member", "user_group_id", lambda c, v: c.get_group_member(A, v, M)),
    ("get_group_member", "member_id", lambda c, v: c.get_group_member(A, G, v)),
    ("add_group_members", "account_id", lambda c, v: c.add_group_members(v, G, [M])),
    ("add_group_members", "user_group_id", lambda c, v: c.add_group_members(A, v, [M])),
    ("add_group_members", "member_ids[0]", lambda c, v: c.add_group_members(A, G, [v])),
    ("add_group_members", "member_ids[1]", lambda c, v: c.add_group_members(A, G, [M, v])),
    ("replace_group_members", "account_id", lambda c, v: c.replace_group_members(v, G, [M])),
    ("replace_group_members", "user_group_id", lambda c, v: c.replace_group_members(A, v, [M])),
    ("replace_group_members", "member_ids[0]", lambda c, v: c.replace_group_members(A, G, [v])),
    ("remove_group_member", "account_id", lambda c, v: c.remove_group_member(v, G, M)),
    ("remove_group_member", "user_group_id", lambda c, v: c.remove_group_member(A, v, M)),
    ("remove_group_member", "member_id", lambda c, v: c.remove_group_member(A, G, v)),
    ("list_user_groups", "account_id", lambda c, v: c.list_user_groups(v)),
    ("get_user_group", "account_id", lambda c, v: c.get_user_group(v, G)),
    ("get_user_group", "user_group_id", lambda c, v: c.get_user_group(A, v)),
    ("create_user_group", "account_id", lambda c, v: c.create_user_group(v, "name")),
    ("delete_user_group", "account_id", lambda c, v: c.delete_user_group(v, G)),
    ("delete_user_group", "user_group_id", lambda c, v: c.delete_user_group(A, v)),
    ("list_account_members", "account_id", lambda c, v: c.list_account_members(v)),
    ("get_account_member", "account_id", lambda c, v: c.get_account_member(v, M)),
    ("get_account_member", "member_id", lambda c, v: c.get_account_member(A, v)),
    (
        "find_account_member_by_email",
        "account_id",
        lambda c, v: c.find_account_member_by_email(v, "a@example.com"),
    ),
]


@pytest.fixture(scope="module")
def module_emu() -> Iterator[Emulator]:
    """One emulator for the whole module: no test may send it anything."""
    with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


@pytest.fixture
def client(module_emu: Emulator) -> Iterator[CloudflareClient]:
    """A client of the shared emulator, whose request log starts empty."""
    module_emu.reset_requests()
    credentials = Credentials("api_token", TOKEN)
    with CloudflareClient(credentials, base_url=module_emu.base_url, pacer=Pacer()) as made:
        yield made
    assert module_emu.request_count() == 0


def _label(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...len{len(text)}"


class TestHostileIdentifiers:
    @pytest.mark.parametrize("value", HOSTILE, ids=_label)
    @pytest.mark.parametrize(
        ("operation", "argument", "call"), CASES, ids=[f"{op}-{arg}" for op, arg, _ in CASES]
    )
    def test_refused_before_any_request(
        self,
        client: CloudflareClient,
        module_emu: Emulator,
        operation: str,
        argument: str,
        call: Operation,
        value: object,
    ) -> None:
        """Refuses the value with InvalidInputError naming the argument, and sends nothing."""
        with pytest.raises(InvalidInputError) as info:
            call(client, value)
        assert info.value.prop == argument
        assert argument in str(info.value)
        assert len(str(info.value)) < 400
        assert module_emu.request_count() == 0

    def test_every_public_operation_is_covered(self) -> None:
        """Covers every public client method that takes an identifier."""
        public = {
            name
            for name in dir(CloudflareClient)
            if not name.startswith("_") and callable(getattr(CloudflareClient, name))
        }
        assert public - {"close"} == {operation for operation, _, _ in CASES}


class TestHostileOtherArguments:
    @pytest.mark.parametrize("value", ["not-a-list", None, 5, [], {"id": M}, b"abc"], ids=_label)
    def test_member_ids_must_be_a_non_empty_list(
        self, client: CloudflareClient, module_emu: Emulator, value: object
    ) -> None:
        """Refuses a member_ids that is not a non-empty list of ids."""
        with pytest.raises(InvalidInputError) as info:
            client.add_group_members(A, G, value)  # type: ignore[arg-type]
        assert info.value.prop == "member_ids"
        assert module_emu.request_count() == 0

    @pytest.mark.parametrize(
        "value",
        [None, 5, "", "no-at-sign", "a@b@c.io", "../x@y.io\n", "a @b.io", "x" * 10_240 + "@a.io"],
        ids=_label,
    )
    def test_find_by_email_refuses_bad_emails(
        self, client: CloudflareClient, module_emu: Emulator, value: object
    ) -> None:
        """Refuses an implausible email before any request."""
        with pytest.raises(InvalidInputError) as info:
            client.find_account_member_by_email(A, value)  # type: ignore[arg-type]
        assert info.value.prop == "email"
        assert module_emu.request_count() == 0

    @pytest.mark.parametrize(
        "value", [None, 5, "", " padded", "line\nbreak", "nul\x00"], ids=_label
    )
    def test_create_refuses_bad_names(
        self, client: CloudflareClient, module_emu: Emulator, value: object
    ) -> None:
        """Refuses a missing, empty, padded or control-character group name."""
        with pytest.raises(InvalidInputError) as info:
            client.create_user_group(A, value)  # type: ignore[arg-type]
        assert info.value.prop == "name"
        assert module_emu.request_count() == 0

    @pytest.mark.parametrize(
        ("kwargs", "prop"),
        [
            ({"name": "\r\n"}, "name"),
            ({"fuzzy_name": 7}, "fuzzy_name"),
            ({"direction": "../asc"}, "direction"),
            ({"per_page": "500"}, "per_page"),
        ],
    )
    def test_list_user_group_options(
        self,
        client: CloudflareClient,
        module_emu: Emulator,
        kwargs: dict[str, object],
        prop: str,
    ) -> None:
        """Refuses hostile list options before any request."""
        with pytest.raises(InvalidInputError) as info:
            client.list_user_groups(A, **kwargs)  # type: ignore[arg-type]
        assert info.value.prop == prop
        assert module_emu.request_count() == 0

    def test_path_characters_in_names_stay_in_the_query(
        self, client: CloudflareClient, module_emu: Emulator
    ) -> None:
        """Escapes a name full of URL syntax so that it stays one query value."""
        assert client.list_user_groups(A, name="../x?y=1#z&page=9") == []
        request = module_emu.requests[-1]
        assert request.path == f"/accounts/{A}/iam/user_groups"
        assert request.query["name"] == "../x?y=1#z&page=9"
        assert request.query["page"] == "1"
        module_emu.reset_requests()
