"""The pickled provider is part of every stack's state: pin its module path and keep it clean."""

from __future__ import annotations

import base64
import pickletools

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from cloudflare_user_groups.client import CloudflareClient, Credentials
from cloudflare_user_groups.member import UserGroupMember, UserGroupMemberProvider
from cloudflare_user_groups.members import UserGroupMembers, UserGroupMembersProvider
from tests.host.harness import captured_registration

SECRET = "tok-super-secret-value-123456"
KEY = "key-super-secret-value-654321"


def configured() -> UserGroupMemberProvider:
    provider = UserGroupMemberProvider()
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "cloudflare:apiToken": SECRET,
                    "cloudflare:apiKey": KEY,
                    "cloudflare:email": "ops@example.com",
                    "cloudflare:baseUrl": "http://127.0.0.1:9/client/v4",
                },
                "test",
            )
        )
    )
    return provider


def globals_in(blob: str) -> list[str]:
    """The module and class names a pickle refers to."""
    names = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(blob)):
        if opcode.name in {"SHORT_BINUNICODE", "BINUNICODE", "UNICODE"} and isinstance(arg, str):
            names.append(arg)
    return names


class TestProviderPickle:
    @pytest.mark.parametrize(
        ("provider_class", "module", "name"),
        [
            (UserGroupMemberProvider, "cloudflare_user_groups.member", "UserGroupMemberProvider"),
            (
                UserGroupMembersProvider,
                "cloudflare_user_groups.members",
                "UserGroupMembersProvider",
            ),
        ],
    )
    def test_module_path_is_pinned(self, provider_class: type, module: str, name: str) -> None:
        """Pickles the provider by reference to a module path that must never change."""
        names = globals_in(serialize_provider(provider_class()))
        assert module in names
        assert name in names

    def test_pickle_is_small_and_stable(self) -> None:
        """Pickles to the same short blob whether or not the provider was configured."""
        fresh = serialize_provider(UserGroupMemberProvider())
        assert serialize_provider(configured()) == fresh
        assert len(base64.b64decode(fresh)) < 200

    def test_no_credential_inside(self) -> None:
        """Keeps credentials and the client out of the pickle."""
        provider = configured()
        provider.client  # noqa: B018 - build the client so that it would be pickled if held
        raw = base64.b64decode(serialize_provider(provider))
        for secret in (SECRET, KEY, "ops@example.com", "127.0.0.1"):
            assert secret.encode() not in raw

    def test_not_secret_by_default(self) -> None:
        """Leaves the blob unencrypted in state, since it holds nothing secret."""
        assert UserGroupMemberProvider.serialize_as_secret_always is False


class TestPublicNames:
    def test_lazy_exports_resolve(self) -> None:
        """Resolves every public name of the package to the class it documents."""
        import cloudflare_user_groups

        for name in cloudflare_user_groups.__all__:
            assert getattr(cloudflare_user_groups, name) is not None
        assert cloudflare_user_groups.UserGroupMembersProvider is UserGroupMembersProvider


def traces(raw: bytes, secret: str) -> list[str]:
    """The forms of ``secret`` found in the pickle ``raw``: plain, UTF-16, hex or base64."""
    data = secret.encode()
    forms = {
        "utf-8": data,
        "utf-16": secret.encode("utf-16-le"),
        "hex": data.hex().encode(),
        # Base64 of the secret at each of the three alignments, without the padded edges.
        **{f"base64+{shift}": base64.b64encode(b"\0" * shift + data)[4:-4] for shift in range(3)},
    }
    found = [name for name, form in forms.items() if form in raw]
    texts = [arg for _, arg, _ in pickletools.genops(raw) if isinstance(arg, (str, bytes))]
    found += [f"opcode {text!r}" for text in texts if secret[:12] in str(text)]
    return found


class TestNoTraceAfterUse:
    def test_traces_are_found_when_there(self) -> None:
        """Finds a secret pickled plainly and one base64-encoded inside a pickle."""
        assert "utf-8" in traces(dill.dumps({"token": SECRET}), SECRET)
        encoded = base64.b64encode(b"x" + SECRET.encode()).decode()
        assert any(name.startswith("base64") for name in traces(dill.dumps(encoded), SECRET))

    @pytest.mark.parametrize("provider_class", [UserGroupMemberProvider, UserGroupMembersProvider])
    def test_configured_used_provider_leaves_no_trace(
        self, provider_class: type[UserGroupMemberProvider], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Pickles a provider that holds a token (config) and a key (environment) to no trace."""
        monkeypatch.setenv("CLOUDFLARE_API_KEY", KEY)
        monkeypatch.setenv("CLOUDFLARE_EMAIL", "ops@example.com")
        provider = provider_class()
        provider.configure(
            ConfigureRequest(
                Config(
                    {"cloudflare:apiToken": SECRET, "cloudflare:baseUrl": "http://x.test/v4"},
                    "test",
                )
            )
        )
        client = provider.client
        client._session()  # a session of this thread, as after a request
        provider.group_lists  # noqa: B018 - the shared listing cache, built on first use
        raw = base64.b64decode(serialize_provider(provider))
        assert traces(raw, SECRET) == []
        assert traces(raw, KEY) == []
        # What the provider host gets back is a fresh, unconfigured provider.
        restored = dill.loads(raw)
        assert type(restored) is provider_class
        assert restored._settings is None
        assert restored._client is None

    def test_embedded_client_is_not_pickled(self) -> None:
        """Keeps a client given with use_client() out of the pickle."""
        provider = UserGroupMembersProvider()
        provider.use_client(
            CloudflareClient(Credentials("api_token", SECRET), base_url="http://x.test/v4")
        )
        raw = base64.b64decode(serialize_provider(provider))
        assert traces(raw, SECRET) == []

    def test_resource_registered_by_the_sdk_holds_no_trace(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Registers resources whose inputs, __provider included, hold no trace of a token."""
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", SECRET)
        account, group, member = "a" * 32, "b" * 32, "c" * 32
        for build in (
            lambda: UserGroupMember(
                "one", account_id=account, user_group_id=group, member_id=member
            ),
            lambda: UserGroupMembers(
                "all", account_id=account, user_group_id=group, member_ids=[member]
            ),
        ):
            inputs = captured_registration(build).inputs
            raw = base64.b64decode(inputs["__provider"])
            assert traces(raw, SECRET) == []
            assert SECRET not in repr(inputs)
