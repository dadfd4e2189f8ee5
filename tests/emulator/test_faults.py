"""Scripted faults and latency: every fault kind as a client sees it on the wire."""

from __future__ import annotations

import json
import time

import pytest
import requests

from cloudflare_user_groups.emulator import Emulator, Fault
from tests.emulator.conftest import AUTH


def members_url(emu: Emulator, account_id: str, group_id: str) -> str:
    """The URL of a group's member collection."""
    return f"{emu.base_url}/accounts/{account_id}/iam/user_groups/{group_id}/members"


@pytest.fixture
def group(emu: Emulator, account_id: str) -> tuple[str, str]:
    """A user group and one account member that is not yet in it."""
    group_id = str(emu.create_user_group(account_id, "Faulty")["id"])
    member_id = str(emu.add_account_member(account_id, "f@example.com")["id"])
    return group_id, member_id


class TestFault:
    @pytest.mark.parametrize(
        "kwargs",
        [
            {"times": 0},
            {"times": True},
            {"status": 99},
            {"status": 600},
            {"kind": "explode"},
            {"path": "("},
            {"delay": -1.0},
            {"delay": "1"},
            {"method": ""},
            {"retry_after": "1\n2"},
            {"code": "x"},
        ],
    )
    def test_rejects_invalid_fields(self, kwargs: dict[str, object]) -> None:
        """Raises ValueError for a field outside its allowed range or type."""
        with pytest.raises(ValueError):
            Fault(**kwargs)  # type: ignore[arg-type]

    def test_defaults(self) -> None:
        """Defaults to one 503 JSON failure for any request."""
        fault = Fault()
        assert (fault.method, fault.path, fault.times, fault.status, fault.kind) == (
            None,
            "",
            1,
            503,
            "json",
        )

    @pytest.mark.parametrize(
        ("fault", "method", "path", "expected"),
        [
            (Fault(), "GET", "/anything", True),
            (Fault(method="post"), "POST", "/x", True),
            (Fault(method="POST"), "get", "/x", False),
            (Fault(path=r"/members$"), "GET", "/a/members", True),
            (Fault(path=r"/members$"), "GET", "/a/members/b", False),
            (Fault(path=r"%2F"), "GET", "/a/..%2Fx", True),
        ],
    )
    def test_matches_method_and_path(
        self, fault: Fault, method: str, path: str, expected: bool
    ) -> None:
        """Matches on the method (any case) and a regex searched in the raw path."""
        assert fault.matches(method, path) is expected

    def test_json_round_trip(self) -> None:
        """Rebuilds the same fault from its JSON form."""
        fault = Fault(method="PUT", path="/m", times=2, kind="html", status=502, retry_after="3")
        assert Fault.from_json(json.loads(json.dumps(fault.to_json()))) == fault

    def test_from_json_rejects_unknown_fields(self) -> None:
        """Refuses a JSON object with a field Fault does not have."""
        with pytest.raises(ValueError, match="unknown fault field"):
            Fault.from_json({"kind": "json", "colour": "red"})


class TestFaultKinds:
    def test_json_fault(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers the status with a failure envelope and the Retry-After given."""
        emu.inject(Fault(status=503, retry_after="7"))
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        body = response.json()
        assert body["success"] is False
        assert body["result"] is None
        assert [e["code"] for e in body["errors"]] == [1010]

    @pytest.mark.parametrize(
        ("fault", "code"),
        [
            (Fault(status=429), 971),
            (Fault(status=500, code=10013, message="boom"), 10013),
            (Fault(kind="success_false", code=1234), 1234),
        ],
    )
    def test_error_codes(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        fault: Fault,
        code: int,
    ) -> None:
        """Uses 971 for a 429 and honours an explicit code."""
        emu.inject(fault)
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert [e["code"] for e in response.json()["errors"]] == [code]

    def test_html_fault(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers an HTML error page and does not apply the request."""
        emu.inject(Fault(kind="html", status=502, method="POST"))
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        response = http_session.post(url, json={"name": "never"})
        assert response.status_code == 502
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>")
        assert "502" in response.text
        assert http_session.get(url).json()["result"] == []

    def test_truncated_fault(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers 200 application/json whose body is cut in the middle."""
        emu.inject(Fault(kind="truncated"))
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.text.startswith('{"success": true')
        with pytest.raises(ValueError):
            json.loads(response.text)

    def test_success_false_fault(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers HTTP 200 with success false, a 1000+ code and result null."""
        emu.inject(Fault(kind="success_false", status=503))
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert response.status_code == 200
        body = response.json()
        assert body["success"] is False
        assert body["result"] is None
        assert body["errors"][0]["code"] >= 1000

    def test_drop_before_applies_nothing(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        group: tuple[str, str],
    ) -> None:
        """Closes the connection without an answer and leaves the state unchanged."""
        group_id, member_id = group
        emu.inject(Fault(kind="drop_before", method="POST"))
        with pytest.raises(requests.ConnectionError):
            http_session.post(members_url(emu, account_id, group_id), json=[{"id": member_id}])
        assert emu.group_member_ids(account_id, group_id) == set()
        assert [r.status for r in emu.requests] == [0]

    def test_drop_after_applies_the_write(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        group: tuple[str, str],
    ) -> None:
        """Applies the request, then closes the connection without an answer."""
        group_id, member_id = group
        emu.inject(Fault(kind="drop_after", method="POST"))
        with pytest.raises(requests.ConnectionError):
            http_session.post(members_url(emu, account_id, group_id), json=[{"id": member_id}])
        assert emu.group_member_ids(account_id, group_id) == {member_id}
        assert emu.request_count("POST") == 1

    def test_connection_usable_after_drop(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        group: tuple[str, str],
    ) -> None:
        """Serves the next request of the same session after a dropped one."""
        group_id, _ = group
        emu.inject(Fault(kind="drop_before"))
        url = members_url(emu, account_id, group_id)
        with pytest.raises(requests.ConnectionError):
            http_session.get(url)
        assert http_session.get(url).status_code == 200

    def test_delay_causes_read_timeout(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        group: tuple[str, str],
    ) -> None:
        """Holds the answer for ``delay`` seconds, long enough for a client read timeout."""
        group_id, _ = group
        emu.inject(Fault(kind="delay", delay=0.5))
        with pytest.raises(requests.ReadTimeout):
            http_session.get(members_url(emu, account_id, group_id), timeout=(2, 0.1))

    def test_delay_then_answers_normally(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        group: tuple[str, str],
    ) -> None:
        """Answers the request normally once the delay has passed."""
        group_id, member_id = group
        emu.inject(Fault(kind="delay", delay=0.2, method="POST"))
        started = time.monotonic()
        response = http_session.post(
            members_url(emu, account_id, group_id), json=[{"id": member_id}]
        )
        assert time.monotonic() - started >= 0.2
        assert response.status_code == 200
        assert emu.group_member_ids(account_id, group_id) == {member_id}

    def test_times_and_filters(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Applies a fault to exactly ``times`` matching requests and skips others."""
        emu.inject(Fault(method="POST", path=r"/user_groups$", times=2, status=500))
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        assert http_session.get(url).status_code == 200
        statuses = [http_session.post(url, json={"name": f"g{n}"}).status_code for n in range(3)]
        assert statuses == [500, 500, 200]

    def test_faults_apply_in_injection_order(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Uses the earliest matching fault first."""
        emu.inject(Fault(status=502))
        emu.inject(Fault(status=504))
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        statuses = [http_session.get(url).status_code for _ in range(3)]
        assert statuses == [502, 504, 200]

    def test_clear_faults(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Forgets every pending fault."""
        emu.inject(Fault(times=5))
        assert emu.pending_faults == [(Fault(times=5), 5)]
        emu.clear_faults()
        assert emu.pending_faults == []
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        assert http_session.get(url).status_code == 200

    def test_faults_come_before_credentials(self, emu: Emulator, account_id: str) -> None:
        """Answers the fault even for a request that would fail authentication."""
        emu.inject(Fault(status=503))
        with requests.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups") as response:
            assert response.status_code == 503

    def test_inject_requires_a_fault(self, emu: Emulator) -> None:
        """Refuses anything but a Fault."""
        with pytest.raises(TypeError):
            emu.inject({"kind": "json"})  # type: ignore[arg-type]


class TestLatency:
    def test_set_latency_delays_requests(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Delays each API request by the configured latency."""
        emu.set_latency(0.15)
        assert emu.latency == 0.15
        started = time.monotonic()
        response = http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups")
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.15

    def test_constructor_latency(self, account_id: str) -> None:
        """Takes an initial latency from the constructor."""
        with Emulator(latency=0.1) as emu:
            started = time.monotonic()
            with requests.get(
                f"{emu.base_url}/accounts/{account_id}/iam/user_groups", headers=AUTH
            ) as response:
                assert response.status_code == 200
            assert time.monotonic() - started >= 0.1

    @pytest.mark.parametrize("seconds", [-0.1, "1", True])
    def test_rejects_invalid_latency(self, emu: Emulator, seconds: object) -> None:
        """Refuses a negative or non-numeric latency."""
        with pytest.raises(ValueError):
            emu.set_latency(seconds)  # type: ignore[arg-type]

    def test_stop_cuts_latency_short(self, account_id: str) -> None:
        """Stops promptly even while a request waits out a long delay."""
        emu = Emulator().start()
        emu.inject(Fault(kind="delay", delay=30))
        session = requests.Session()
        try:
            with pytest.raises(requests.ReadTimeout):
                session.get(
                    f"{emu.base_url}/accounts/{account_id}/iam/user_groups",
                    headers=AUTH,
                    timeout=(2, 0.1),
                )
            started = time.monotonic()
            emu.stop()
            assert time.monotonic() - started < 2
        finally:
            emu.stop()
            session.close()
