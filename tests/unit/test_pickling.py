"""The pickled provider is part of every stack's state: pin its module path and keep it clean."""

from __future__ import annotations

import base64
import pickletools

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from cloudflare_user_groups.member import UserGroupMemberProvider
from cloudflare_user_groups.members import UserGroupMembersProvider

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
