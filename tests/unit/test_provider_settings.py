"""The provider's settings: stack config first, then the environment, with named errors."""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cloudflare_user_groups._provider import Settings
from cloudflare_user_groups.errors import CredentialsError, InvalidInputError
from cloudflare_user_groups.member import UserGroupMemberProvider


class TestSettings:
    def test_config_wins_over_environment(self) -> None:
        """Takes the stack config before the environment variables."""
        settings = Settings.resolve(
            {"cloudflare-user-groups:retryDeadline": "7"},
            {"CLOUDFLARE_USER_GROUPS_RETRY_DEADLINE": "9"},
        )
        assert settings.retry_deadline == 7.0

    def test_environment_is_the_fallback(self) -> None:
        """Falls back to the environment, then to the defaults."""
        settings = Settings.resolve({}, {"CLOUDFLARE_USER_GROUPS_PROPAGATION_TIMEOUT": "3.5"})
        assert settings.propagation_timeout == 3.5
        assert settings.retry_deadline == 120.0
        assert settings.read_cache_seconds == 10.0
        assert settings.timeout == (5.0, 60.0)

    def test_short_request_timeout_caps_the_connect_timeout(self) -> None:
        """Never lets the connect timeout exceed the request timeout."""
        settings = Settings.resolve({"cloudflare-user-groups:requestTimeout": "2"}, {})
        assert settings.timeout == (2.0, 2.0)

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("cloudflare-user-groups:retryDeadline", "soon"),
            ("cloudflare-user-groups:propagationTimeout", "-1"),
            ("cloudflare-user-groups:readCacheSeconds", "nan"),
            ("cloudflare-user-groups:requestTimeout", "0"),
            ("cloudflare-user-groups:rateLimit", "lots"),
        ],
    )
    def test_bad_values_name_the_key(self, key: str, value: str) -> None:
        """Refuses a bad setting with an error naming the config key."""
        with pytest.raises(InvalidInputError, match=key):
            Settings.resolve({key: value}, {})

    def test_credentials_are_not_in_the_repr(self) -> None:
        """Keeps the token and the key out of the settings' repr."""
        settings = Settings.resolve(
            {"cloudflare:apiToken": "tok-123456", "cloudflare:apiKey": "key-654321"}, {}
        )
        assert "tok-123456" not in repr(settings)
        assert "key-654321" not in repr(settings)


class TestConfigure:
    def test_missing_credentials_fail_on_first_use_not_in_check(self) -> None:
        """Lets check run without credentials and names both ways to set them on first use."""
        provider = UserGroupMemberProvider()
        provider.configure(ConfigureRequest(Config({}, "test")))
        result = provider.check(
            {}, {"account_id": "a" * 32, "user_group_id": "b" * 32, "member_id": "c" * 32}
        )
        assert result.failures == []
        with pytest.raises(CredentialsError) as caught:
            provider.client  # noqa: B018
        message = str(caught.value)
        assert "CLOUDFLARE_API_TOKEN" in message
        assert "CLOUDFLARE_API_KEY" in message

    def test_config_credentials_build_the_client(self) -> None:
        """Builds the client from the stack config's token and base URL."""
        provider = UserGroupMemberProvider()
        provider.configure(
            ConfigureRequest(
                Config(
                    {
                        "cloudflare:apiToken": "tok-123456",
                        "cloudflare:baseUrl": "http://127.0.0.1:9/client/v4",
                    },
                    "test",
                )
            )
        )
        assert provider.client.base_url == "http://127.0.0.1:9/client/v4"
        assert provider.client.credentials.kind == "api_token"
