"""The HTTP control API under /__emulator/: request log, faults, seeding, limits and latency."""

from __future__ import annotations

import pytest
import requests

from cloudflare_user_groups.emulator import Emulator, Fault
from tests.emulator.conftest import new_id


def control(emu: Emulator, name: str) -> str:
    """The URL of a control endpoint."""
    return f"{emu.url}/__emulator/{name}"


class TestControlApi:
    def test_request_log_and_reset(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Lists recorded API requests (not control calls) and empties the log on reset."""
        http_session.get(f"{emu.base_url}/accounts/{account_id}/iam/user_groups?page=1")
        log = http_session.get(control(emu, "requests")).json()
        assert log == {
            "requests": [
                {
                    "method": "GET",
                    "path": f"/accounts/{account_id}/iam/user_groups",
                    "query": {"page": "1"},
                    "status": 200,
                }
            ]
        }
        assert http_session.post(control(emu, "reset-requests")).status_code == 200
        assert emu.requests == []

    def test_inject_list_and_clear_faults(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Queues a fault from JSON, lists it with its remaining uses and clears the queue."""
        response = http_session.post(
            control(emu, "faults"), json={"kind": "html", "status": 502, "times": 2}
        )
        assert response.status_code == 201
        assert emu.pending_faults == [(Fault(kind="html", status=502, times=2), 2)]
        listed = http_session.get(control(emu, "faults")).json()["faults"]
        assert listed[0]["remaining"] == 2
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        assert http_session.get(url).status_code == 502
        assert http_session.delete(control(emu, "faults")).json() == {"cleared": 1}
        assert http_session.get(url).status_code == 200

    @pytest.mark.parametrize(
        "body", [{"kind": "nope"}, {"times": 0}, {"colour": "red"}, ["json"], "x"]
    )
    def test_invalid_fault_is_400(
        self, emu: Emulator, http_session: requests.Session, body: object
    ) -> None:
        """Answers 400 with an error message for a fault it cannot build."""
        response = http_session.post(control(emu, "faults"), json=body)
        assert response.status_code == 400
        assert response.json()["error"]
        assert emu.pending_faults == []

    def test_seed_account_member(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Creates an accepted account member by default."""
        response = http_session.post(
            control(emu, "seed/account-member"),
            json={"account_id": account_id, "email": "seed@example.com", "first_name": "S"},
        )
        assert response.status_code == 201
        member = response.json()
        assert member["status"] == "accepted"
        assert member["user"]["first_name"] == "S"
        listed = http_session.get(f"{emu.base_url}/accounts/{account_id}/members").json()
        assert [m["id"] for m in listed["result"]] == [member["id"]]

    def test_seed_group_and_members(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Creates a group and puts account members in it."""
        group = http_session.post(
            control(emu, "seed/user-group"), json={"account_id": account_id, "name": "Seeded"}
        ).json()
        member_id = str(emu.add_account_member(account_id, "m@example.com")["id"])
        response = http_session.post(
            control(emu, "seed/group-members"),
            json={
                "account_id": account_id,
                "user_group_id": group["id"],
                "member_ids": [member_id],
            },
        )
        assert response.json() == {"member_ids": [member_id]}
        assert emu.group_member_ids(account_id, group["id"]) == {member_id}

    @pytest.mark.parametrize(
        ("name", "body", "status"),
        [
            ("seed/account-member", {"account_id": "short", "email": "a@example.com"}, 400),
            ("seed/account-member", {"account_id": "a" * 32, "email": "nope"}, 400),
            ("seed/user-group", {"account_id": "a" * 32}, 400),
            (
                "seed/group-members",
                {"account_id": "a" * 32, "user_group_id": "b" * 32, "member_ids": []},
                404,
            ),
            ("rate-limit", {"limit": 0}, 400),
            ("latency", {"seconds": -1}, 400),
        ],
    )
    def test_refuses_bad_control_input(
        self,
        emu: Emulator,
        http_session: requests.Session,
        name: str,
        body: dict[str, object],
        status: int,
    ) -> None:
        """Answers 400 for bad input and 404 for a missing group."""
        response = http_session.post(control(emu, name), json=body)
        assert response.status_code == status
        assert "error" in response.json()

    def test_rate_limit_and_latency(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Sets a rate limit and a latency over HTTP."""
        assert http_session.post(control(emu, "rate-limit"), json={"limit": 1, "window": 30}).ok
        assert http_session.post(control(emu, "latency"), json={"seconds": 0.01}).ok
        assert emu.latency == 0.01
        url = f"{emu.base_url}/accounts/{account_id}/iam/user_groups"
        assert http_session.get(url).status_code == 200
        assert http_session.get(url).status_code == 429
        assert http_session.post(control(emu, "rate-limit"), json={"limit": None}).ok
        assert http_session.get(url).status_code == 200

    def test_control_api_needs_no_credentials(self, emu: Emulator) -> None:
        """Answers control calls without credentials, outside the rate limit."""
        emu.set_rate_limit(1, window=30)
        for _ in range(3):
            with requests.get(control(emu, "requests")) as response:
                assert response.status_code == 200

    @pytest.mark.parametrize(
        ("method", "name", "status"), [("GET", "nope", 404), ("PUT", "faults", 405)]
    )
    def test_unknown_control_endpoint(
        self, emu: Emulator, http_session: requests.Session, method: str, name: str, status: int
    ) -> None:
        """Answers 404 for an unknown endpoint and 405 for a wrong method."""
        assert http_session.request(method, control(emu, name)).status_code == status

    def test_seed_duplicate_member_is_400(
        self, emu: Emulator, http_session: requests.Session
    ) -> None:
        """Refuses to seed the same email twice in an account."""
        account_id = new_id()
        body = {"account_id": account_id, "email": "twice@example.com"}
        assert http_session.post(control(emu, "seed/account-member"), json=body).status_code == 201
        assert http_session.post(control(emu, "seed/account-member"), json=body).status_code == 400
