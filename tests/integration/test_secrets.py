"""Credentials never show: in error messages, reprs, tracebacks, pickled errors, logs or the CLI.

Every error the client and the providers raise is provoked for real against the emulator, with a
token and with a Global API key, and searched for the secret (whole, and any 12 characters of it)
in every form a user or a log could see it. All logging, urllib3's included, is captured at DEBUG
over a full lifecycle with retries and refusals.
"""

from __future__ import annotations

import io
import logging
import pickle
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cloudflare_user_groups import cli
from cloudflare_user_groups._provider import Settings
from cloudflare_user_groups.client import CloudflareClient, Credentials, RetryPolicy
from cloudflare_user_groups.emulator import Emulator, Fault
from cloudflare_user_groups.errors import (
    APIStatusError,
    AuthenticationError,
    CloudflareError,
    CredentialsError,
    PermissionDeniedError,
)
from cloudflare_user_groups.member import UserGroupMemberProvider
from cloudflare_user_groups.members import UserGroupMembersProvider
from cloudflare_user_groups.pacing import Pacer
from tests.conftest import ACCOUNT_ID, Account, seed_account

SECRET_TOKEN = "tok-Zq8vN3xR7bK1mW5pL0sD9fH2jG4tY6uC"
SECRET_KEY = "9f3c2a7e5b1d4f8a6c0e2b4d6f8a1c3e5b7"
KEY_EMAIL = "admin@example.com"
WRONG_TOKEN = "tok-WrongWrongWrong-5h8k2m4n6p8r0t"
SECRETS = (SECRET_TOKEN, SECRET_KEY, WRONG_TOKEN)


def leaks(text: str) -> list[str]:
    """The secrets, or 12-character pieces of them, found in ``text``."""
    found = []
    for secret in SECRETS:
        pieces = {secret[i : i + 12] for i in range(len(secret) - 11)}
        found += [piece for piece in pieces if piece in text]
    return found


def test_leaks_finds_a_piece_of_a_secret() -> None:
    """Finds any 12 characters of a secret (so that the searches below can fail)."""
    assert leaks(f"Bearer {SECRET_TOKEN}") != []
    assert leaks(f"...{SECRET_KEY[5:17]}...") == [SECRET_KEY[5:17]]
    assert leaks(SECRET_KEY[:11]) == []


def every_form(error: BaseException) -> str:
    """Everything an error shows: message, repr, traceback with its causes, pickle and fields."""
    forms = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        pickle.dumps(error).decode("latin-1"),
        repr(error.args),
        repr(vars(error)),
    ]
    return "\n".join(forms)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[SECRET_TOKEN], api_keys={KEY_EMAIL: SECRET_KEY}) as emu:
        yield emu


@pytest.fixture
def world(emulator: Emulator) -> Account:
    return seed_account(emulator, members=3)


def make_client(emulator: Emulator, credentials: Credentials, deadline: float = 0.6) -> Any:
    return CloudflareClient(
        credentials,
        base_url=emulator.base_url,
        timeout=(0.5, 0.2),
        retry=RetryPolicy(deadline=deadline, initial_delay=0.01, max_delay=0.02),
        pacer=Pacer(),
    )


CREDENTIALS = {
    "api_token": Credentials("api_token", SECRET_TOKEN),
    "api_key": Credentials("api_key", SECRET_KEY, KEY_EMAIL),
}

# A failure to provoke, by name: the fault to inject (None: none) and the call that meets it.
FAILURES: dict[str, tuple[Fault | None, Callable[[Any, Account], object]]] = {
    "401": (
        Fault(status=401, code=10000, times=9),
        lambda c, w: c.list_group_members(w.account_id, w.user_group_id),
    ),
    "403 no permission": (
        Fault(status=403, code=9109, times=9),
        lambda c, w: c.add_group_members(w.account_id, w.user_group_id, [w.member_ids[0]]),
    ),
    "400 bad headers": (
        Fault(status=400, code=6003, times=9),
        lambda c, w: c.remove_group_member(w.account_id, w.user_group_id, w.member_ids[0]),
    ),
    "404": (None, lambda c, w: c.get_group_member(w.account_id, "0" * 32, w.member_ids[0])),
    "429": (
        Fault(status=429, retry_after="0", times=99),
        lambda c, w: c.get_user_group(w.account_id, w.user_group_id),
    ),
    "503": (
        Fault(status=503, times=99),
        lambda c, w: c.replace_group_members(w.account_id, w.user_group_id, []),
    ),
    "HTML 502": (
        Fault(status=502, kind="html", times=99),
        lambda c, w: c.list_account_members(w.account_id),
    ),
    "truncated": (
        Fault(kind="truncated", times=99),
        lambda c, w: c.create_user_group(w.account_id, "new"),
    ),
    "success false": (
        Fault(kind="success_false", times=99),
        lambda c, w: c.delete_user_group(w.account_id, w.user_group_id),
    ),
    "dropped": (
        Fault(kind="drop_after", times=99),
        lambda c, w: c.add_group_members(w.account_id, w.user_group_id, [w.member_ids[1]]),
    ),
    "timeout": (
        Fault(kind="delay", delay=0.5, times=99),
        lambda c, w: c.find_account_member_by_email(w.account_id, "nobody@example.com"),
    ),
}


class TestClientErrors:
    @pytest.mark.parametrize("kind", sorted(CREDENTIALS))
    @pytest.mark.parametrize("failure", sorted(FAILURES))
    def test_no_secret_in_any_form(
        self, emulator: Emulator, world: Account, kind: str, failure: str
    ) -> None:
        """Shows neither the token nor the key in any form of any error the client raises."""
        fault, call = FAILURES[failure]
        if fault is not None:
            emulator.inject(fault)
        with make_client(emulator, CREDENTIALS[kind]) as client:
            with pytest.raises(CloudflareError) as info:
                call(client, world)
            assert leaks(every_form(info.value)) == []
            assert leaks(repr(client)) == []

    def test_connection_refused(self) -> None:
        """Shows no secret when nothing listens at the base URL."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = CloudflareClient(
            CREDENTIALS["api_token"],
            base_url=f"http://127.0.0.1:{port}/client/v4",
            retry=RetryPolicy(deadline=0),
            pacer=Pacer(),
        )
        with pytest.raises(CloudflareError) as info:
            client.list_user_groups(ACCOUNT_ID)
        assert leaks(every_form(info.value)) == []

    @pytest.mark.parametrize("kind", sorted(CREDENTIALS))
    @pytest.mark.parametrize("status", [401, 403])
    def test_refusals_name_the_kind_and_the_fix(
        self, emulator: Emulator, world: Account, kind: str, status: int
    ) -> None:
        """Says which kind of credential was refused and how to fix it, without its value."""
        emulator.inject(Fault(status=status, code=10000, times=9))
        with (
            make_client(emulator, CREDENTIALS[kind]) as client,
            pytest.raises(APIStatusError) as info,
        ):
            client.list_user_groups(world.account_id)
        error = info.value
        assert isinstance(error, AuthenticationError if status == 401 else PermissionDeniedError)
        assert error.credential_kind == kind
        message = str(error)
        if kind == "api_token":
            assert "using an API token" in message
            assert '"Account Settings Read"' in message
        else:
            assert "using a Global API key" in message
            assert "check the key and its email" in message
        assert f"HTTP {status}" in message
        assert "[10000]" in message
        assert leaks(message) == []

    @pytest.mark.parametrize("kind", sorted(CREDENTIALS))
    @pytest.mark.parametrize("fault_kind", ["json", "success_false"])
    def test_a_secret_echoed_by_the_server_is_blanked(
        self, emulator: Emulator, world: Account, kind: str, fault_kind: str
    ) -> None:
        """Blanks the secret when an answer (or a proxy's) quotes it back in an error message."""
        credentials = CREDENTIALS[kind]
        emulator.inject(
            Fault(
                kind=fault_kind,
                status=400,
                code=6003,
                message=f"Invalid request headers: {credentials.secret!r} is not accepted",
                times=9,
            )
        )
        with make_client(emulator, credentials) as client, pytest.raises(APIStatusError) as info:
            client.list_user_groups(world.account_id)
        assert "[redacted]" in str(info.value)
        assert leaks(every_form(info.value)) == []

    def test_wrong_token_is_refused_without_showing_it(
        self, emulator: Emulator, world: Account
    ) -> None:
        """Names a refused token's kind, never its value."""
        wrong = Credentials("api_token", WRONG_TOKEN)
        with make_client(emulator, wrong) as client, pytest.raises(PermissionDeniedError) as info:
            client.list_user_groups(world.account_id)
        assert "using an API token" in str(info.value)
        assert leaks(every_form(info.value)) == []


class TestCredentialErrors:
    @pytest.mark.parametrize(
        ("values", "what"),
        [
            ({"api_token": SECRET_TOKEN[:10] + "\n" + SECRET_TOKEN[10:]}, "an HTTP header"),
            ({"api_token": SECRET_TOKEN[:10] + " " + SECRET_TOKEN[10:]}, "HTTP header"),
            ({"api_token": SECRET_TOKEN + "\u00e9"}, "HTTP header"),
            ({"api_token": SECRET_TOKEN + "\x00"}, "HTTP header"),
            ({"api_key": SECRET_KEY}, "needs its account email"),
            ({"api_key": SECRET_KEY[:8] + "\r\n" + SECRET_KEY[8:], "email": KEY_EMAIL}, "header"),
            ({"api_key": SECRET_KEY, "email": "a@b.co\nX-Leak: " + SECRET_KEY}, "HTTP header"),
        ],
    )
    def test_malformed_values_are_refused_unquoted(self, values: dict[str, str], what: str) -> None:
        """Refuses a malformed credential without quoting it."""
        with pytest.raises(CredentialsError, match=what) as info:
            Credentials.from_values(env={}, **values)
        assert leaks(every_form(info.value)) == []

    @pytest.mark.parametrize(
        "base_url",
        [
            f"ftp://user:{SECRET_KEY}@api.example.com/client/v4",
            f"user:{SECRET_KEY}@api.example.com",
            f"http://:{SECRET_KEY}@/client/v4",
            f"https://user:{SECRET_KEY}@api.example.com/client/v4",
            SECRET_TOKEN,  # a token pasted into the base URL setting
        ],
    )
    def test_a_bad_base_url_is_not_echoed_with_a_secret(self, base_url: str) -> None:
        """Refuses a malformed base URL without echoing a password or a misplaced token."""
        with pytest.raises(CloudflareError, match="base_url") as info:
            CloudflareClient(CREDENTIALS["api_token"], base_url=base_url, pacer=Pacer())
        assert leaks(every_form(info.value)) == []

    def test_reprs_hide_the_secrets(self) -> None:
        """Keeps secrets out of the repr of credentials, settings, clients and providers."""
        settings = Settings.resolve(
            {"cloudflare:apiToken": SECRET_TOKEN, "cloudflare:apiKey": SECRET_KEY}, {}
        )
        provider = UserGroupMemberProvider()
        provider.configure(
            ConfigureRequest(
                Config(
                    {"cloudflare:apiToken": SECRET_TOKEN, "cloudflare:baseUrl": "http://x.test"},
                    "test",
                )
            )
        )
        shown = [
            repr(CREDENTIALS["api_token"]),
            str(CREDENTIALS["api_key"]),
            CREDENTIALS["api_key"].describe(),
            repr(settings),
            repr(provider.client),
            repr(provider.client._auth),
            repr(vars(provider)),
        ]
        assert leaks("\n".join(shown)) == []


def lifecycle(emulator: Emulator, world: Account, config: dict[str, str]) -> list[str]:
    """Create, read, diff and delete both resources, with a retry and two refusals; the errors."""
    request = ConfigureRequest(Config(config, "test"))
    member, members = UserGroupMemberProvider(), UserGroupMembersProvider()
    member.configure(request)
    members.configure(request)
    errors: list[str] = []

    emulator.inject(Fault(method="POST", status=503))  # retried, with a warning
    created = member.create(member.check({}, {**world_ids(world), "email": world.emails[0]}).inputs)
    outs = created.outs or {}
    member.read(created.id, outs)
    member.delete(created.id, outs)

    inputs = members.check({}, {**world_ids(world), "member_ids": list(world.member_ids[:2])})
    group = members.create(inputs.inputs)
    members.diff(group.id, group.outs or {}, {**inputs.inputs, "member_ids": []})  # logs
    members.read(group.id, group.outs or {})
    members.delete(group.id, group.outs or {})

    for status in (401, 403):
        emulator.inject(Fault(status=status, code=10000, times=9))
        try:
            member.create({**world_ids(world), "member_id": world.member_ids[2]})
        except CloudflareError as error:
            logging.getLogger("test").exception("create failed")
            errors.append(every_form(error))
        emulator.clear_faults()
    return errors


def world_ids(world: Account) -> dict[str, str]:
    return {"account_id": world.account_id, "user_group_id": world.user_group_id}


class TestLogging:
    @pytest.mark.parametrize(
        "config",
        [
            {"cloudflare:apiToken": SECRET_TOKEN},
            {"cloudflare:apiKey": SECRET_KEY, "cloudflare:email": KEY_EMAIL},
        ],
        ids=["api_token", "api_key"],
    )
    def test_debug_logs_of_a_whole_lifecycle_hold_no_secret(
        self,
        emulator: Emulator,
        world: Account,
        config: dict[str, str],
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        """Logs nothing secret at DEBUG, urllib3 included, over a lifecycle with failures."""
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            errors = lifecycle(
                emulator,
                world,
                {
                    **config,
                    "cloudflare:baseUrl": emulator.base_url,
                    "cloudflare-user-groups:retryDeadline": "5",
                },
            )
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
        logged = stream.getvalue()
        out, err = capfd.readouterr()
        # The capture did see the traffic, the retry, the diff and both refusals.
        assert "urllib3.connectionpool" in logged
        assert "attempt 1 of 5 failed" in logged
        assert "the next update removes 2 member(s)" in logged
        assert logged.count("create failed") == 2
        assert len(errors) == 2
        kind = "using an API token" if "cloudflare:apiToken" in config else "using a Global API key"
        assert all(kind in error for error in errors)
        assert leaks(logged + out + err + "\n".join(errors)) == []


class TestCommandLine:
    @pytest.mark.parametrize(
        ("env", "fault"),
        [
            ({"CLOUDFLARE_API_TOKEN": SECRET_TOKEN}, Fault(status=401, code=10000, times=9)),
            (
                {"CLOUDFLARE_API_KEY": SECRET_KEY, "CLOUDFLARE_EMAIL": KEY_EMAIL},
                Fault(status=403, code=9109, times=9),
            ),
            ({"CLOUDFLARE_API_TOKEN": SECRET_TOKEN}, Fault(status=503, times=1)),
            ({"CLOUDFLARE_API_TOKEN": SECRET_TOKEN[:10] + " " + SECRET_TOKEN[10:]}, None),
            ({"CLOUDFLARE_API_KEY": SECRET_KEY}, None),
        ],
        ids=["token-401", "key-403", "token-503-retried", "token-malformed", "key-no-email"],
    )
    def test_output_holds_no_secret(
        self,
        emulator: Emulator,
        world: Account,
        monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str],
        env: dict[str, str],
        fault: Fault | None,
    ) -> None:
        """Prints no secret on stdout or stderr, whatever the outcome."""
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
        if fault is not None:
            emulator.inject(fault)
        for argv in (
            ["verify", "--account-id", world.account_id, "--group-id", world.user_group_id],
            [
                "members",
                "list",
                "--account-id",
                world.account_id,
                "--group-id",
                world.user_group_id,
            ],
            ["import", "--account-id", world.account_id, "--group-id", world.user_group_id],
        ):
            cli.main(argv)
        out, err = capfd.readouterr()
        assert out or err
        assert leaks(out + err) == []
