"""The only module that speaks HTTP: credentials, sessions, pacing, retries, the envelope and pages.

Every identifier is validated before a request is built and every path segment is escaped. Each
call is retried on 408/409/429/5xx, dropped connections, timeouts and unreadable bodies, with
exponential backoff, a bounded number of attempts and a total deadline that no sleep goes past.
Retrying is safe because the writes used here are idempotent (POST add, PUT replace); group
creation and deletions reconcile a retry against what the lost attempt may already have done.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import math
import os
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import timezone
from typing import TypeVar

import attrs
import requests
import requests.adapters
import requests.auth

from cloudflare_user_groups import pacing
from cloudflare_user_groups._version import __version__
from cloudflare_user_groups.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    CloudflareError,
    CredentialKind,
    CredentialsError,
    ErrorDetail,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    status_error_class,
)
from cloudflare_user_groups.models import (
    AccountMember,
    GroupMember,
    GroupMemberDetail,
    UserGroup,
    validate_email,
    validate_identifier,
    validate_name,
)

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN"
ENV_API_KEY = "CLOUDFLARE_API_KEY"
ENV_EMAIL = "CLOUDFLARE_EMAIL"
ENV_BASE_URL = "CLOUDFLARE_BASE_URL"
USER_AGENT = f"pulumi-cloudflare-user-groups/{__version__} python-requests/{requests.__version__}"

# The statuses the official SDKs retry, besides every 5xx. 409 is Cloudflare's answer to
# concurrent changes of one object, which clear up on their own.
RETRY_STATUSES = frozenset({408, 409, 429})
# A server that keeps answering full pages would otherwise be followed forever.
MAX_PAGES = 10_000

logger = logging.getLogger("cloudflare_user_groups.client")

T = TypeVar("T")

_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SECONDS = re.compile(r"\d+(?:\.\d+)?")

_NO_CREDENTIALS = (
    "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN to an API token (preferred), or "
    "CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL to a Global API key and its email; in a Pulumi "
    "stack you may instead run `pulumi config set --secret cloudflare:apiToken <token>` (or set "
    "cloudflare:apiKey and cloudflare:email)"
)


def _given(value: object, what: str) -> str | None:
    """Return a configured value, treating None and blank strings as not configured."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise CredentialsError(f"{what} must be a string, not {type(value).__name__}")
    return value.strip() or None


def _header_safe(value: str, what: str) -> str:
    # requests would reject such a value with an error that quotes it: refuse it here, unquoted.
    if _HEADER_SAFE.fullmatch(value) is None:
        raise CredentialsError(
            f"{what} contains characters that cannot be sent in an HTTP header (inner spaces, "
            "line breaks, control or non-ASCII characters); copy it again"
        )
    return value


@attrs.frozen
class Credentials:
    """An API token or a Global API key with its email; the secret never shows in a repr."""

    kind: CredentialKind = attrs.field(validator=attrs.validators.in_(("api_token", "api_key")))
    secret: str = attrs.field(repr=False)
    email: str | None = None

    def __attrs_post_init__(self) -> None:
        what = "the API token" if self.kind == "api_token" else "the API key"
        if not isinstance(self.secret, str) or not self.secret:
            raise CredentialsError(f"{what} is empty")
        _header_safe(self.secret, what)
        if self.kind == "api_key":
            if not self.email:
                raise CredentialsError(
                    f"a Global API key needs its account email: set {ENV_EMAIL} or pass email=..."
                )
            _header_safe(self.email, "the API key's email")

    @classmethod
    def from_values(
        cls,
        api_token: str | None = None,
        api_key: str | None = None,
        email: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Pick credentials: explicit values first, then the environment; CredentialsError if none.

        A token wins over a key. A key takes its email from ``email`` or ``CLOUDFLARE_EMAIL``.
        """
        env = os.environ if env is None else env
        token = _given(api_token, "api_token")
        key = _given(api_key, "api_key")
        address = _given(email, "email")
        env_address = _given(env.get(ENV_EMAIL), ENV_EMAIL)
        if token:
            return cls("api_token", token)
        if key:
            return cls("api_key", key, address or env_address)
        env_token = _given(env.get(ENV_API_TOKEN), ENV_API_TOKEN)
        if env_token:
            return cls("api_token", env_token)
        env_key = _given(env.get(ENV_API_KEY), ENV_API_KEY)
        if env_key:
            return cls("api_key", env_key, address or env_address)
        if address or env_address:
            raise CredentialsError(
                f"an email is set but no API key: set {ENV_API_KEY} (or pass api_key=...) to the "
                f"Global API key of that email, or use an API token in {ENV_API_TOKEN} instead"
            )
        raise CredentialsError(_NO_CREDENTIALS)

    def describe(self) -> str:
        """Say which kind of credential this is, without its value."""
        return "API token" if self.kind == "api_token" else f"API key for {self.email}"

    def headers(self) -> dict[str, str]:
        """The authentication headers to send."""
        if self.kind == "api_token":
            return {"Authorization": f"Bearer {self.secret}"}
        return {"X-Auth-Email": self.email or "", "X-Auth-Key": self.secret}

    @property
    def fingerprint(self) -> str:
        """A short hash that tells credentials apart (for pacing) without revealing them."""
        material = f"{self.kind}\0{self.email or ''}\0{self.secret}".encode()
        return hashlib.sha256(material).hexdigest()[:16]


def _non_negative(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InvalidInputError(attribute.name, "must be a number, zero or more", value=value)


def _at_least_one(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(attribute.name, "must be a whole number, 1 or more", value=value)


@attrs.frozen
class RetryPolicy:
    """How often and how long a call is retried; the defaults follow the official SDKs' backoff.

    ``deadline`` bounds a whole call, waits included: no wait ends after it and no attempt outlives
    it. The first attempt is always made, so a deadline of 0 means a single attempt.
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    deadline: float = attrs.field(default=120.0, validator=_non_negative)
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=300.0, validator=_non_negative)

    def backoff(self, retries_taken: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry ``n + 1``: ``initial_delay * 2**n``, capped, less 0-25 % jitter."""
        exponent = min(max(retries_taken, 0), 64)
        delay = min(self.initial_delay * 2.0**exponent, self.max_delay)
        return delay * (1.0 - 0.25 * rng())


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Read ``Retry-After`` as seconds or an HTTP date; None when absent or unreadable.

    A date in the past gives 0. ``now`` is the wall-clock time to measure a date against.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class _HeaderAuth(requests.auth.AuthBase):
    """Adds the credential headers; as an ``auth`` it also keeps ``~/.netrc`` out of the way."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._credentials.headers())
        return request

    def __repr__(self) -> str:
        return f"<_HeaderAuth {self._credentials.describe()}>"


def _default_session() -> requests.Session:
    session = requests.Session()
    # No urllib3-level retries: this module decides about every retry (and logs it).
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _check_base_url(value: str) -> str:
    url = value.strip().rstrip("/") if isinstance(value, str) else value
    rule = "must be an http(s) URL such as https://api.cloudflare.com/client/v4"
    if not isinstance(url, str) or not url:
        raise InvalidInputError("base_url", rule, value=value)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Shown only when it is plainly a URL without a password: a value with an @, or a
        # token pasted into the wrong setting, must not be echoed.
        shown = value if "://" in url and "@" not in url else "<hidden>"
        raise InvalidInputError("base_url", rule, value=shown)
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise InvalidInputError(
            "base_url", "must not contain a user name, a query or a fragment", value="<hidden>"
        )
    return url


def _check_timeout(value: object) -> tuple[float, float]:
    rule = "must be (connect seconds, read seconds), both above zero"
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidInputError("timeout", rule, value=value)
    if not all(
        isinstance(part, (int, float)) and not isinstance(part, bool) and 0 < part < math.inf
        for part in value
    ):
        raise InvalidInputError("timeout", rule, value=value)
    return float(value[0]), float(value[1])


def _check_direction(value: object) -> str | None:
    if value is None or (isinstance(value, str) and value in ("asc", "desc")):
        return value
    raise InvalidInputError("direction", 'must be "asc" or "desc"', value=value)


def _check_per_page(value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        rule = f"must be a whole number from {low} to {high}"
        raise InvalidInputError("per_page", rule, value=value)
    return value


def _check_member_ids(value: object, *, allow_empty: bool) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidInputError("member_ids", "must be a list of member ids", value=value)
    ids: list[str] = []
    for index, item in enumerate(value):
        member_id = validate_identifier(item, f"member_ids[{index}]")
        if member_id not in ids:
            ids.append(member_id)
    if not ids and not allow_empty:
        raise InvalidInputError("member_ids", "must name at least one member", value=value)
    return ids


@attrs.frozen
class _Envelope:
    """A successful response, unwrapped."""

    result: object
    result_info: object
    status: int


@attrs.frozen
class _Failure:
    """A failed attempt: the error to raise, whether to retry, and how long the server asked."""

    error: CloudflareError
    reason: str
    retryable: bool
    retry_after: float | None = None
    # False only when the request surely did not reach the server (refused or rate limited).
    ambiguous: bool = True


def _describe_body(response: requests.Response, problem: str) -> str:
    content_type = response.headers.get("Content-Type") or "none"
    size = len(response.content)
    text = f"the response body is {problem} (Content-Type: {content_type}, {size} bytes"
    title = _HTML_TITLE.search(response.content[:65536])
    if title:
        words = " ".join(title.group(1).decode("utf-8", "replace").split())[:120]
        text += f", page title {words!r}"
    return text + ")"


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dedupe(items: list[T], key: Callable[[T], str]) -> list[T]:
    # A member added or removed between two page requests shifts the pages; never list it twice.
    seen: set[str] = set()
    unique: list[T] = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            unique.append(item)
    return unique


class CloudflareClient:
    """A thread-safe client for the IAM user-group API; cheap to create (sessions are lazy)."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        base_url: str | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        pacer: pacing.Pacer | None = None,
        session_factory: Callable[[], requests.Session] = _default_session,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._credentials = Credentials.from_values() if credentials is None else credentials
        if not isinstance(self._credentials, Credentials):
            raise InvalidInputError("credentials", "must be a Credentials object", value="<hidden>")
        self._base_url = _check_base_url(
            base_url or os.environ.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL
        )
        self._timeout = _check_timeout(timeout)
        self._retry = RetryPolicy() if retry is None else retry
        self._pacer = pacer or pacing.shared_pacer(self._credentials.fingerprint, self._base_url)
        self._session_factory = session_factory
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._auth = _HeaderAuth(self._credentials)
        self._local = threading.local()
        # Each thread's session, with its thread, so that sessions of finished threads get closed.
        self._sessions: list[tuple[threading.Thread, requests.Session]] = []
        self._sessions_lock = threading.Lock()
        self._generation = 0

    @property
    def base_url(self) -> str:
        """The API root, without a trailing slash."""
        return self._base_url

    @property
    def credentials(self) -> Credentials:
        """The credentials in use."""
        return self._credentials

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in use."""
        return self._retry

    @property
    def pacer(self) -> pacing.Pacer:
        """The request budget this client spends from."""
        return self._pacer

    def __repr__(self) -> str:
        return f"CloudflareClient(base_url={self._base_url!r}, credentials={self._credentials!r})"

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every session (of every thread); the client stays usable and reopens lazily."""
        with self._sessions_lock:
            owned, self._sessions = self._sessions, []
            self._generation += 1
        for _thread, session in owned:
            session.close()

    # Group members

    def list_group_members(
        self,
        account_id: str,
        user_group_id: str,
        *,
        fuzzy_email: str | None = None,
        direction: str | None = None,
        per_page: int = 500,
    ) -> list[GroupMember]:
        """Every member of a user group, following all pages."""
        path = self._group_path(account_id, user_group_id, "members")
        params: dict[str, str | int] = {}
        if fuzzy_email is not None:
            params["fuzzyEmail"] = validate_name(fuzzy_email, "fuzzy_email")
        if (checked := _check_direction(direction)) is not None:
            params["direction"] = checked
        size = _check_per_page(per_page, 1, 500)
        members = self._list_all("list group members", path, params, size, GroupMember.from_api)
        return _dedupe(members, lambda member: member.id)

    def get_group_member(
        self, account_id: str, user_group_id: str, member_id: str
    ) -> GroupMemberDetail:
        """One member of a user group, with when it was added and its user."""
        path = self._group_path(account_id, user_group_id, "members")
        path.append(validate_identifier(member_id, "member_id"))
        envelope = self._call("get group member", "GET", path)
        return self._read(envelope, "get group member", "GET", path, GroupMemberDetail.from_api)

    def add_group_members(
        self, account_id: str, user_group_id: str, member_ids: Sequence[str]
    ) -> list[GroupMember]:
        """Add members (existing ones stay); returns the group's members as echoed."""
        return self._write_members(
            "add group members", "POST", account_id, user_group_id, member_ids
        )

    def replace_group_members(
        self, account_id: str, user_group_id: str, member_ids: Sequence[str]
    ) -> list[GroupMember]:
        """Make ``member_ids`` the whole member set (empty clears it); returns the new members."""
        return self._write_members(
            "replace group members", "PUT", account_id, user_group_id, member_ids
        )

    def _write_members(
        self,
        operation: str,
        method: str,
        account_id: str,
        user_group_id: str,
        member_ids: Sequence[str],
    ) -> list[GroupMember]:
        # Both take a bare JSON array of {"id": ...}; only a replace may send an empty one.
        path = self._group_path(account_id, user_group_id, "members")
        ids = _check_member_ids(member_ids, allow_empty=method == "PUT")
        envelope = self._call(
            operation, method, path, body=[{"id": member_id} for member_id in ids]
        )
        return self._read_members(envelope, operation, method, path)

    def remove_group_member(
        self, account_id: str, user_group_id: str, member_id: str
    ) -> GroupMember | None:
        """Remove one member; returns it, or None when a retry found it already removed.

        A member that is not in the group raises NotFoundError (Cloudflare may also answer
        BadRequestError with code 400 for an id that is no longer an account member).
        """
        path = self._group_path(account_id, user_group_id, "members")
        path.append(validate_identifier(member_id, "member_id"))
        envelope = self._call("remove group member", "DELETE", path, gone_ok_on_retry=True)
        if envelope.result is None:
            return None
        return self._read(envelope, "remove group member", "DELETE", path, GroupMember.from_api)

    # User groups

    def list_user_groups(
        self,
        account_id: str,
        *,
        name: str | None = None,
        fuzzy_name: str | None = None,
        direction: str | None = None,
        per_page: int = 500,
    ) -> list[UserGroup]:
        """Every user group of an account (optionally by exact name or name fragment)."""
        path = self._account_path(account_id, "iam", "user_groups")
        params: dict[str, str | int] = {}
        if name is not None:
            params["name"] = validate_name(name, "name")
        if fuzzy_name is not None:
            params["fuzzyName"] = validate_name(fuzzy_name, "fuzzy_name")
        if (checked := _check_direction(direction)) is not None:
            params["direction"] = checked
        size = _check_per_page(per_page, 1, 500)
        groups = self._list_all("list user groups", path, params, size, UserGroup.from_api)
        return _dedupe(groups, lambda group: group.id)

    def get_user_group(self, account_id: str, user_group_id: str) -> UserGroup:
        """One user group."""
        path = self._group_path(account_id, user_group_id)
        envelope = self._call("get user group", "GET", path)
        return self._read(envelope, "get user group", "GET", path, UserGroup.from_api)

    def create_user_group(self, account_id: str, name: str) -> UserGroup:
        """Create a user group without policies.

        A retry after a lost answer first looks the name up, so that it never creates a second
        group when the first attempt did succeed.
        """
        path = self._account_path(account_id, "iam", "user_groups")
        group_name = validate_name(name, "name")

        def recover(deadline_at: float) -> object | None:
            found = self._list_all(
                "create user group (look up)",
                path,
                {"name": group_name},
                500,
                UserGroup.from_api,
                deadline_at=deadline_at,
            )
            match = [group for group in found if group.name == group_name]
            if len(match) != 1:
                return None
            logger.warning(
                "create user group: an earlier attempt created %r (id %s); not creating it again",
                group_name,
                match[0].id,
            )
            return match[0]

        envelope = self._call(
            "create user group", "POST", path, body={"name": group_name}, recover=recover
        )
        if isinstance(envelope.result, UserGroup):
            return envelope.result
        return self._read(envelope, "create user group", "POST", path, UserGroup.from_api)

    def delete_user_group(self, account_id: str, user_group_id: str) -> None:
        """Delete a user group (its memberships go with it)."""
        path = self._group_path(account_id, user_group_id)
        self._call("delete user group", "DELETE", path, gone_ok_on_retry=True)

    # Account members

    def list_account_members(self, account_id: str, *, per_page: int = 50) -> list[AccountMember]:
        """Every member of the account, following all pages."""
        path = self._account_path(account_id, "members")
        size = _check_per_page(per_page, 5, 50)
        members = self._list_all("list account members", path, {}, size, AccountMember.from_api)
        return _dedupe(members, lambda member: member.id)

    def get_account_member(self, account_id: str, member_id: str) -> AccountMember:
        """One account member."""
        path = self._account_path(account_id, "members")
        path.append(validate_identifier(member_id, "member_id"))
        envelope = self._call("get account member", "GET", path)
        return self._read(envelope, "get account member", "GET", path, AccountMember.from_api)

    def find_account_member_by_email(self, account_id: str, email: str) -> AccountMember | None:
        """The account member with this email (case-insensitive, exact), or None."""
        path = self._account_path(account_id, "members")
        wanted = validate_email(email, "email")
        # The API has no email filter: page through the roster and stop at the first match.
        operation = "find account member by email"
        pages = self._pages(operation, path, {}, 50)
        for items in pages:
            for item in items:
                member = self._read_item(item, operation, path, AccountMember.from_api)
                emails = {member.email, member.user.email if member.user else None}
                if wanted in {address.lower() for address in emails if address}:
                    pages.close()
                    return member
        return None

    # Paths

    def _account_path(self, account_id: str, *rest: str) -> list[str]:
        return ["accounts", validate_identifier(account_id, "account_id"), *rest]

    def _group_path(self, account_id: str, user_group_id: str, *rest: str) -> list[str]:
        path = self._account_path(account_id, "iam", "user_groups")
        return [*path, validate_identifier(user_group_id, "user_group_id"), *rest]

    def _url(self, path: Sequence[str], params: Mapping[str, str | int] | None = None) -> str:
        url = self._base_url + "/" + "/".join(urllib.parse.quote(part, safe="") for part in path)
        if params:
            url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return url

    # Reading results

    def _shape_error(
        self, operation: str, method: str, path: Sequence[str], status: int, problem: str
    ) -> InvalidResponseError:
        return InvalidResponseError(
            operation=operation,
            status_code=status,
            method=method,
            url=self._url(path),
            credential_kind=self._credentials.kind,
            detail=f"unexpected result: {problem}",
        )

    def _read(
        self,
        envelope: _Envelope,
        operation: str,
        method: str,
        path: Sequence[str],
        reader: Callable[[object], T],
    ) -> T:
        try:
            return reader(envelope.result)
        except ValueError as exc:
            raise self._shape_error(operation, method, path, envelope.status, str(exc)) from exc

    def _read_members(
        self, envelope: _Envelope, operation: str, method: str, path: Sequence[str]
    ) -> list[GroupMember]:
        # The result is the full member array; older API versions answered one object, and an
        # empty set comes back as null.
        result = envelope.result
        items = [] if result is None else [result] if isinstance(result, dict) else result
        if not isinstance(items, list):
            problem = f"expected a list of members, got {type(result).__name__}"
            raise self._shape_error(operation, method, path, envelope.status, problem)
        reader = GroupMember.from_api
        return [self._read_item(item, operation, path, reader, method) for item in items]

    def _read_item(
        self,
        data: object,
        operation: str,
        path: Sequence[str],
        reader: Callable[[object], T],
        method: str = "GET",
    ) -> T:
        return self._read(_Envelope(data, None, 200), operation, method, path, reader)

    def _pages(
        self,
        operation: str,
        path: list[str],
        params: Mapping[str, str | int],
        per_page: int,
        *,
        deadline_at: float | None = None,
    ) -> Generator[list[object], None, None]:
        """Yield the items of each page until the last one."""
        page = 1
        while True:
            query = {**params, "page": page, "per_page": per_page}
            envelope = self._call(operation, "GET", path, params=query, deadline_at=deadline_at)
            items = [] if envelope.result is None else envelope.result
            if not isinstance(items, list):
                problem = f"expected a list, got {type(items).__name__}"
                raise self._shape_error(operation, "GET", path, envelope.status, problem)
            yield items
            info = envelope.result_info if isinstance(envelope.result_info, dict) else {}
            total_pages = _integer(info.get("total_pages"))
            if not items:
                return
            if total_pages is not None:
                if page >= total_pages:
                    return
            elif len(items) < (_integer(info.get("per_page")) or per_page):
                return
            page += 1
            if page > MAX_PAGES:
                problem = f"more than {MAX_PAGES} pages of {per_page}"
                raise self._shape_error(operation, "GET", path, envelope.status, problem)

    def _list_all(
        self,
        operation: str,
        path: list[str],
        params: Mapping[str, str | int],
        per_page: int,
        reader: Callable[[object], T],
        *,
        deadline_at: float | None = None,
    ) -> list[T]:
        pages = self._pages(operation, path, params, per_page, deadline_at=deadline_at)
        return [self._read_item(item, operation, path, reader) for items in pages for item in items]

    # Sending

    def _session(self) -> requests.Session:
        local = self._local
        session: requests.Session | None = getattr(local, "session", None)
        if session is None or local.generation != self._generation:
            session = self._session_factory()
            with self._sessions_lock:
                finished = [pair for pair in self._sessions if not pair[0].is_alive()]
                self._sessions = [pair for pair in self._sessions if pair[0].is_alive()]
                self._sessions.append((threading.current_thread(), session))
                local.generation = self._generation
            local.session = session
            for _thread, old in finished:
                old.close()
        return session

    def _call(
        self,
        operation: str,
        method: str,
        path: Sequence[str],
        *,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
        deadline_at: float | None = None,
        recover: Callable[[float], object | None] | None = None,
        gone_ok_on_retry: bool = False,
    ) -> _Envelope:
        """Send one API call with pacing and retries, and return its unwrapped envelope."""
        url = self._url(path, params)
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        # A call of its own always makes its first attempt (a deadline of 0 means "no retries");
        # a lookup inside another call's retries shares that call's deadline strictly.
        first_is_free = deadline_at is None
        if deadline_at is None:
            deadline_at = self._clock() + self._retry.deadline
        last: _Failure | None = None
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            if recover is not None and maybe_applied:
                recovered = recover(deadline_at)
                if recovered is not None:
                    return _Envelope(recovered, None, 200)
            remaining = deadline_at - self._clock()
            if remaining <= 0 and not (first_is_free and attempt == 1):
                if last is not None:
                    raise last.error
                raise APITimeoutError(
                    operation=operation,
                    method=method,
                    url=url,
                    reason="the retry deadline passed before the request could be sent",
                )
            slot = self._pacer.reserve(timeout=max(remaining, 0.0))
            if slot is None:
                if last is not None:
                    raise last.error
                raise self._budget_error(operation, method, url)
            time_left = deadline_at - self._clock()
            try:
                outcome = self._send(
                    operation, method, url, payload, time_left if time_left > 0 else None
                )
            finally:
                self._pacer.finish(slot)
            if isinstance(outcome, _Envelope):
                return outcome
            if gone_ok_on_retry and maybe_applied and isinstance(outcome.error, NotFoundError):
                # The lost attempt did delete it: that is the outcome that was asked for.
                logger.warning(
                    "%s: already gone after a lost response; treating as done", operation
                )
                return _Envelope(None, None, 404)
            last = outcome
            maybe_applied = maybe_applied or (outcome.ambiguous and method != "GET")
            wait = self._retry.backoff(attempt - 1, self._rng)
            if outcome.retry_after is not None:
                wait = min(outcome.retry_after, self._retry.max_retry_after)
            rate_limited = isinstance(outcome.error, RateLimitError)
            if rate_limited:
                # Every thread on these credentials must wait, whether or not this call retries;
                # the next acquire() does the sleeping.
                self._pacer.block_for(wait)
            if not outcome.retryable or attempt >= self._retry.max_attempts:
                raise outcome.error
            if self._clock() + wait > deadline_at:
                raise outcome.error
            logger.warning(
                "%s: %s; attempt %d of %d failed, retrying in %.2f s",
                operation,
                outcome.reason,
                attempt,
                self._retry.max_attempts,
                wait,
            )
            if not rate_limited:
                self._sleep(wait)

    def _budget_error(self, operation: str, method: str, url: str) -> RateLimitError:
        delay = self._pacer.delay()
        return RateLimitError(
            operation=operation,
            status_code=429,
            method=method,
            url=url,
            credential_kind=self._credentials.kind,
            detail=(
                f"not sent: the request budget of these credentials is spent for another "
                f"{delay:.0f} s ({self._pacer.limit} requests per {self._pacer.window:g} s, or a "
                "recent 429), which is past the retry deadline"
            ),
            retry_after=delay,
        )

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        payload: bytes | None,
        time_left: float | None,
    ) -> _Envelope | _Failure:
        """Make one attempt; never raises for HTTP or transport failures."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        # An attempt may not outlive the deadline either; None: a free first attempt.
        connect, read = (
            part if time_left is None else min(part, max(time_left, 0.001))
            for part in self._timeout
        )
        try:
            response = self._session().request(
                method,
                url,
                data=payload,
                headers=headers,
                auth=self._auth,
                timeout=(connect, read),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            error: CloudflareError = APITimeoutError(
                operation=operation,
                method=method,
                url=url,
                reason=self._scrub(_exception_text(exc)),
            )
            ambiguous = not isinstance(exc, requests.ConnectTimeout)
            return _Failure(error, type(exc).__name__, retryable=True, ambiguous=ambiguous)
        except requests.RequestException as exc:
            error = APIConnectionError(
                operation=operation,
                method=method,
                url=url,
                reason=self._scrub(_exception_text(exc)),
            )
            retryable = isinstance(
                exc,
                (
                    requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError,
                ),
            ) and not isinstance(exc, requests.exceptions.SSLError)
            return _Failure(error, type(exc).__name__, retryable=retryable)
        with response:
            # The pacer knows which request this answers: this thread's slot, until finish().
            self._pacer.observe(response.headers)
            return self._unwrap(response, operation, method, url)

    def _scrub(self, text: str) -> str:
        """Blank out the secret if a server (or a proxy) echoed it into text shown to users."""
        return text.replace(self._credentials.secret, "[redacted]")

    def _scrub_detail(self, error: ErrorDetail) -> ErrorDetail:
        return attrs.evolve(
            error,
            message=self._scrub(error.message),
            chain=tuple(self._scrub_detail(item) for item in error.chain),
        )

    def _unwrap(
        self, response: requests.Response, operation: str, method: str, url: str
    ) -> _Envelope | _Failure:
        """Turn a response into its result or a typed failure: the one envelope reader."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None and status == 429:
            limit = pacing.parse_ratelimit(response.headers)
            if limit is not None and limit.remaining == 0:
                retry_after = limit.reset
        retryable = status in RETRY_STATUSES or status >= 500

        def failure(
            cls: type[APIStatusError],
            errors: tuple[ErrorDetail, ...],
            detail: str | None,
            reason: str,
            *,
            retry: bool,
        ) -> _Failure:
            error = cls(
                operation=operation,
                status_code=status,
                method=method,
                url=url,
                errors=tuple(self._scrub_detail(item) for item in errors),
                credential_kind=self._credentials.kind,
                detail=None if detail is None else self._scrub(detail),
                retry_after=retry_after,
            )
            return _Failure(error, reason, retry, retry_after, ambiguous=status != 429)

        try:
            body: object = json.loads(response.content)
        except (ValueError, RecursionError) as exc:
            detail = _describe_body(response, f"not valid JSON: {_json_problem(exc)}")
            if 200 <= status < 300:
                # A cut or garbled body on a success: an edge artefact, retried like a 5xx.
                return failure(
                    InvalidResponseError, (), detail, f"HTTP {status} invalid JSON", retry=True
                )
            if 300 <= status < 400:
                location = response.headers.get("Location", "")
                detail = f"redirect to {location!r} not followed; check the base URL"
            return failure(
                status_error_class(status), (), detail, f"HTTP {status}", retry=retryable
            )
        if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
            detail = _describe_body(response, "JSON but not a Cloudflare API envelope")
            cls = InvalidResponseError if 200 <= status < 300 else status_error_class(status)
            return failure(cls, (), detail, f"HTTP {status} not an envelope", retry=retryable)
        errors = ErrorDetail.list_from_api(body.get("errors"))
        if status >= 300 or body["success"] is not True:
            codes = ",".join(str(code) for error in errors for code in error.codes())
            reason = f"HTTP {status}" + (f" [{codes}]" if codes else "")
            # success:false on a 2xx is a definite answer: raised as is, never retried.
            return failure(status_error_class(status), errors, None, reason, retry=retryable)
        return _Envelope(body.get("result"), body.get("result_info"), status)


def _exception_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:300] + "..."


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at byte {exc.pos}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return type(exc).__name__
