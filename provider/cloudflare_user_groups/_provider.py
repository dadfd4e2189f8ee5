"""What every dynamic provider of this package shares: configuration, the client, and pickling.

The provider object is pickled into every resource's state by the Pulumi SDK and unpickled in the
provider host, once per process. So it holds no credential and nothing that cannot be pickled: the
settings come from ``configure()`` (stack config, then the environment) and the HTTP client is built
lazily, in the host, on first use.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from pulumi import ResourceOptions
from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from cloudflare_user_groups import pacing
from cloudflare_user_groups._cache import GroupListCache, forget_everywhere, shared_cache
from cloudflare_user_groups.client import (
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    CloudflareClient,
    Credentials,
    RetryPolicy,
)
from cloudflare_user_groups.errors import InvalidInputError, NotFoundError
from cloudflare_user_groups.models import validate_identifier

# Keys shared with pulumi-cloudflare, so that a stack that already configures that provider
# configures this one too.
CONFIG_API_TOKEN = "cloudflare:apiToken"
CONFIG_API_KEY = "cloudflare:apiKey"
CONFIG_EMAIL = "cloudflare:email"
CONFIG_BASE_URL = "cloudflare:baseUrl"
# Settings of this package only.
CONFIG_NAMESPACE = "cloudflare-user-groups"
CONFIG_RETRY_DEADLINE = f"{CONFIG_NAMESPACE}:retryDeadline"
CONFIG_PROPAGATION_TIMEOUT = f"{CONFIG_NAMESPACE}:propagationTimeout"
CONFIG_RATE_LIMIT = f"{CONFIG_NAMESPACE}:rateLimit"
CONFIG_READ_CACHE = f"{CONFIG_NAMESPACE}:readCacheSeconds"
CONFIG_REQUEST_TIMEOUT = f"{CONFIG_NAMESPACE}:requestTimeout"

ENV_RETRY_DEADLINE = "CLOUDFLARE_USER_GROUPS_RETRY_DEADLINE"
ENV_PROPAGATION_TIMEOUT = "CLOUDFLARE_USER_GROUPS_PROPAGATION_TIMEOUT"
ENV_RATE_LIMIT = "CLOUDFLARE_USER_GROUPS_RATE_LIMIT"
ENV_READ_CACHE = "CLOUDFLARE_USER_GROUPS_READ_CACHE_SECONDS"
ENV_REQUEST_TIMEOUT = "CLOUDFLARE_USER_GROUPS_REQUEST_TIMEOUT"

DEFAULT_RETRY_DEADLINE = 120.0
DEFAULT_PROPAGATION_TIMEOUT = 30.0
DEFAULT_READ_CACHE = 10.0
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0

# Bumped only together with a compatibility path in ``__setstate__``: old stacks hold this value.
STATE_VERSION = 1

# The input that carries ``ResourceOptions(import_=...)`` into an adopt-only create.
IMPORT_ID = "import_id"

T = TypeVar("T")


def import_as_adoption(
    props: dict[str, Any], opts: ResourceOptions | None
) -> ResourceOptions | None:
    """Move ``import_`` from the options into the ``import_id`` input, for an adopt-only create.

    The engine cannot import dynamic resources (pulumi/pulumi#16175): its Read has no serialized
    provider. The providers turn the ``import_id`` input into a create that only adopts.
    """
    if opts is None or opts.import_ is None:
        return opts
    props[IMPORT_ID] = opts.import_
    opts = copy.copy(opts)
    opts.import_ = None
    return opts


def is_unknown(value: object) -> bool:
    """Tell whether a property is still unknown (a preview before its source resource exists)."""
    return isinstance(value, Unknown)


def check_identifier(
    news: Mapping[str, Any], prop: str, inputs: dict[str, Any], failures: list[CheckFailure]
) -> None:
    """Put the identifier ``prop`` into ``inputs`` lower-cased, or record why it is refused.

    A value still unknown during preview passes as it is.
    """
    value = news.get(prop)
    if is_unknown(value):
        inputs[prop] = value
        return
    try:
        inputs[prop] = validate_identifier(value, prop)
    except InvalidInputError as error:
        failures.append(CheckFailure(prop, error.rule))


def same_text(new: Any, old: Any) -> bool:
    """Tell whether two property values are the same string, ignoring case."""
    return isinstance(new, str) and isinstance(old, str) and new.lower() == old.lower()


@attrs.frozen
class Settings:
    """The provider's settings, resolved from stack config and the environment."""

    api_token: str | None = attrs.field(default=None, repr=False)
    api_key: str | None = attrs.field(default=None, repr=False)
    email: str | None = None
    base_url: str | None = None
    retry_deadline: float = DEFAULT_RETRY_DEADLINE
    propagation_timeout: float = DEFAULT_PROPAGATION_TIMEOUT
    rate_limit: str | None = None
    read_cache_seconds: float = DEFAULT_READ_CACHE
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for one HTTP request."""
        return (min(DEFAULT_CONNECT_TIMEOUT, self.request_timeout), self.request_timeout)

    @classmethod
    def resolve(cls, config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings: stack config first, then the environment variables."""
        env = os.environ if env is None else env

        def text(key: str) -> str | None:
            value = config.get(key)
            if value is None or value == "":
                return None
            return str(value)

        def seconds(key: str, env_name: str, default: float) -> float:
            raw = text(key) or env.get(env_name) or None
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not value >= 0:
                raise InvalidInputError(
                    key, f"must be a number of seconds, zero or more (got {raw!r})"
                )
            return value

        request_timeout = seconds(
            CONFIG_REQUEST_TIMEOUT, ENV_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT
        )
        if request_timeout == 0:
            raise InvalidInputError(
                CONFIG_REQUEST_TIMEOUT, "must be a number of seconds above zero"
            )
        rate_limit = text(CONFIG_RATE_LIMIT)
        if rate_limit is not None:
            pacing.parse_rate_limit(rate_limit, CONFIG_RATE_LIMIT)  # a bad value fails here, named
        return cls(
            api_token=text(CONFIG_API_TOKEN),
            api_key=text(CONFIG_API_KEY),
            email=text(CONFIG_EMAIL),
            base_url=text(CONFIG_BASE_URL),
            retry_deadline=seconds(
                CONFIG_RETRY_DEADLINE, ENV_RETRY_DEADLINE, DEFAULT_RETRY_DEADLINE
            ),
            propagation_timeout=seconds(
                CONFIG_PROPAGATION_TIMEOUT, ENV_PROPAGATION_TIMEOUT, DEFAULT_PROPAGATION_TIMEOUT
            ),
            rate_limit=rate_limit,
            read_cache_seconds=seconds(CONFIG_READ_CACHE, ENV_READ_CACHE, DEFAULT_READ_CACHE),
            request_timeout=request_timeout,
        )


class _ConfigView:
    """Adapt ``pulumi.dynamic.Config`` (which only has ``get``) to a mapping lookup."""

    def __init__(self, req: ConfigureRequest) -> None:
        self._config = req.config

    def get(self, key: str, default: Any = None) -> Any:
        value = self._config.get(key)
        return default if value is None else value


class BaseProvider(ResourceProvider):
    """Configuration and a lazily built, thread-safe client for this package's providers."""

    # Waits between attempts while a freshly created group is not yet visible to the members API.
    _propagation_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)

    # The pickled provider holds no secret (see ``__getstate__``), so it need not be encrypted
    # in state; the SDK still marks it secret if a secret Output is ever captured
    # (pulumi/pulumi#15538).
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._settings: Settings | None = None
        self._client: CloudflareClient | None = None
        self._lock = threading.Lock()

    # Pickling: only a format version goes into state. Settings and the client are per process.
    def __getstate__(self) -> dict[str, Any]:
        return {"state_version": STATE_VERSION}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def configure(self, req: ConfigureRequest) -> None:
        """Take credentials and settings from the stack config (or, later, the environment)."""
        settings = Settings.resolve(_ConfigView(req))  # type: ignore[arg-type]
        with self._lock:
            self._settings = settings
            self._client = None

    @property
    def settings(self) -> Settings:
        """The resolved settings; from the environment alone when ``configure()`` never ran."""
        with self._lock:
            if self._settings is None:
                self._settings = Settings.resolve({})
            return self._settings

    @property
    def client(self) -> CloudflareClient:
        """The client, built on first use so that check and diff need no credentials."""
        settings = self.settings
        with self._lock:
            if self._client is None:
                credentials = Credentials.from_values(
                    api_token=settings.api_token,
                    api_key=settings.api_key,
                    email=settings.email,
                )
                client = CloudflareClient(
                    credentials,
                    base_url=settings.base_url,
                    timeout=settings.timeout,
                    retry=RetryPolicy(deadline=settings.retry_deadline),
                    pacer=self._pacer(credentials, settings),
                )
                self._client = client
            return self._client

    @staticmethod
    def _pacer(credentials: Credentials, settings: Settings) -> pacing.Pacer | None:
        """The process-wide budget of these credentials, sized by the configured rate limit."""
        if settings.rate_limit is None:
            return None  # the client's default: CLOUDFLARE_USER_GROUPS_RATE_LIMIT or 1200/300
        limit, window = pacing.parse_rate_limit(settings.rate_limit, CONFIG_RATE_LIMIT)
        base_url = settings.base_url or os.environ.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL
        return pacing.shared_pacer(credentials.fingerprint, base_url, limit, window)

    @property
    def group_lists(self) -> GroupListCache:
        """The process-wide member listings shared by reads (see ``_cache``)."""
        return shared_cache(self.settings.read_cache_seconds)

    def forget_group(self, account_id: str, user_group_id: str) -> None:
        """Forget the shared listing of a group this process has just written to."""
        forget_everywhere((self.client.base_url, account_id, user_group_id))

    def _while_propagating(self, call: Callable[[], T]) -> T:
        """Retry a 404 for a while: Cloudflare needs a moment to see a group created just now."""
        deadline = time.monotonic() + self.settings.propagation_timeout
        delays = iter(self._propagation_delays)
        while True:
            try:
                return call()
            except NotFoundError:
                delay = next(delays, self._propagation_delays[-1])
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)

    def use_client(self, client: CloudflareClient) -> None:
        """Use this client instead of building one (for programs that embed the provider)."""
        with self._lock:
            self._client = client
