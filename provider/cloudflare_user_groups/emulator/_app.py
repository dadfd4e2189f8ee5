"""Socket-free request handling: auth, rate limit, faults, routing, envelopes, control API.

:meth:`Dispatcher.handle` turns one parsed HTTP request into an :class:`Outcome` (a response to
write, or an instruction to drop the connection); the HTTP server only does the socket work.
"""

from __future__ import annotations

import http
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from cloudflare_user_groups.emulator._errors import (
    CODE_AUTHENTICATION,
    CODE_BAD_IDENTIFIER,
    CODE_FAULT,
    CODE_FAULT_SUCCESS_FALSE,
    CODE_INVALID_AUTHORIZATION_HEADER,
    CODE_INVALID_EMAIL_HEADER,
    CODE_INVALID_HEADERS,
    CODE_INVALID_KEY_HEADER,
    CODE_METHOD_NOT_ALLOWED,
    CODE_NO_ROUTE,
    CODE_RATE_LIMITED,
    ApiError,
    invalid_body,
    invalid_parameter,
)
from cloudflare_user_groups.emulator._faults import Fault, FaultQueue
from cloudflare_user_groups.emulator._ratelimit import RateLimiter
from cloudflare_user_groups.emulator._state import (
    ACCOUNT_MEMBER_ORDERS,
    MEMBER_STATUSES,
    State,
    is_identifier,
    new_identifier,
    normalize_policies,
)

API_PREFIX = "/client/v4"
CONTROL_PREFIX = "/__emulator/"
_SECRET_HEADERS = frozenset({"authorization", "x-auth-key", "x-auth-user-service-key"})
_JSON = "application/json"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 90


@dataclass(frozen=True)
class RecordedRequest:
    """One API request the emulator answered (or dropped: ``status`` 0)."""

    method: str
    # The raw path as sent (still percent-encoded), without the ``/client/v4`` prefix.
    path: str
    query: dict[str, str] = field(hash=False)
    status: int
    # Extensions beyond the contract: lower-cased header names (secrets redacted) and the body.
    # They take no part in equality, so tests can compare the four contract fields.
    headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    body: bytes = field(default=b"", compare=False, repr=False)
    # When the request arrived, on the ``time.monotonic()`` clock (to measure pacing and waits).
    at: float = field(default=0.0, compare=False, repr=False)

    def to_json(self) -> dict[str, object]:
        """The fields the control API reports."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
        }


@dataclass(frozen=True)
class Outcome:
    """What to do with a request: write a response, or close the connection (``drop``)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    drop: bool = False


@dataclass(frozen=True)
class _Call:
    params: dict[str, str]
    query: dict[str, str]
    body: bytes


_Result = tuple[int, dict[str, object]]
_Operation = Callable[[_Call], _Result]


def envelope(result: object, result_info: dict[str, object] | None = None) -> dict[str, object]:
    """A v4 success envelope."""
    body: dict[str, object] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return body


def failure(errors: list[dict[str, object]]) -> dict[str, object]:
    """A v4 failure envelope."""
    return {"success": False, "errors": errors, "messages": [], "result": None}


def _json_bytes(value: object) -> bytes:
    return json.dumps(value).encode("utf-8")


def _printable(value: str) -> bool:
    return bool(value) and all("!" <= ch <= "~" for ch in value)


def check_credentials(
    headers: Mapping[str, str],
    tokens: frozenset[str] | None,
    api_keys: Mapping[str, str] | None,
) -> None:
    """Raise :class:`ApiError` unless the headers carry acceptable credentials."""
    open_door = tokens is None and api_keys is None
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not _printable(token):
            raise ApiError.single(
                400,
                CODE_INVALID_HEADERS,
                "Invalid request headers",
                chain=(
                    CODE_INVALID_AUTHORIZATION_HEADER,
                    "Invalid format for Authorization header",
                ),
            )
        if open_door or (tokens is not None and token in tokens):
            return
        raise ApiError.single(403, CODE_AUTHENTICATION, "Authentication error")
    key = headers.get("x-auth-key")
    email = headers.get("x-auth-email")
    if key is None or not _printable(key.strip()):
        raise ApiError.single(
            400,
            CODE_INVALID_HEADERS,
            "Invalid request headers",
            chain=(CODE_INVALID_KEY_HEADER, "Invalid format for X-Auth-Key header"),
        )
    if email is None or _EMAIL.fullmatch(email.strip()) is None:
        raise ApiError.single(
            400,
            CODE_INVALID_HEADERS,
            "Invalid request headers",
            chain=(CODE_INVALID_EMAIL_HEADER, "Invalid format for X-Auth-Email header"),
        )
    if open_door:
        return
    if api_keys is not None:
        expected = {k.casefold(): v for k, v in api_keys.items()}.get(email.strip().casefold())
        if expected is not None and expected == key.strip():
            return
    raise ApiError.single(403, CODE_AUTHENTICATION, "Authentication error")


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if re.fullmatch(r"[0-9]{1,9}", raw) is None or not low <= int(raw) <= high:
        raise invalid_parameter(f"{name} must be an integer between {low} and {high}")
    return int(raw)


def _choice_param(query: Mapping[str, str], name: str, choices: Iterable[str]) -> str | None:
    raw = query.get(name)
    allowed = tuple(choices)
    if raw is not None and raw not in allowed:
        raise invalid_parameter(f"{name} must be one of {', '.join(allowed)}")
    return raw


def _paginate(
    items: list[dict[str, object]], query: Mapping[str, str], default: int, low: int, high: int
) -> tuple[list[dict[str, object]], dict[str, object]]:
    page = _int_param(query, "page", 1, 1, 10**9)
    per_page = _int_param(query, "per_page", default, low, high)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    info: dict[str, object] = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": -(-len(items) // per_page),
    }
    return chunk, info


def _json_body(body: bytes) -> object:
    if not body.strip():
        raise invalid_body("a JSON body is required")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise invalid_body("malformed JSON") from exc


def _object_body(body: bytes) -> dict[str, object]:
    data = _json_body(body)
    if not isinstance(data, dict):
        raise invalid_body("expected a JSON object")
    return data


def _member_ids_body(body: bytes) -> list[str]:
    # The wire format is a bare array of {"id": ...}; an object wrapper is a client bug.
    data = _json_body(body)
    if not isinstance(data, list):
        raise invalid_body('expected a JSON array of {"id": "<member id>"} objects')
    ids: list[str] = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise invalid_body('each array item must be an object with a string "id"')
        ids.append(str(item["id"]))
    return ids


def _optional_str(data: Mapping[str, object], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_body(f"{name} must be a string")
    return value


def _required_name(data: Mapping[str, object]) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid_body("name must be a non-empty string")
    return name


def _email(value: object) -> str:
    if (
        not isinstance(value, str)
        or len(value) > MAX_EMAIL_LENGTH
        or _EMAIL.fullmatch(value) is None
    ):
        raise invalid_body("email must be a valid email address of at most 90 characters")
    return value


def _status(value: object) -> str | None:
    if value is not None and value not in MEMBER_STATUSES:
        raise invalid_body("status must be 'accepted' or 'pending'")
    return value if isinstance(value, str) else None


def _roles(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
        raise invalid_body("roles must be an array of role ids")
    return [str(role) for role in value]


def _policies(data: Mapping[str, object]) -> list[dict[str, object]] | None:
    return normalize_policies(data["policies"]) if data.get("policies") is not None else None


def _members_result(members: list[dict[str, object]]) -> object:
    # Cloudflare answers null rather than [] for a group without members.
    return members or None


_HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>api.cloudflare.com | {status}: {phrase}</title>
</head>
<body>
<div id="cf-error-details">
<h1>Error {status}</h1>
<h2>{phrase}</h2>
<p>The emulated edge answered this request with an HTML error page.</p>
<p>Cloudflare Ray ID: <strong>{ray}</strong></p>
</div>
</body>
</html>
"""


class Dispatcher:
    """Turns requests into outcomes against one :class:`State`."""

    def __init__(
        self,
        *,
        state: State,
        faults: FaultQueue,
        limiter: RateLimiter,
        lock: threading.RLock,
        stop: threading.Event,
        tokens: frozenset[str] | None,
        api_keys: Mapping[str, str] | None,
        latency: float,
    ) -> None:
        self.state = state
        self.faults = faults
        self.limiter = limiter
        self.tokens = tokens
        self.api_keys = dict(api_keys) if api_keys is not None else None
        self.latency = latency
        self._lock = lock
        self._stop = stop
        self._log: list[RecordedRequest] = []
        self._routes: list[tuple[tuple[str, ...], dict[str, _Operation]]] = [
            (
                ("accounts", "{account_id}", "members"),
                {"GET": self._list_account_members, "POST": self._create_account_member},
            ),
            (
                ("accounts", "{account_id}", "members", "{member_id}"),
                {
                    "GET": self._get_account_member,
                    "PUT": self._update_account_member,
                    "DELETE": self._delete_account_member,
                },
            ),
            (
                ("accounts", "{account_id}", "iam", "user_groups"),
                {"GET": self._list_user_groups, "POST": self._create_user_group},
            ),
            (
                ("accounts", "{account_id}", "iam", "user_groups", "{user_group_id}"),
                {
                    "GET": self._get_user_group,
                    "PUT": self._update_user_group,
                    "DELETE": self._delete_user_group,
                },
            ),
            (
                ("accounts", "{account_id}", "iam", "user_groups", "{user_group_id}", "members"),
                {
                    "GET": self._list_group_members,
                    "POST": self._add_group_members,
                    "PUT": self._replace_group_members,
                },
            ),
            (
                (
                    "accounts",
                    "{account_id}",
                    "iam",
                    "user_groups",
                    "{user_group_id}",
                    "members",
                    "{member_id}",
                ),
                {"GET": self._get_group_member, "DELETE": self._remove_group_member},
            ),
        ]

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log."""
        with self._lock:
            return list(self._log)

    def reset_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    def _record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        at: float,
    ) -> None:
        shown = {k: ("[redacted]" if k in _SECRET_HEADERS else v) for k, v in headers.items()}
        with self._lock:
            self._log.append(RecordedRequest(method, path, query, status, shown, body, at))

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, returning early when the emulator stops."""
        if seconds > 0:
            self._stop.wait(seconds)

    # -- entry point -------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one request; ``headers`` must have lower-case names."""
        received = time.monotonic()
        method = method.upper()
        raw_path, _, raw_query = target.partition("?")
        if raw_path.startswith(CONTROL_PREFIX):
            return self._control(method, raw_path[len(CONTROL_PREFIX) :], body)
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        if raw_path != API_PREFIX and not raw_path.startswith(API_PREFIX + "/"):
            outcome = self._failure(
                ApiError.single(404, CODE_NO_ROUTE, "No route for that URI"), ()
            )
            self._record(method, raw_path, query, outcome.status, headers, body, received)
            return outcome
        path = raw_path[len(API_PREFIX) :]
        outcome = self._api(method, path, query, headers, body)
        status = 0 if outcome.drop else outcome.status
        self._record(method, path, query, status, headers, body, received)
        return outcome

    def _api(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Outcome:
        self.sleep(self.latency)
        decision = self.limiter.spend()
        rate_headers = decision.headers if decision is not None else ()
        if decision is not None and not decision.allowed:
            return self._failure(
                ApiError.single(
                    429,
                    CODE_RATE_LIMITED,
                    "Please wait and consider throttling your request speed",
                ),
                (*rate_headers, ("Retry-After", str(decision.retry_after))),
            )
        fault = self.faults.take(method, path)
        drop_after = False
        if fault is not None:
            if fault.kind == "delay":
                self.sleep(fault.delay)
            elif fault.kind == "drop_after":
                drop_after = True
            else:
                return self._fault_outcome(fault, rate_headers)
        try:
            check_credentials(headers, self.tokens, self.api_keys)
            status, payload = self._route(method, path, query, body)
        except ApiError as exc:
            outcome = self._failure(exc, rate_headers)
        else:
            outcome = self._json(status, payload, rate_headers)
        return Outcome(drop=True) if drop_after else outcome

    # -- responses ---------------------------------------------------------------------------

    def _json(self, status: int, payload: object, extra: Iterable[tuple[str, str]]) -> Outcome:
        headers = (
            ("Content-Type", _JSON),
            ("Cf-Ray", f"{secrets.token_hex(8)}-EMU"),
            *extra,
        )
        return Outcome(status, headers, _json_bytes(payload))

    def _failure(self, error: ApiError, extra: Iterable[tuple[str, str]]) -> Outcome:
        return self._json(error.status, failure(error.errors), extra)

    def _fault_outcome(self, fault: Fault, rate_headers: tuple[tuple[str, str], ...]) -> Outcome:
        if fault.kind == "drop_before":
            return Outcome(drop=True)
        extra = list(rate_headers)
        if fault.retry_after is not None:
            extra.append(("Retry-After", fault.retry_after))
        if fault.kind == "success_false":
            error = {
                "code": fault.code if fault.code is not None else CODE_FAULT_SUCCESS_FALSE,
                "message": fault.message or "Emulated failure reported with HTTP 200",
            }
            return self._json(200, failure([error]), extra)
        if fault.kind == "truncated":
            whole = _json_bytes(envelope({"id": new_identifier(), "name": "truncated"}))
            return Outcome(200, (("Content-Type", _JSON), *extra), whole[: len(whole) // 2])
        phrase = _phrase(fault.status)
        if fault.kind == "html":
            page = _HTML_PAGE.format(status=fault.status, phrase=phrase, ray=secrets.token_hex(8))
            return Outcome(
                fault.status,
                (("Content-Type", "text/html; charset=UTF-8"), *extra),
                page.encode("utf-8"),
            )
        default_code = CODE_RATE_LIMITED if fault.status == 429 else CODE_FAULT
        error = {
            "code": fault.code if fault.code is not None else default_code,
            "message": fault.message or f"{phrase} (emulated fault)",
        }
        return self._json(fault.status, failure([error]), extra)

    # -- routing -----------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> _Result:
        segments = path.split("/")[1:] if path.startswith("/") else [path]
        for template, operations in self._routes:
            if len(template) != len(segments) or any(
                not t.startswith("{") and t != s for t, s in zip(template, segments, strict=True)
            ):
                continue
            params: dict[str, str] = {}
            for name, segment in zip(template, segments, strict=True):
                if name.startswith("{"):
                    value = unquote(segment)
                    if not is_identifier(value):
                        raise self._bad_identifier(path)
                    params[name[1:-1]] = value.lower()
            operation = operations.get(method)
            if operation is None:
                raise ApiError.single(
                    405, CODE_METHOD_NOT_ALLOWED, f"Method {method} not allowed for {path}"
                )
            return operation(_Call(params, query, body))
        if (
            len(segments) >= 2
            and segments[0] == "accounts"
            and not is_identifier(unquote(segments[1]))
        ):
            raise self._bad_identifier(path)
        raise ApiError.single(404, CODE_NO_ROUTE, "No route for that URI")

    @staticmethod
    def _bad_identifier(path: str) -> ApiError:
        return ApiError(
            400,
            [
                {
                    "code": CODE_BAD_IDENTIFIER,
                    "message": f"Could not route to {path}, perhaps your object identifier "
                    "is invalid?",
                },
                {"code": CODE_NO_ROUTE, "message": "No route for that URI"},
            ],
        )

    # -- account members ---------------------------------------------------------------------

    def _list_account_members(self, call: _Call) -> _Result:
        direction = _choice_param(call.query, "direction", ("asc", "desc"))
        order = _choice_param(call.query, "order", ACCOUNT_MEMBER_ORDERS)
        status = _choice_param(call.query, "status", ("accepted", "pending", "rejected"))
        items = self.state.list_account_members(
            call.params["account_id"],
            order=order or "user.email",
            descending=direction == "desc",
            status=status,
        )
        chunk, info = _paginate(items, call.query, 20, 5, 50)
        return 200, envelope(chunk, info)

    def _create_account_member(self, call: _Call) -> _Result:
        data = _object_body(call.body)
        member = self.state.add_account_member(
            call.params["account_id"],
            _email(data.get("email")),
            status=_status(data.get("status")) or "pending",
            roles=_roles(data.get("roles")) or (),
            policies=_policies(data),
        )
        return 200, envelope(member)

    def _get_account_member(self, call: _Call) -> _Result:
        member = self.state.get_account_member(call.params["account_id"], call.params["member_id"])
        return 200, envelope(member)

    def _update_account_member(self, call: _Call) -> _Result:
        data = _object_body(call.body)
        member = self.state.update_account_member(
            call.params["account_id"],
            call.params["member_id"],
            roles=_roles(data.get("roles")),
            policies=_policies(data),
            status=_status(data.get("status")),
        )
        return 200, envelope(member)

    def _delete_account_member(self, call: _Call) -> _Result:
        result = self.state.delete_account_member(
            call.params["account_id"], call.params["member_id"]
        )
        return 200, envelope(result)

    # -- user groups -------------------------------------------------------------------------

    def _list_user_groups(self, call: _Call) -> _Result:
        direction = _choice_param(call.query, "direction", ("asc", "desc"))
        group_id = call.query.get("id")
        if group_id is not None and not is_identifier(group_id):
            raise invalid_parameter("id must be a 32-character hex identifier")
        items = self.state.list_user_groups(
            call.params["account_id"],
            user_group_id=group_id,
            name=call.query.get("name"),
            fuzzy_name=call.query.get("fuzzyName"),
            descending=direction == "desc",
        )
        chunk, info = _paginate(items, call.query, 100, 1, 500)
        return 200, envelope(chunk, info)

    def _create_user_group(self, call: _Call) -> _Result:
        data = _object_body(call.body)
        group = self.state.create_user_group(
            call.params["account_id"], _required_name(data), _policies(data)
        )
        return 200, envelope(group)

    def _get_user_group(self, call: _Call) -> _Result:
        group = self.state.get_user_group(call.params["account_id"], call.params["user_group_id"])
        return 200, envelope(group)

    def _update_user_group(self, call: _Call) -> _Result:
        data = _object_body(call.body)
        name = _required_name(data) if data.get("name") is not None else None
        group = self.state.update_user_group(
            call.params["account_id"],
            call.params["user_group_id"],
            name=name,
            policies=_policies(data),
        )
        return 200, envelope(group)

    def _delete_user_group(self, call: _Call) -> _Result:
        result = self.state.delete_user_group(
            call.params["account_id"], call.params["user_group_id"]
        )
        return 200, envelope(result)

    # -- group members -----------------------------------------------------------------------

    def _list_group_members(self, call: _Call) -> _Result:
        direction = _choice_param(call.query, "direction", ("asc", "desc"))
        items, group_size = self.state.list_group_members(
            call.params["account_id"],
            call.params["user_group_id"],
            fuzzy_email=call.query.get("fuzzyEmail"),
            descending=direction == "desc",
        )
        chunk, info = _paginate(items, call.query, 100, 1, 500)
        result: object = chunk if chunk or group_size else None
        return 200, envelope(result, info)

    def _add_group_members(self, call: _Call) -> _Result:
        members = self.state.add_group_members(
            call.params["account_id"], call.params["user_group_id"], _member_ids_body(call.body)
        )
        return 200, envelope(_members_result(members))

    def _replace_group_members(self, call: _Call) -> _Result:
        members = self.state.replace_group_members(
            call.params["account_id"], call.params["user_group_id"], _member_ids_body(call.body)
        )
        return 200, envelope(_members_result(members))

    def _get_group_member(self, call: _Call) -> _Result:
        member = self.state.get_group_member(
            call.params["account_id"], call.params["user_group_id"], call.params["member_id"]
        )
        return 200, envelope(member)

    def _remove_group_member(self, call: _Call) -> _Result:
        member = self.state.remove_group_member(
            call.params["account_id"], call.params["user_group_id"], call.params["member_id"]
        )
        return 200, envelope(member)

    # -- control API -------------------------------------------------------------------------

    def _control(self, method: str, name: str, body: bytes) -> Outcome:
        handlers: dict[tuple[str, str], Callable[[bytes], tuple[int, object]]] = {
            ("GET", "requests"): lambda _: (
                200,
                {"requests": [r.to_json() for r in self.requests]},
            ),
            ("POST", "reset-requests"): self._control_reset_requests,
            ("GET", "faults"): lambda _: (200, {"faults": self._pending_faults()}),
            ("POST", "faults"): self._control_inject,
            ("DELETE", "faults"): lambda _: (200, {"cleared": self.faults.clear()}),
            ("POST", "seed/account-member"): self._control_seed_member,
            ("POST", "seed/user-group"): self._control_seed_group,
            ("POST", "seed/group-members"): self._control_seed_group_members,
            ("POST", "rate-limit"): self._control_rate_limit,
            ("POST", "latency"): self._control_latency,
        }
        handler = handlers.get((method, name))
        if handler is None:
            known = any(path == name for _, path in handlers)
            status = 405 if known else 404
            return self._plain(
                status, {"error": f"no control endpoint {method} /__emulator/{name}"}
            )
        try:
            status, payload = handler(body)
        except ApiError as exc:
            return self._plain(exc.status, {"error": exc.first_message})
        except (ValueError, KeyError) as exc:
            return self._plain(400, {"error": str(exc)})
        return self._plain(status, payload)

    @staticmethod
    def _plain(status: int, payload: object) -> Outcome:
        return Outcome(status, (("Content-Type", _JSON),), _json_bytes(payload))

    def _pending_faults(self) -> list[dict[str, object]]:
        return [
            {**fault.to_json(), "remaining": remaining}
            for fault, remaining in self.faults.pending()
        ]

    def _control_reset_requests(self, _: bytes) -> tuple[int, object]:
        self.reset_requests()
        return 200, {"requests": []}

    def _control_inject(self, body: bytes) -> tuple[int, object]:
        fault = Fault.from_json(_json_body(body))
        self.faults.inject(fault)
        return 201, {"fault": fault.to_json()}

    def _control_seed_member(self, body: bytes) -> tuple[int, object]:
        data = _object_body(body)
        member = self.state.add_account_member(
            _control_identifier(data, "account_id"),
            _email(data.get("email")),
            status=_status(data.get("status")) or "accepted",
            first_name=_optional_str(data, "first_name"),
            last_name=_optional_str(data, "last_name"),
        )
        return 201, member

    def _control_seed_group(self, body: bytes) -> tuple[int, object]:
        data = _object_body(body)
        group = self.state.create_user_group(
            _control_identifier(data, "account_id"), _required_name(data)
        )
        return 201, group

    def _control_seed_group_members(self, body: bytes) -> tuple[int, object]:
        data = _object_body(body)
        account_id = _control_identifier(data, "account_id")
        group_id = _control_identifier(data, "user_group_id")
        member_ids = data.get("member_ids")
        if not isinstance(member_ids, list) or not all(isinstance(m, str) for m in member_ids):
            raise ValueError("member_ids must be an array of strings")
        self.state.add_group_members(account_id, group_id, [str(m) for m in member_ids])
        return 200, {"member_ids": sorted(self.state.group_member_ids(account_id, group_id))}

    def _control_rate_limit(self, body: bytes) -> tuple[int, object]:
        data = _object_body(body)
        limit, window, block = data.get("limit"), data.get("window", 300.0), data.get("block")
        if limit is not None and not isinstance(limit, int):
            raise ValueError("limit must be an integer or null")
        if not isinstance(window, int | float):
            raise ValueError("window must be a number")
        if block is not None and not isinstance(block, int | float):
            raise ValueError("block must be a number or null")
        self.limiter.configure(limit, window, block)
        return 200, {"limit": limit, "window": window, "block": block}

    def _control_latency(self, body: bytes) -> tuple[int, object]:
        seconds = _object_body(body).get("seconds")
        self.set_latency(seconds)
        return 200, {"seconds": self.latency}

    def set_latency(self, seconds: object) -> None:
        """Delay every API request by ``seconds`` before it is handled."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("latency must be a non-negative number of seconds")
        self.latency = float(seconds)


def _control_identifier(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    if not is_identifier(value):
        raise ValueError(f"{name} must be a 32-character hex identifier")
    return str(value).lower()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
