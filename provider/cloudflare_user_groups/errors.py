"""Typed errors raised by the client and the models, keyed by HTTP status like the official SDKs.

Every message names the operation, and for API failures the HTTP status, method, URL and each
Cloudflare error code and message (nested ``error_chain`` entries included). No message, repr or
attribute ever holds a credential: authentication failures name the credential *kind* only::

    CloudflareError
     +-- InvalidInputError (also ValueError)   bad input, refused before any request
     +-- CredentialsError                       no usable credentials were configured
     +-- APIConnectionError                     no HTTP response (refused, reset, dropped)
     |    +-- APITimeoutError                   connect or read timeout
     +-- APIStatusError                         an HTTP response that reports a failure
          +-- BadRequestError                   400
          +-- AuthenticationError               401
          +-- PermissionDeniedError             403
          +-- NotFoundError                     404
          +-- ConflictError                     409
          +-- UnprocessableEntityError          422
          +-- RateLimitError                    429
          +-- InternalServerError               500 and above
          +-- InvalidResponseError              a 2xx whose body is not the JSON envelope
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Literal

import attrs

CredentialKind = Literal["api_token", "api_key"]

_MAX_VALUE_REPR = 120
_MAX_CHAIN_DEPTH = 8

# Envelope codes that mean "these credentials were not accepted", whatever the HTTP status:
# 6003 invalid request headers (with 6103/6111 in its chain), 9106/9109 missing or insufficient
# token permissions, 10000 authentication error.
_CREDENTIAL_CODES = frozenset({6003, 6103, 6111, 9106, 9109, 10000})

_CREDENTIAL_HINTS: dict[str, str] = {
    "api_token": (
        "using an API token: check that the token is valid and not expired, and that it grants "
        '"Account Settings Read" (reads) or "Account Settings Write" or "SCIM Provisioning" '
        "(changes) on this account"
    ),
    "api_key": (
        "using a Global API key: check the key and its email, and that this user is a member of "
        'the account with access to "Account Settings" (or use an API token instead)'
    ),
}


def _rebuild(cls: type[CloudflareError], kwargs: dict[str, object]) -> CloudflareError:
    """Recreate an error from its keyword arguments (keeps errors picklable)."""
    return cls(**kwargs)


def short_repr(value: object, limit: int = _MAX_VALUE_REPR) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters, noting the full length when cut."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f", {len(value)} characters" if isinstance(value, str) else ""
    return f"{text[:limit]}... (truncated{length})"


def redact_url(url: str) -> str:
    """Drop any ``user:password@`` part from a URL so that it is safe to show."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))


class CloudflareError(Exception):
    """Base class of every error this package raises."""

    _kwargs: dict[str, object] | None = None

    def __reduce__(self) -> tuple[object, ...]:
        # Errors with keyword-only constructors record their arguments in ``_kwargs``; the
        # others take the message alone, as ``Exception`` does.
        if self._kwargs is None:
            return (type(self), self.args)
        return (_rebuild, (type(self), self._kwargs))


class InvalidInputError(CloudflareError, ValueError):
    """An argument or property is invalid; raised before any request is sent."""

    def __init__(self, prop: str, rule: str, *, value: object = ...) -> None:
        self._kwargs = {"prop": prop, "rule": rule, "value": value}
        self.prop = prop
        self.rule = rule
        message = f"invalid {prop}: {rule}"
        if value is not ...:
            message += f" (got {short_repr(value)})"
        super().__init__(message)


class CredentialsError(CloudflareError):
    """No usable credentials: none, an incomplete pair, or a malformed value."""


class APIConnectionError(CloudflareError):
    """The request got no HTTP response: connection refused, reset or dropped."""

    _what = "no response from"

    def __init__(self, *, operation: str, method: str, url: str, reason: str = "") -> None:
        self._kwargs = {"operation": operation, "method": method, "url": url, "reason": reason}
        self.operation = operation
        self.method = method
        self.url = redact_url(url)
        self.reason = reason
        message = f"{operation}: {self._what} {method} {self.url}"
        if reason:
            message += f": {reason}"
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The connection or the response timed out."""

    _what = "timed out waiting for"


@attrs.frozen
class ErrorDetail:
    """One entry of the envelope's ``errors`` array, with its nested ``error_chain``."""

    code: int | None
    message: str
    chain: tuple[ErrorDetail, ...] = ()

    @classmethod
    def from_api(cls, data: object, _depth: int = 0) -> ErrorDetail:
        """Read one error object leniently: the failure path must never fail itself."""
        if not isinstance(data, Mapping):
            return cls(None, str(data))
        code = data.get("code")
        if isinstance(code, bool) or not isinstance(code, int):
            code = int(code) if isinstance(code, str) and code.isdigit() else None
        message = data.get("message")
        message = message if isinstance(message, str) else ("" if message is None else str(message))
        chain: tuple[ErrorDetail, ...] = ()
        raw_chain = data.get("error_chain")
        if isinstance(raw_chain, list) and _depth < _MAX_CHAIN_DEPTH:
            chain = tuple(cls.from_api(item, _depth + 1) for item in raw_chain)
        return cls(code, message, chain)

    @classmethod
    def list_from_api(cls, data: object) -> tuple[ErrorDetail, ...]:
        """Read an ``errors`` array; anything that is not a list gives no details."""
        if not isinstance(data, list):
            return ()
        return tuple(cls.from_api(item) for item in data)

    def codes(self) -> Iterable[int]:
        """Yield this code and every code of the nested chain."""
        if self.code is not None:
            yield self.code
        for item in self.chain:
            yield from item.codes()

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}" if self.code is not None else self.message
        if self.chain:
            text += " (" + "; ".join(str(item) for item in self.chain) + ")"
        return text


class APIStatusError(CloudflareError):
    """Cloudflare answered with a failure: an HTTP error status or ``success: false``."""

    def __init__(
        self,
        *,
        operation: str,
        status_code: int,
        method: str,
        url: str,
        errors: Iterable[ErrorDetail] = (),
        credential_kind: CredentialKind | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self._kwargs = {
            "operation": operation,
            "status_code": status_code,
            "method": method,
            "url": url,
            "errors": self.errors,
            "credential_kind": credential_kind,
            "detail": detail,
            "retry_after": retry_after,
        }
        self.operation = operation
        self.status_code = status_code
        self.method = method
        self.url = redact_url(url)
        self.credential_kind = credential_kind
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self._message())

    def has_code(self, code: int) -> bool:
        """Tell whether Cloudflare reported this error code, nested chains included."""
        return any(code in error.codes() for error in self.errors)

    def codes(self) -> tuple[int, ...]:
        """Every reported error code, nested chains included, in order."""
        return tuple(code for error in self.errors for code in error.codes())

    def _message(self) -> str:
        parts = [f"{self.operation}: HTTP {self.status_code} from {self.method} {self.url}"]
        if self.errors:
            parts.append("; ".join(str(error) for error in self.errors))
        if self.detail:
            parts.append(self.detail)
        if not self.errors and not self.detail:
            parts.append("no error details in the response")
        message = ": ".join(parts)
        hint = self._hint()
        return f"{message} ({hint})" if hint else message

    def _hint(self) -> str | None:
        credential_failure = self.status_code in (401, 403) or any(
            code in _CREDENTIAL_CODES for code in self.codes()
        )
        if credential_failure and self.credential_kind is not None:
            return _CREDENTIAL_HINTS[self.credential_kind]
        if self.status_code == 429:
            wait = f"; retry after {self.retry_after:g} s" if self.retry_after is not None else ""
            return (
                "rate limited: Cloudflare allows 1200 requests per 5 minutes per user; "
                "lower CLOUDFLARE_USER_GROUPS_RATE_LIMIT or run fewer operations in parallel" + wait
            )
        return None


class BadRequestError(APIStatusError):
    """HTTP 400: the request was malformed or refused (for example an invalid member)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the credentials were not accepted."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials lack access to this account or operation."""


class NotFoundError(APIStatusError):
    """HTTP 404: the group, member or route does not exist."""


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the current state."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was understood but its content was rejected."""


class RateLimitError(APIStatusError):
    """HTTP 429: the request budget is spent; wait before sending more."""


class InternalServerError(APIStatusError):
    """HTTP 500 or above: a failure on Cloudflare's side."""


class InvalidResponseError(APIStatusError):
    """A 2xx whose body is not the expected JSON envelope (truncated, HTML, wrong shape)."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """Return the error class for an HTTP status; APIStatusError for any status without one."""
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)
