"""Unit tests for credentials and client construction: sources, validation and secrecy."""

from __future__ import annotations

import pickle

import pytest
import requests

from cloudflare_user_groups import pacing
from cloudflare_user_groups.client import (
    DEFAULT_BASE_URL,
    USER_AGENT,
    CloudflareClient,
    Credentials,
    RetryPolicy,
)
from cloudflare_user_groups.errors import CredentialsError, InvalidInputError

TOKEN = "tok_SECRET_abcdefghijklmnopqrstuvwxyz0123"
KEY = "key_SECRET_0123456789abcdef0123456789"


class TestCredentialsFromValues:
    @pytest.mark.parametrize(
        ("kwargs", "env", "expected"),
        [
            ({"api_token": TOKEN}, {}, ("api_token", TOKEN, None)),
            ({"api_token": f"  {TOKEN}\n"}, {}, ("api_token", TOKEN, None)),
            (
                {"api_token": TOKEN, "api_key": KEY, "email": "a@b.co"},
                {},
                ("api_token", TOKEN, None),
            ),
            ({"api_key": KEY, "email": "a@b.co"}, {}, ("api_key", KEY, "a@b.co")),
            ({"api_key": KEY}, {"CLOUDFLARE_EMAIL": "env@b.co"}, ("api_key", KEY, "env@b.co")),
            ({}, {"CLOUDFLARE_API_TOKEN": TOKEN}, ("api_token", TOKEN, None)),
            (
                {},
                {"CLOUDFLARE_API_KEY": KEY, "CLOUDFLARE_EMAIL": "env@b.co"},
                ("api_key", KEY, "env@b.co"),
            ),
            (
                {},
                {
                    "CLOUDFLARE_API_TOKEN": TOKEN,
                    "CLOUDFLARE_API_KEY": KEY,
                    "CLOUDFLARE_EMAIL": "e@b.co",
                },
                ("api_token", TOKEN, None),
            ),
            ({"api_token": ""}, {"CLOUDFLARE_API_TOKEN": TOKEN}, ("api_token", TOKEN, None)),
            (
                {"api_key": KEY, "email": "a@b.co"},
                {"CLOUDFLARE_API_TOKEN": "x" * 40},
                ("api_key", KEY, "a@b.co"),
            ),
        ],
    )
    def test_sources(
        self, kwargs: dict[str, str], env: dict[str, str], expected: tuple[str, str, str | None]
    ) -> None:
        """Prefers explicit values, then the environment, and a token over a key."""
        credentials = Credentials.from_values(**kwargs, env=env)
        assert (credentials.kind, credentials.secret, credentials.email) == expected

    def test_nothing_configured_names_both_ways(self) -> None:
        """Names the token and the key variables, and the Pulumi config, when nothing is set."""
        with pytest.raises(CredentialsError) as info:
            Credentials.from_values(env={})
        text = str(info.value)
        for name in (
            "CLOUDFLARE_API_TOKEN",
            "CLOUDFLARE_API_KEY",
            "CLOUDFLARE_EMAIL",
            "cloudflare:apiToken",
        ):
            assert name in text

    @pytest.mark.parametrize(
        ("kwargs", "env", "needle"),
        [
            ({"api_key": KEY}, {}, "needs its account email"),
            ({}, {"CLOUDFLARE_API_KEY": KEY}, "needs its account email"),
            ({"email": "a@b.co"}, {}, "an email is set but no API key"),
            ({}, {"CLOUDFLARE_EMAIL": "a@b.co"}, "an email is set but no API key"),
        ],
    )
    def test_incomplete_pairs(
        self, kwargs: dict[str, str], env: dict[str, str], needle: str
    ) -> None:
        """Says what is missing from an incomplete key and email pair."""
        with pytest.raises(CredentialsError, match=needle):
            Credentials.from_values(**kwargs, env=env)

    @pytest.mark.parametrize(
        "bad", [f"{TOKEN[:10]} {TOKEN[10:]}", f"{TOKEN}\r\nX-Evil: 1", TOKEN + "é"]
    )
    def test_header_unsafe_values_are_refused_unquoted(self, bad: str) -> None:
        """Refuses a value that cannot be a header, without quoting it."""
        with pytest.raises(CredentialsError) as info:
            Credentials.from_values(api_token=bad, env={})
        assert TOKEN[:10] not in str(info.value)
        assert "HTTP header" in str(info.value)

    def test_non_string_is_refused(self) -> None:
        """Refuses a non-string value."""
        with pytest.raises(CredentialsError, match="must be a string"):
            Credentials.from_values(api_token=123, env={})  # type: ignore[arg-type]


class TestCredentials:
    def test_repr_hides_the_secret(self) -> None:
        """Shows the kind and email but never the secret."""
        token = Credentials("api_token", TOKEN)
        key = Credentials("api_key", KEY, "me@x.io")
        assert TOKEN not in repr(token) and TOKEN not in str(token)
        assert KEY not in repr(key)
        assert "me@x.io" in repr(key)

    def test_describe(self) -> None:
        """Describes the kind without the value."""
        assert Credentials("api_token", TOKEN).describe() == "API token"
        assert Credentials("api_key", KEY, "me@x.io").describe() == "API key for me@x.io"

    def test_headers(self) -> None:
        """Builds the Bearer header or the email and key pair."""
        assert Credentials("api_token", TOKEN).headers() == {"Authorization": f"Bearer {TOKEN}"}
        assert Credentials("api_key", KEY, "me@x.io").headers() == {
            "X-Auth-Email": "me@x.io",
            "X-Auth-Key": KEY,
        }

    def test_fingerprint(self) -> None:
        """Tells credentials apart by a short hash that does not contain the secret."""
        first = Credentials("api_token", TOKEN).fingerprint
        assert first == Credentials("api_token", TOKEN).fingerprint
        assert first != Credentials("api_token", TOKEN + "x").fingerprint
        assert first != Credentials("api_key", TOKEN, "a@b.co").fingerprint
        assert len(first) == 16
        assert TOKEN not in first

    def test_kind_is_checked(self) -> None:
        """Refuses an unknown kind."""
        with pytest.raises(ValueError):
            Credentials("password", TOKEN)  # type: ignore[arg-type]

    def test_empty_secret_is_refused(self) -> None:
        """Refuses an empty secret."""
        with pytest.raises(CredentialsError, match="is empty"):
            Credentials("api_token", "")


class TestClientConstruction:
    def test_base_url_sources(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Takes the base URL from the argument, else CLOUDFLARE_BASE_URL, else the default."""
        credentials = Credentials("api_token", TOKEN)
        pacer = pacing.Pacer()
        monkeypatch.delenv("CLOUDFLARE_BASE_URL", raising=False)
        assert CloudflareClient(credentials, pacer=pacer).base_url == DEFAULT_BASE_URL
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4/")
        assert CloudflareClient(credentials, pacer=pacer).base_url == "http://127.0.0.1:9/client/v4"
        explicit = CloudflareClient(credentials, base_url="https://x.example/v4", pacer=pacer)
        assert explicit.base_url == "https://x.example/v4"

    def test_credentials_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Reads credentials from the environment when none are given."""
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
        client = CloudflareClient(pacer=pacing.Pacer())
        assert client.credentials == Credentials("api_token", TOKEN)

    def test_missing_credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Raises CredentialsError when nothing is configured."""
        for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(CredentialsError):
            CloudflareClient()

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://x.example",
            "api.cloudflare.com",
            "https://",
            "https://u:p@x.example",
            "https://x/?a=1",
            5,
        ],
    )
    def test_invalid_base_url(self, url: object) -> None:
        """Refuses a base URL that is not a plain http(s) URL, without echoing credentials."""
        with pytest.raises(InvalidInputError) as info:
            CloudflareClient(Credentials("api_token", TOKEN), base_url=url)  # type: ignore[arg-type]
        assert info.value.prop == "base_url"
        assert "u:p" not in str(info.value)

    @pytest.mark.parametrize("timeout", [(0, 1), (1, -1), (1,), 5, (1, float("inf")), (True, 1)])
    def test_invalid_timeout(self, timeout: object) -> None:
        """Refuses timeouts that are not two positive numbers."""
        with pytest.raises(InvalidInputError) as info:
            CloudflareClient(Credentials("api_token", TOKEN), timeout=timeout)  # type: ignore[arg-type]
        assert info.value.prop == "timeout"

    def test_shared_pacer_by_default(self) -> None:
        """Shares one pacer between clients of the same credentials and base URL."""
        credentials = Credentials("api_token", TOKEN + "shared")
        first = CloudflareClient(credentials, base_url="https://pacing.example/v4")
        second = CloudflareClient(credentials, base_url="https://pacing.example/v4")
        other = CloudflareClient(credentials, base_url="https://other.example/v4")
        assert first.pacer is second.pacer
        assert other.pacer is not first.pacer

    def test_settings_are_exposed(self) -> None:
        """Exposes the retry policy and keeps the repr free of secrets."""
        policy = RetryPolicy(max_attempts=2, deadline=1.0)
        client = CloudflareClient(
            Credentials("api_token", TOKEN), retry=policy, pacer=pacing.Pacer()
        )
        assert client.retry is policy
        assert TOKEN not in repr(client)

    def test_context_manager_closes(self) -> None:
        """Closes its sessions when used as a context manager."""
        closed: list[bool] = []

        class Session(requests.Session):
            def close(self) -> None:
                closed.append(True)
                super().close()

        with CloudflareClient(
            Credentials("api_token", TOKEN), pacer=pacing.Pacer(), session_factory=Session
        ) as client:
            client._session()  # a session exists once a request was made
        assert closed == [True]

    def test_user_agent(self) -> None:
        """Names the package version and the requests version."""
        assert USER_AGENT.startswith("pulumi-cloudflare-user-groups/0.")
        assert f"python-requests/{requests.__version__}" in USER_AGENT

    def test_pickled_credentials_keep_the_secret_hidden(self) -> None:
        """Round-trips credentials through pickle and still hides the secret in the repr."""
        copy = pickle.loads(pickle.dumps(Credentials("api_token", TOKEN)))
        assert copy.secret == TOKEN
        assert TOKEN not in repr(copy)
