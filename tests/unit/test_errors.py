"""Unit tests for the error hierarchy: class per status, messages, hints and pickling."""

from __future__ import annotations

import pickle

import pytest

from cloudflare_user_groups import errors, member, members
from cloudflare_user_groups.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloudflareError,
    ConflictError,
    CredentialsError,
    ErrorDetail,
    InternalServerError,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    status_error_class,
)

URL = "https://api.cloudflare.com/client/v4/accounts/a/iam/user_groups/g/members"


def status_error(status: int = 404, **kwargs: object) -> APIStatusError:
    defaults: dict[str, object] = {
        "operation": "list group members",
        "status_code": status,
        "method": "GET",
        "url": URL,
        "errors": (ErrorDetail(1003, "User group not found"),),
    }
    defaults.update(kwargs)
    return status_error_class(status)(**defaults)  # type: ignore[arg-type]


class TestStatusErrorClass:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (200, APIStatusError),
            (302, APIStatusError),
            (400, BadRequestError),
            (401, AuthenticationError),
            (403, PermissionDeniedError),
            (404, NotFoundError),
            (405, APIStatusError),
            (408, APIStatusError),
            (409, ConflictError),
            (422, UnprocessableEntityError),
            (429, RateLimitError),
            (500, InternalServerError),
            (502, InternalServerError),
            (503, InternalServerError),
            (599, InternalServerError),
        ],
    )
    def test_maps_status_to_class(self, status: int, expected: type[APIStatusError]) -> None:
        """Maps each HTTP status to its class, and unlisted ones to APIStatusError itself."""
        assert status_error_class(status) is expected

    def test_every_status_class_is_an_api_status_error(self) -> None:
        """Keeps every status class catchable as APIStatusError and CloudflareError."""
        for status in (400, 401, 403, 404, 409, 422, 429, 500):
            cls = status_error_class(status)
            assert issubclass(cls, APIStatusError)
            assert issubclass(cls, CloudflareError)
        assert issubclass(InvalidResponseError, APIStatusError)


class TestHierarchyDocstring:
    def test_docstring_draws_every_class(self) -> None:
        """Names every error class in the module docstring's tree."""
        doc = errors.__doc__ or ""
        for cls in (
            CloudflareError,
            InvalidInputError,
            CredentialsError,
            APIConnectionError,
            APITimeoutError,
            APIStatusError,
            BadRequestError,
            AuthenticationError,
            PermissionDeniedError,
            NotFoundError,
            ConflictError,
            UnprocessableEntityError,
            RateLimitError,
            InternalServerError,
            InvalidResponseError,
        ):
            assert cls.__name__ in doc


class TestErrorDetail:
    def test_reads_code_message_and_chain(self) -> None:
        """Reads code, message and a nested error_chain."""
        detail = ErrorDetail.from_api(
            {
                "code": 6003,
                "message": "Invalid request headers",
                "error_chain": [
                    {"code": 6111, "message": "Invalid format for Authorization header"}
                ],
            }
        )
        assert detail == ErrorDetail(
            6003,
            "Invalid request headers",
            (ErrorDetail(6111, "Invalid format for Authorization header"),),
        )
        assert list(detail.codes()) == [6003, 6111]

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            ("plain text", ErrorDetail(None, "plain text")),
            ({"code": "1003", "message": "x"}, ErrorDetail(1003, "x")),
            ({"code": True, "message": "x"}, ErrorDetail(None, "x")),
            ({"code": 1.5}, ErrorDetail(None, "")),
            ({"message": 12}, ErrorDetail(None, "12")),
            ({"code": 7000, "error_chain": "nope"}, ErrorDetail(7000, "")),
        ],
    )
    def test_reads_odd_shapes_leniently(self, data: object, expected: ErrorDetail) -> None:
        """Never fails on an odd error object: the failure path must not fail itself."""
        assert ErrorDetail.from_api(data) == expected

    def test_caps_chain_depth(self) -> None:
        """Stops reading an absurdly deep error_chain instead of recursing without end."""
        data: dict[str, object] = {"code": 1, "message": "leaf"}
        for _ in range(100):
            data = {"code": 1, "message": "m", "error_chain": [data]}
        detail = ErrorDetail.from_api(data)
        depth = 0
        while detail.chain:
            detail = detail.chain[0]
            depth += 1
        assert depth <= 10

    def test_list_from_api_ignores_non_lists(self) -> None:
        """Gives no details when ``errors`` is not an array."""
        assert ErrorDetail.list_from_api(None) == ()
        assert ErrorDetail.list_from_api({"code": 1}) == ()
        assert ErrorDetail.list_from_api([{"code": 1, "message": "a"}]) == (ErrorDetail(1, "a"),)


class TestAPIStatusError:
    def test_message_names_everything(self) -> None:
        """Names the operation, status, method, URL, and every code and message."""
        error = status_error(
            404,
            errors=(ErrorDetail(1003, "User group not found"), ErrorDetail(7000, "No route")),
        )
        assert str(error) == (
            f"list group members: HTTP 404 from GET {URL}: "
            "[1003] User group not found; [7000] No route"
        )

    def test_message_includes_nested_chain(self) -> None:
        """Includes the nested error_chain messages in the text."""
        error = status_error(
            400,
            errors=(ErrorDetail(6003, "Invalid request headers", (ErrorDetail(6111, "Bad"),)),),
        )
        assert "[6003] Invalid request headers ([6111] Bad)" in str(error)

    def test_has_code_searches_chains(self) -> None:
        """Finds codes at the top level and inside chains, and not others."""
        error = status_error(
            400, errors=(ErrorDetail(6003, "x", (ErrorDetail(6111, "y"),)), ErrorDetail(None, "z"))
        )
        assert error.has_code(6003)
        assert error.has_code(6111)
        assert not error.has_code(1003)
        assert error.codes() == (6003, 6111)

    def test_message_without_details(self) -> None:
        """Says that the response carried no details rather than ending in a colon."""
        error = status_error(500, errors=())
        assert str(error).endswith("no error details in the response")

    def test_detail_is_appended(self) -> None:
        """Appends the extra detail (such as a non-JSON body description)."""
        error = status_error(502, errors=(), detail="the response body is not valid JSON")
        assert str(error).endswith(
            "HTTP 502 from GET " + URL + ": the response body is not valid JSON"
        )

    @pytest.mark.parametrize("status", [401, 403])
    def test_auth_failure_with_token_names_kind_and_permissions(self, status: int) -> None:
        """Says an API token was used and which permissions it needs."""
        error = status_error(
            status,
            errors=(ErrorDetail(10000, "Authentication error"),),
            credential_kind="api_token",
        )
        text = str(error)
        assert "using an API token" in text
        assert "Account Settings Read" in text
        assert "Account Settings Write" in text
        assert "SCIM Provisioning" in text
        assert error.credential_kind == "api_token"

    def test_auth_failure_with_key_names_kind(self) -> None:
        """Says a Global API key was used, without any value."""
        error = status_error(403, errors=(), credential_kind="api_key")
        assert "using a Global API key" in str(error)

    def test_bad_header_code_gets_the_hint_on_400(self) -> None:
        """Adds the credential hint to a 400 whose code says the auth header was malformed."""
        error = status_error(400, errors=(ErrorDetail(6003, "x"),), credential_kind="api_token")
        assert "using an API token" in str(error)

    def test_not_found_gets_no_credential_hint(self) -> None:
        """Keeps the credential hint off errors that are not about credentials."""
        assert "API token" not in str(status_error(404, credential_kind="api_token"))

    def test_rate_limit_hint_mentions_budget_and_wait(self) -> None:
        """Explains the rate limit and how long to wait."""
        error = status_error(429, errors=(ErrorDetail(971, "slow down"),), retry_after=30.0)
        assert "1200 requests per 5 minutes" in str(error)
        assert "retry after 30 s" in str(error)
        assert error.retry_after == 30.0

    def test_url_user_info_is_redacted(self) -> None:
        """Never shows a user:password part of the URL."""
        error = status_error(404, url="https://user:s3cr3t@example.com/client/v4/x")
        assert "s3cr3t" not in str(error)
        assert "s3cr3t" not in error.url
        assert "example.com/client/v4/x" in str(error)

    def test_round_trips_through_pickle(self) -> None:
        """Pickles and unpickles with every attribute and the same message."""
        error = status_error(403, credential_kind="api_token", detail="d", retry_after=1.0)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is PermissionDeniedError
        assert str(copy) == str(error)
        assert copy.errors == error.errors
        assert copy.status_code == 403


class TestInvalidInputError:
    def test_names_property_and_rule(self) -> None:
        """Names the property and the rule, and is a ValueError."""
        error = InvalidInputError("member_id", "must be 32 hex characters", value="x")
        assert error.prop == "member_id"
        assert error.rule == "must be 32 hex characters"
        assert str(error) == "invalid member_id: must be 32 hex characters (got 'x')"
        assert isinstance(error, ValueError)
        assert isinstance(error, CloudflareError)

    def test_without_value(self) -> None:
        """Leaves the value out when none was given."""
        assert str(InvalidInputError(prop="p", rule="r")) == "invalid p: r"

    def test_long_values_are_cut(self) -> None:
        """Cuts a huge value down in the message and says how long it was."""
        message = str(InvalidInputError("account_id", "r", value="x" * 10_000))
        assert len(message) < 300
        assert "10000 characters" in message

    def test_round_trips_through_pickle(self) -> None:
        """Pickles with its property and rule."""
        copy = pickle.loads(pickle.dumps(InvalidInputError("p", "r", value=1)))
        assert (copy.prop, copy.rule, str(copy)) == ("p", "r", "invalid p: r (got 1)")


class TestAPIConnectionError:
    def test_message_and_attributes(self) -> None:
        """Names the operation, method, URL and the reason."""
        error = APIConnectionError(
            operation="add group members", method="POST", url=URL, reason="ConnectionError: reset"
        )
        assert (
            str(error) == f"add group members: no response from POST {URL}: ConnectionError: reset"
        )
        assert (error.operation, error.method, error.url) == ("add group members", "POST", URL)

    def test_timeout_is_a_connection_error(self) -> None:
        """Is catchable as APIConnectionError and says it timed out."""
        error = APITimeoutError(operation="get user group", method="GET", url=URL)
        assert isinstance(error, APIConnectionError)
        assert str(error) == f"get user group: timed out waiting for GET {URL}"
        assert type(pickle.loads(pickle.dumps(error))) is APITimeoutError


class TestCredentialsError:
    def test_keeps_message(self) -> None:
        """Keeps its message and is a CloudflareError."""
        error = CredentialsError("no credentials")
        assert str(error) == "no credentials"
        assert isinstance(error, CloudflareError)
        assert str(pickle.loads(pickle.dumps(error))) == "no credentials"


class TestResourceErrorsPickle:
    @pytest.mark.parametrize(
        "error_class",
        [
            member.MembershipNotFoundError,
            member.MembershipMismatchError,
            member.MemberEmailNotFoundError,
            members.MemberEmailsNotFoundError,
            members.UserGroupNotFoundError,
            members.MemberSetMismatchError,
            errors.CredentialsError,
        ],
    )
    def test_message_only_errors_survive_pickling(self, error_class: type[Exception]) -> None:
        """Round-trips every message-only error through pickle with its type and message."""
        original = error_class("create UserGroupMember a/b/c: something went wrong")
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is error_class
        assert str(copy) == str(original)
