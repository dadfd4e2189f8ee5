"""Socket-free tests of the client's envelope handling, retries, backoff, deadline and pacing."""

from __future__ import annotations

import email.utils
import io
import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from cloudflare_user_groups.client import (
    CloudflareClient,
    Credentials,
    RetryPolicy,
    parse_retry_after,
)
from cloudflare_user_groups.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from cloudflare_user_groups.models import GroupMember, UserGroup
from cloudflare_user_groups.pacing import Pacer
from tests.fakes import FakeClock

TOKEN = "tok_SECRET_0123456789abcdefghijklmnopq"
BASE = "https://api.example.test/client/v4"
A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M1 = "11111111111111111111111111111111"
M2 = "22222222222222222222222222222222"

Step = tuple[int, object, Mapping[str, str]] | BaseException


def envelope(
    result: object = None,
    *,
    success: bool = True,
    errors: list[Any] | None = None,
    result_info: dict[str, int] | None = None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "success": success,
        "errors": errors or [],
        "messages": [],
        "result": result,
    }
    if result_info is not None:
        body["result_info"] = result_info
    return body


def ok(result: object = None, **headers: str) -> Step:
    return (200, envelope(result), headers)


def fail(status: int, code: int = 1000, message: str = "failure", **headers: str) -> Step:
    body = envelope(success=False, errors=[{"code": code, "message": message}])
    return (status, body, headers)


class FakeAdapter(requests.adapters.BaseAdapter):
    """Answers each request with the next scripted step: a response or an exception."""

    def __init__(self, steps: list[Step] | Callable[[requests.PreparedRequest], Step]) -> None:
        super().__init__()
        self.steps = steps
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[object] = []
        self.lock = threading.Lock()

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,
        verify: object = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        with self.lock:
            self.sent.append(request)
            self.timeouts.append(timeout)
            if callable(self.steps):
                step = self.steps(request)
            else:
                assert self.steps, f"unexpected request {request.method} {request.url}"
                step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, body, headers = step
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        if isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body).encode()
            response.headers.setdefault("Content-Type", "application/json")
        response.raw = io.BytesIO(raw)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


class Harness:
    """A client wired to a fake adapter, a fake clock and a pacer on that clock."""

    def __init__(
        self,
        steps: list[Step] | Callable[[requests.PreparedRequest], Step],
        *,
        retry: RetryPolicy | None = None,
        credentials: Credentials | None = None,
        rng: float = 0.0,
        pacer_limit: int = 1000,
    ) -> None:
        self.adapter = FakeAdapter(steps)
        self.clock = FakeClock(500.0)
        self.pacer = Pacer(pacer_limit, 300, clock=self.clock, sleep=self.clock.sleep)
        self.sessions: list[requests.Session] = []
        self.client = CloudflareClient(
            credentials or Credentials("api_token", TOKEN),
            base_url=BASE,
            retry=retry or RetryPolicy(max_attempts=5, deadline=60.0),
            pacer=self.pacer,
            session_factory=self.session,
            sleep=self.clock.sleep,
            clock=self.clock,
            rng=lambda: rng,
        )

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://", self.adapter)
        session.mount("http://", self.adapter)
        self.sessions.append(session)
        return session

    @property
    def count(self) -> int:
        return len(self.adapter.sent)


@pytest.fixture
def make() -> Any:
    made: list[Harness] = []

    def factory(*args: Any, **kwargs: Any) -> Harness:
        harness = Harness(*args, **kwargs)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.client.close()


class TestParseRetryAfter:
    NOW = 1_700_000_000.0

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("0", 0.0),
            ("5", 5.0),
            (" 7 ", 7.0),
            ("1.5", 1.5),
            ("-1", None),
            ("-0.5", None),
            ("abc", None),
            ("5s", None),
            ("1e3", None),
            ("nan", None),
            ("inf", None),
            ("99999999999", 99999999999.0),
            (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
            (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
            ("Tue, 14 Nov 2023 22:13:50 +0000", 30.0),
            ("Tue, 14 Nov 2023 22:13:50 -0000", 30.0),
            ("Tue, 99 Nov 2023 22:13:50 GMT", None),
            ("Tuesday", None),
        ],
    )
    def test_table(self, value: str | None, expected: float | None) -> None:
        """Reads seconds or an HTTP date (past dates give 0) and ignores garbage and negatives."""
        assert parse_retry_after(value, now=self.NOW) == expected


class TestRetryPolicyBackoff:
    @pytest.mark.parametrize(
        ("retries", "rng", "expected"),
        [
            (0, 0.0, 0.5),
            (1, 0.0, 1.0),
            (2, 0.0, 2.0),
            (3, 0.0, 4.0),
            (4, 0.0, 8.0),
            (5, 0.0, 8.0),
            (10_000, 0.0, 8.0),
            (-3, 0.0, 0.5),
            (0, 1.0, 0.375),
            (4, 1.0, 6.0),
            (2, 0.5, 1.75),
        ],
    )
    def test_table(self, retries: int, rng: float, expected: float) -> None:
        """Doubles from 0.5 s up to 8 s and takes off up to a quarter as jitter."""
        assert RetryPolicy().backoff(retries, lambda: rng) == pytest.approx(expected)

    @pytest.mark.parametrize("retries", range(12))
    def test_bounds(self, retries: int) -> None:
        """Stays within [0.75, 1] of the capped exponential for any jitter."""
        policy = RetryPolicy(initial_delay=0.01, max_delay=0.1)
        cap = min(0.01 * 2**retries, 0.1)
        for rng in (0.0, 0.3, 0.999):
            assert 0.75 * cap - 1e-12 <= policy.backoff(retries, lambda r=rng: r) <= cap

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"max_attempts": 0},
            {"max_attempts": 1.5},
            {"max_attempts": True},
            {"deadline": -1},
            {"initial_delay": -0.1},
            {"max_delay": float("nan")},
            {"max_retry_after": "5"},
        ],
    )
    def test_rejects_invalid_settings(self, kwargs: dict[str, object]) -> None:
        """Refuses settings that would make retrying meaningless."""
        with pytest.raises(InvalidInputError):
            RetryPolicy(**kwargs)  # type: ignore[arg-type]


class TestEnvelope:
    def test_unwraps_a_single_result(self, make: Any) -> None:
        """Returns the unwrapped result of a single-object response."""
        h = make([ok({"id": G, "name": "Admins", "created_on": "c", "modified_on": "m"})])
        assert h.client.get_user_group(A, G) == UserGroup(G, "Admins", "c", "m")
        assert h.adapter.sent[0].url == f"{BASE}/accounts/{A}/iam/user_groups/{G}"

    def test_success_false_on_200_is_raised_without_retry(self, make: Any) -> None:
        """Raises a plain APIStatusError with the codes for success:false on a 200."""
        h = make([(200, envelope(success=False, errors=[{"code": 1234, "message": "nope"}]), {})])
        with pytest.raises(APIStatusError) as info:
            h.client.get_user_group(A, G)
        assert type(info.value) is APIStatusError
        assert info.value.status_code == 200
        assert info.value.has_code(1234)
        assert "[1234] nope" in str(info.value)
        assert h.count == 1

    def test_html_error_page_is_described(self, make: Any) -> None:
        """Turns an HTML 5xx page into a clear error quoting status, content type and title."""
        page = (
            b"<!DOCTYPE html><html><head><title>api.example.test | 502: Bad gateway</title>"
            b"</head><body>Cloudflare</body></html>"
        )
        step = (502, page, {"Content-Type": "text/html; charset=UTF-8"})
        h = make([step] * 2, retry=RetryPolicy(max_attempts=2, deadline=60))
        with pytest.raises(InternalServerError) as info:
            h.client.get_user_group(A, G)
        text = str(info.value)
        assert "HTTP 502" in text
        assert "not valid JSON" in text
        assert "text/html" in text
        assert "502: Bad gateway" in text
        assert "Traceback" not in text and "JSONDecodeError" not in text
        assert h.count == 2

    def test_truncated_json_on_200_is_retried(self, make: Any) -> None:
        """Retries a 200 whose JSON body is cut off, then returns the result."""
        cut = json.dumps(envelope({"id": G, "name": "x"})).encode()[:25]
        h = make([(200, cut, {"Content-Type": "application/json"}), ok({"id": G, "name": "x"})])
        assert h.client.get_user_group(A, G).name == "x"
        assert h.count == 2

    def test_truncated_json_exhausted(self, make: Any) -> None:
        """Raises InvalidResponseError naming the JSON problem once retries run out."""
        cut = (200, b'{"success": true, "res', {"Content-Type": "application/json"})
        h = make([cut] * 3, retry=RetryPolicy(max_attempts=3, deadline=60))
        with pytest.raises(InvalidResponseError) as info:
            h.client.get_user_group(A, G)
        assert "not valid JSON" in str(info.value)
        assert h.count == 3

    def test_json_that_is_not_an_envelope(self, make: Any) -> None:
        """Refuses a 200 whose JSON is not an envelope, without retrying."""
        h = make([(200, [1, 2], {})])
        with pytest.raises(InvalidResponseError, match="not a Cloudflare API envelope"):
            h.client.get_user_group(A, G)
        assert h.count == 1

    def test_result_of_the_wrong_shape(self, make: Any) -> None:
        """Refuses a result without the required fields, without retrying."""
        h = make([ok({"name": "no id"})])
        with pytest.raises(InvalidResponseError, match="unexpected result"):
            h.client.get_user_group(A, G)
        assert h.count == 1

    def test_redirect_is_not_followed(self, make: Any) -> None:
        """Refuses to follow a redirect (it could carry the credentials elsewhere)."""
        h = make([(301, b"", {"Location": "https://elsewhere.example/"})])
        with pytest.raises(APIStatusError, match="not followed"):
            h.client.get_user_group(A, G)
        assert h.count == 1

    @pytest.mark.parametrize(
        ("result", "expected"),
        [
            (None, []),
            (
                {"id": M1, "email": "a@b.co", "status": "accepted"},
                [GroupMember(M1, "a@b.co", "accepted")],
            ),
            ([{"id": M1}, {"id": M2}], [GroupMember(M1), GroupMember(M2)]),
        ],
    )
    def test_add_tolerates_object_null_and_list(
        self, make: Any, result: object, expected: list[GroupMember]
    ) -> None:
        """Reads the add echo as a list, a single object or null."""
        h = make([ok(result)])
        assert h.client.add_group_members(A, G, [M1]) == expected

    def test_add_sends_a_bare_array_of_lower_case_unique_ids(self, make: Any) -> None:
        """POSTs a bare JSON array of unique, lower-cased ids with the right headers."""
        h = make([ok([{"id": M1}])])
        h.client.add_group_members(A.upper(), G, [M1, M1.upper(), "A" * 32])
        request = h.adapter.sent[0]
        assert request.method == "POST"
        assert request.url == f"{BASE}/accounts/{A}/iam/user_groups/{G}/members"
        assert json.loads(request.body or b"") == [{"id": M1}, {"id": "a" * 32}]
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["User-Agent"].startswith("pulumi-cloudflare-user-groups/")
        assert "python-requests/" in request.headers["User-Agent"]

    def test_replace_accepts_an_empty_set(self, make: Any) -> None:
        """PUTs an empty array to clear the group and reads a null result as no members."""
        h = make([ok(None)])
        assert h.client.replace_group_members(A, G, []) == []
        assert h.adapter.sent[0].method == "PUT"
        assert h.adapter.sent[0].body == b"[]"

    def test_remove_returns_the_removed_member(self, make: Any) -> None:
        """Returns the member that a DELETE removed."""
        h = make([ok({"id": M1, "email": "a@b.co", "status": "accepted"})])
        assert h.client.remove_group_member(A, G, M1) == GroupMember(M1, "a@b.co", "accepted")
        assert h.adapter.sent[0].url == f"{BASE}/accounts/{A}/iam/user_groups/{G}/members/{M1}"

    def test_api_key_headers(self, make: Any) -> None:
        """Sends X-Auth-Email and X-Auth-Key for a Global API key."""
        h = make(
            [ok({"id": G, "name": "x"})], credentials=Credentials("api_key", "k" * 37, "me@x.io")
        )
        h.client.get_user_group(A, G)
        headers = h.adapter.sent[0].headers
        assert headers["X-Auth-Email"] == "me@x.io"
        assert headers["X-Auth-Key"] == "k" * 37
        assert "Authorization" not in headers


class TestPagination:
    @staticmethod
    def page(ids: list[str], page: int, per_page: int, total: int | None) -> Step:
        info = {"page": page, "per_page": per_page, "count": len(ids)}
        if total is not None:
            info.update(total_count=total, total_pages=-(-total // per_page))
        result = [{"id": i, "email": f"{i[:4]}@x.io", "status": "accepted"} for i in ids]
        return (200, envelope(result, result_info=info), {})

    def ids(self, count: int, offset: int = 0) -> list[str]:
        return [f"{n:032x}" for n in range(offset, offset + count)]

    def test_follows_total_pages(self, make: Any) -> None:
        """Requests exactly total_pages pages and returns every member in order."""
        members = self.ids(7)
        h = make(
            [
                self.page(members[0:3], 1, 3, 7),
                self.page(members[3:6], 2, 3, 7),
                self.page(members[6:7], 3, 3, 7),
            ]
        )
        result = h.client.list_group_members(A, G, per_page=3)
        assert [m.id for m in result] == members
        assert [r.url.rsplit("?", 1)[1] for r in h.adapter.sent] == [
            "page=1&per_page=3",
            "page=2&per_page=3",
            "page=3&per_page=3",
        ]

    def test_stops_on_a_short_page_without_total(self, make: Any) -> None:
        """Stops at the first page shorter than per_page when total_pages is absent."""
        members = self.ids(5)
        h = make([self.page(members[0:3], 1, 3, None), self.page(members[3:5], 2, 3, None)])
        assert len(h.client.list_group_members(A, G, per_page=3)) == 5
        assert h.count == 2

    def test_stops_on_an_empty_page(self, make: Any) -> None:
        """Stops at an empty page even when total_pages promised more."""
        members = self.ids(3)
        h = make([self.page(members, 1, 3, 9), self.page([], 2, 3, 9)])
        assert len(h.client.list_group_members(A, G, per_page=3)) == 3
        assert h.count == 2

    def test_null_result_is_an_empty_group(self, make: Any) -> None:
        """Reads ``result: null`` as no members."""
        h = make([ok(None)])
        assert h.client.list_group_members(A, G) == []

    def test_duplicates_across_pages_are_dropped(self, make: Any) -> None:
        """Lists a member once even when a shifted page repeats it."""
        members = self.ids(4)
        h = make([self.page(members[0:2], 1, 2, 4), self.page(members[1:3], 2, 2, 4)])
        assert [m.id for m in h.client.list_group_members(A, G, per_page=2)] == members[:3]

    def test_query_parameters(self, make: Any) -> None:
        """Sends fuzzyEmail and direction with the API's spelling, escaped."""
        h = make([ok([])])
        h.client.list_group_members(A, G, fuzzy_email="a+b@x", direction="desc", per_page=10)
        assert h.adapter.sent[0].url.endswith(
            "?fuzzyEmail=a%2Bb%40x&direction=desc&page=1&per_page=10"
        )

    @pytest.mark.parametrize(
        ("kwargs", "prop"),
        [
            ({"per_page": 0}, "per_page"),
            ({"per_page": 501}, "per_page"),
            ({"per_page": True}, "per_page"),
            ({"direction": "up"}, "direction"),
            ({"fuzzy_email": ""}, "fuzzy_email"),
            ({"fuzzy_email": 5}, "fuzzy_email"),
        ],
    )
    def test_invalid_list_options(self, make: Any, kwargs: dict[str, object], prop: str) -> None:
        """Refuses invalid list options before any request."""
        h = make([])
        with pytest.raises(InvalidInputError) as info:
            h.client.list_group_members(A, G, **kwargs)
        assert info.value.prop == prop
        assert h.count == 0

    def test_account_member_page_size_range(self, make: Any) -> None:
        """Keeps account-member pages within the API's 5 to 50."""
        h = make([])
        with pytest.raises(InvalidInputError, match="from 5 to 50"):
            h.client.list_account_members(A, per_page=100)

    def test_find_by_email_stops_at_the_match(self, make: Any) -> None:
        """Matches an email case-insensitively, also via the user, and stops paging there."""
        first = [{"id": f"{n:032x}", "email": f"p{n}@x.io"} for n in range(5)]
        second = [{"id": M1, "user": {"id": A, "email": "Jane@Example.com"}}]
        info = {"page": 1, "per_page": 5, "total_pages": 3}
        h = make(
            [
                (200, envelope(first, result_info=info), {}),
                (200, envelope(second, result_info=info), {}),
            ]
        )
        member = h.client.find_account_member_by_email(A, "jane@EXAMPLE.com")
        assert member is not None and member.id == M1
        assert h.count == 2

    def test_find_by_email_none(self, make: Any) -> None:
        """Returns None when no member has the email."""
        h = make([ok([{"id": M1, "email": "a@b.co"}])])
        assert h.client.find_account_member_by_email(A, "z@b.co") is None


class TestStatusRetries:
    @pytest.mark.parametrize(
        ("status", "cls", "retried"),
        [
            (400, BadRequestError, False),
            (401, AuthenticationError, False),
            (403, PermissionDeniedError, False),
            (404, NotFoundError, False),
            (405, APIStatusError, False),
            (408, APIStatusError, True),
            (409, ConflictError, True),
            (422, UnprocessableEntityError, False),
            (429, RateLimitError, True),
            (500, InternalServerError, True),
            (502, InternalServerError, True),
            (503, InternalServerError, True),
            (504, InternalServerError, True),
        ],
    )
    def test_table(self, make: Any, status: int, cls: type[APIStatusError], retried: bool) -> None:
        """Raises the class of the status, after three attempts only if the status is retried."""
        h = make([fail(status, 1234, "bad")] * 3, retry=RetryPolicy(max_attempts=3, deadline=600))
        with pytest.raises(APIStatusError) as info:
            h.client.list_user_groups(A)
        assert type(info.value) is cls
        assert info.value.status_code == status
        assert info.value.has_code(1234)
        assert h.count == (3 if retried else 1)

    def test_retries_then_succeeds(self, make: Any) -> None:
        """Retries a 503 and then returns the list."""
        h = make([fail(503), ok([{"id": G, "name": "x"}])])
        assert [g.id for g in h.client.list_user_groups(A)] == [G]
        assert h.count == 2

    def test_backoff_sleeps(self, make: Any) -> None:
        """Sleeps 0.5, 1, 2 and 4 s between five attempts (without jitter)."""
        h = make([fail(500)] * 5, retry=RetryPolicy(max_attempts=5, deadline=600))
        with pytest.raises(InternalServerError):
            h.client.get_user_group(A, G)
        assert h.clock.sleeps == [0.5, 1.0, 2.0, 4.0]

    def test_jitter_shortens_waits(self, make: Any) -> None:
        """Takes a quarter off each wait with the largest jitter."""
        h = make([fail(500)] * 3, retry=RetryPolicy(max_attempts=3, deadline=600), rng=1.0)
        with pytest.raises(InternalServerError):
            h.client.get_user_group(A, G)
        assert h.clock.sleeps == [0.375, 0.75]

    def test_deadline_stops_retrying_without_sleeping_past_it(self, make: Any) -> None:
        """Gives up with the last error before a wait that would cross the deadline."""
        h = make(
            [fail(503, message="first"), fail(503, message="second"), fail(503, message="third")]
            + [fail(503)] * 10,
            retry=RetryPolicy(max_attempts=50, deadline=3.0),
        )
        began = h.clock.now
        with pytest.raises(InternalServerError) as info:
            h.client.get_user_group(A, G)
        # Waits 0.5 and 1; the next wait (2 s) would end at 3.5 s, past the 3 s deadline.
        assert h.count == 3
        assert "third" in str(info.value)
        assert h.clock.now - began <= 3.0

    def test_zero_deadline_means_one_attempt(self, make: Any) -> None:
        """Makes exactly one attempt, with the full timeouts, when the deadline is 0."""
        h = make([fail(503)], retry=RetryPolicy(deadline=0))
        with pytest.raises(InternalServerError):
            h.client.get_user_group(A, G)
        assert h.count == 1
        assert h.adapter.timeouts == [(5.0, 60.0)]
        assert h.clock.sleeps == []

    def test_attempt_timeouts_shrink_to_the_deadline(self, make: Any) -> None:
        """Never gives one attempt a timeout longer than the time left."""
        h = make([fail(503), ok({"id": G, "name": "x"})], retry=RetryPolicy(deadline=2.0))
        h.client.get_user_group(A, G)
        assert h.adapter.timeouts[0] == (2.0, 2.0)
        assert h.adapter.timeouts[1] == (1.5, 1.5)


class TestRetryAfter:
    def test_429_waits_retry_after_then_succeeds(self, make: Any) -> None:
        """Honours Retry-After on a 429 through the shared pacer, then succeeds."""
        h = make([fail(429, 971, "slow down", **{"Retry-After": "7"}), ok({"id": G, "name": "x"})])
        began = h.clock.now
        assert h.client.get_user_group(A, G).id == G
        assert h.clock.now - began == pytest.approx(7)
        assert h.count == 2

    def test_429_blocks_other_users_of_the_pacer(self, make: Any) -> None:
        """Blocks the shared pacer after a 429 even when this call does not retry."""
        h = make([fail(429, **{"Retry-After": "9"})], retry=RetryPolicy(max_attempts=1))
        with pytest.raises(RateLimitError):
            h.client.get_user_group(A, G)
        assert h.pacer.delay() == pytest.approx(9)
        assert h.clock.sleeps == []

    def test_http_date(self, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """Honours Retry-After given as an HTTP date."""
        monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
        date = email.utils.formatdate(1_700_000_000.0 + 12, usegmt=True)
        h = make([fail(503, **{"Retry-After": date}), ok({"id": G, "name": "x"})])
        h.client.get_user_group(A, G)
        assert h.clock.sleeps == [pytest.approx(12)]

    @pytest.mark.parametrize("header", ["garbage", "-5", ""])
    def test_unreadable_falls_back_to_backoff(self, make: Any, header: str) -> None:
        """Falls back to the backoff when Retry-After is unreadable or negative."""
        h = make([fail(503, **{"Retry-After": header}), ok({"id": G, "name": "x"})])
        h.client.get_user_group(A, G)
        assert h.clock.sleeps == [0.5]

    def test_huge_value_is_capped(self, make: Any) -> None:
        """Caps a huge Retry-After at max_retry_after."""
        policy = RetryPolicy(deadline=1000, max_retry_after=20)
        h = make(
            [fail(429, **{"Retry-After": "99999999"}), ok({"id": G, "name": "x"})], retry=policy
        )
        h.client.get_user_group(A, G)
        assert h.clock.sleeps == [pytest.approx(20)]

    def test_beyond_deadline_gives_up_at_once(self, make: Any) -> None:
        """Raises the 429 at once when the wait would end past the deadline."""
        h = make([fail(429, **{"Retry-After": "90"})], retry=RetryPolicy(deadline=30))
        with pytest.raises(RateLimitError) as info:
            h.client.get_user_group(A, G)
        assert info.value.retry_after == 90
        assert h.clock.sleeps == []
        assert h.count == 1

    def test_ratelimit_header_stands_in_for_retry_after(self, make: Any) -> None:
        """Waits for the Ratelimit reset when a 429 has no Retry-After."""
        h = make([fail(429, Ratelimit='"default";r=0;t=4'), ok({"id": G, "name": "x"})])
        h.client.get_user_group(A, G)
        assert sum(h.clock.sleeps) == pytest.approx(4)

    def test_budget_spent_past_deadline_sends_nothing(self, make: Any) -> None:
        """Raises RateLimitError without sending when the pacer is blocked past the deadline."""
        h = make([], retry=RetryPolicy(deadline=10))
        h.pacer.block_for(100)
        with pytest.raises(RateLimitError, match="not sent"):
            h.client.get_user_group(A, G)
        assert h.count == 0

    def test_responses_feed_the_pacer(self, make: Any) -> None:
        """Slows down when responses say no requests remain."""
        h = make(
            [ok({"id": G, "name": "x"}, Ratelimit='"default";r=0;t=6'), ok({"id": G, "name": "x"})]
        )
        h.client.get_user_group(A, G)
        h.client.get_user_group(A, G)
        assert h.clock.sleeps == [pytest.approx(6)]


class TestTransportRetries:
    @pytest.mark.parametrize(
        ("exc", "cls"),
        [
            (requests.ConnectionError("Connection aborted."), APIConnectionError),
            (requests.exceptions.ChunkedEncodingError("cut"), APIConnectionError),
            (requests.ReadTimeout("read timed out"), APITimeoutError),
            (requests.ConnectTimeout("connect timed out"), APITimeoutError),
        ],
    )
    def test_retried_then_exhausted(self, make: Any, exc: Exception, cls: type[Exception]) -> None:
        """Retries transport failures and raises the matching class when they persist."""
        h = make([exc] * 3, retry=RetryPolicy(max_attempts=3, deadline=60))
        with pytest.raises(cls) as info:
            h.client.get_user_group(A, G)
        assert type(info.value) is cls
        assert h.count == 3
        assert f"GET {BASE}/accounts/{A}/iam/user_groups/{G}" in str(info.value)

    def test_dropped_connection_then_success(self, make: Any) -> None:
        """Retries a dropped connection on POST add and returns the echo."""
        h = make([requests.ConnectionError("reset"), ok([{"id": M1}])])
        assert h.client.add_group_members(A, G, [M1]) == [GroupMember(M1)]
        assert [r.method for r in h.adapter.sent] == ["POST", "POST"]

    def test_ssl_errors_are_not_retried(self, make: Any) -> None:
        """Does not retry a certificate failure: it will not fix itself."""
        h = make([requests.exceptions.SSLError("bad certificate")])
        with pytest.raises(APIConnectionError):
            h.client.get_user_group(A, G)
        assert h.count == 1

    def test_delete_after_a_lost_answer_counts_404_as_done(self, make: Any) -> None:
        """Treats a 404 on the retry of a DELETE whose answer was lost as removed."""
        h = make([requests.ConnectionError("reset"), fail(404, 1004, "Member not found")])
        assert h.client.remove_group_member(A, G, M1) is None
        assert h.count == 2

    def test_first_404_on_remove_is_raised(self, make: Any) -> None:
        """Raises NotFoundError when the member was not in the group to begin with."""
        h = make([fail(404, 1004, "Member not found in user group")])
        with pytest.raises(NotFoundError):
            h.client.remove_group_member(A, G, M1)

    def test_delete_group_after_timeout(self, make: Any) -> None:
        """Treats a 404 after a timed-out delete of a group as deleted."""
        h = make([requests.ReadTimeout("slow"), fail(404, 1003, "User group not found")])
        assert h.client.delete_user_group(A, G) is None
        assert h.count == 2

    def test_create_group_recovers_instead_of_duplicating(self, make: Any) -> None:
        """Finds the group a lost create made instead of creating it again."""
        group = {"id": G, "name": "Admins"}
        h = make([requests.ReadTimeout("slow"), ok([group])])
        assert h.client.create_user_group(A, "Admins") == UserGroup(G, "Admins")
        assert [r.method for r in h.adapter.sent] == ["POST", "GET"]
        assert h.adapter.sent[1].url.endswith("?name=Admins&page=1&per_page=500")

    def test_create_group_retries_when_nothing_was_made(self, make: Any) -> None:
        """Creates again when the lookup shows the lost create made nothing."""
        group = {"id": G, "name": "Admins"}
        h = make([requests.ConnectionError("reset"), ok([]), ok(group)])
        assert h.client.create_user_group(A, "Admins").id == G
        assert [r.method for r in h.adapter.sent] == ["POST", "GET", "POST"]


class TestLogging:
    def test_one_warning_per_retry(self, make: Any, caplog: pytest.LogCaptureFixture) -> None:
        """Logs one WARNING per retry with operation, reason, attempt and wait."""
        caplog.set_level(logging.WARNING, logger="cloudflare_user_groups.client")
        h = make([fail(503, 10013, "busy"), requests.ConnectionError("x"), ok([{"id": M1}])])
        h.client.add_group_members(A, G, [M1])
        records = [r for r in caplog.records if r.name == "cloudflare_user_groups.client"]
        assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING]
        first, second = (r.getMessage() for r in records)
        assert (
            first
            == "add group members: HTTP 503 [10013]; attempt 1 of 5 failed, retrying in 0.50 s"
        )
        assert (
            second
            == "add group members: ConnectionError; attempt 2 of 5 failed, retrying in 1.00 s"
        )

    def test_no_warning_without_retry(self, make: Any, caplog: pytest.LogCaptureFixture) -> None:
        """Logs nothing for a call that succeeds at once or fails without retry."""
        caplog.set_level(logging.DEBUG, logger="cloudflare_user_groups.client")
        h = make([ok([]), fail(400)])
        h.client.list_user_groups(A)
        with pytest.raises(BadRequestError):
            h.client.list_user_groups(A)
        assert not [r for r in caplog.records if r.name == "cloudflare_user_groups.client"]


class TestSecrets:
    def test_token_never_shown(self, make: Any, caplog: pytest.LogCaptureFixture) -> None:
        """Keeps the token out of errors, reprs and logs, even for auth failures."""
        caplog.set_level(logging.DEBUG)
        h = make(
            [fail(503), fail(401, 10000, "Authentication error"), fail(403, 9109, "Unauthorized")]
        )
        with pytest.raises(AuthenticationError) as first:
            h.client.list_user_groups(A)
        with pytest.raises(PermissionDeniedError) as second:
            h.client.list_user_groups(A)
        texts = [
            str(first.value),
            str(second.value),
            repr(first.value),
            repr(h.client),
            repr(h.client.credentials),
            str(h.client.credentials),
            caplog.text,
        ]
        assert "using an API token" in str(first.value)
        assert "Account Settings" in str(second.value)
        for text in texts:
            assert TOKEN not in text
            assert TOKEN[4:20] not in text

    def test_api_key_never_shown(self, make: Any) -> None:
        """Keeps a Global API key out of errors and reprs."""
        key = "0123456789abcdef0123456789abcdef0SECRET"
        h = make(
            [fail(403, 10000, "Authentication error")],
            credentials=Credentials("api_key", key, "me@x.io"),
        )
        with pytest.raises(PermissionDeniedError) as info:
            h.client.get_user_group(A, G)
        assert "using a Global API key" in str(info.value)
        for text in (str(info.value), repr(info.value), repr(h.client), repr(h.client.credentials)):
            assert key not in text


class TestThreads:
    def test_eight_threads_share_one_client(self, make: Any) -> None:
        """Serves 8 threads at once, each with its own session, all closed by close()."""
        h = make(lambda request: ok([{"id": G, "name": "x"}]))
        barrier = threading.Barrier(8)

        def work() -> list[int]:
            barrier.wait()
            return [len(h.client.list_user_groups(A)) for _ in range(10)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(work) for _ in range(8)]
            results = [count for future in futures for count in future.result()]
        assert results == [1] * 80
        assert h.count == 80
        assert len(h.sessions) == 8
        h.client.close()
        h.client.list_user_groups(A)
        assert len(h.sessions) == 9

    def test_sessions_of_finished_threads_are_closed(self, make: Any) -> None:
        """Closes the session of a finished thread when another thread opens one."""
        h = make(lambda request: ok([]))
        closed: list[requests.Session] = []
        worker = threading.Thread(target=lambda: h.client.list_user_groups(A))
        worker.start()
        worker.join()
        (first,) = h.sessions
        first.close = lambda: closed.append(first)  # type: ignore[method-assign]
        h.client.list_user_groups(A)
        assert closed == [first]
        assert len(h.sessions) == 2

    def test_sessions_are_created_lazily(self, make: Any) -> None:
        """Creates no session until the first request."""
        h = make([ok([]), ok([])])
        assert h.sessions == []
        h.client.list_user_groups(A)
        h.client.list_user_groups(A)
        assert len(h.sessions) == 1
