"""Wire behaviour of the emulator: lifecycle, routing, auth, envelopes and every endpoint."""

from __future__ import annotations

import http.client
import re
import socket

import pytest
import requests

from cloudflare_user_groups.emulator import Emulator, RecordedRequest
from tests.emulator.conftest import AUTH, new_id, raw_request


def accounts(emu: Emulator, account_id: str, *parts: str) -> str:
    """The URL of ``/accounts/{account_id}/<parts>``."""
    return "/".join((emu.base_url, "accounts", account_id, *parts))


def groups(emu: Emulator, account_id: str, *parts: str) -> str:
    """The URL of ``/accounts/{account_id}/iam/user_groups/<parts>``."""
    return accounts(emu, account_id, "iam", "user_groups", *parts)


def codes(body: object) -> list[int]:
    """The error codes of a failure envelope."""
    assert isinstance(body, dict)
    assert body["success"] is False
    assert body["result"] is None
    return [e["code"] for e in body["errors"]]


class TestLifecycle:
    def test_base_url_points_at_client_v4(self) -> None:
        """Serves on a free loopback port and names it in base_url."""
        with Emulator() as emu:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/client/v4", emu.base_url)
            assert emu.base_url == f"{emu.url}/client/v4"
            assert emu.port > 0

    def test_start_and_stop_without_with(self) -> None:
        """Runs between start() and stop(), and a second stop() is harmless."""
        emu = Emulator().start()
        try:
            assert emu.running
            port = emu.port
        finally:
            emu.stop()
        emu.stop()
        assert not emu.running
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0

    def test_start_twice_refused(self, emu: Emulator) -> None:
        """Refuses to start an emulator that is already running."""
        with pytest.raises(RuntimeError):
            emu.start()

    def test_port_needs_a_running_server(self) -> None:
        """Raises RuntimeError for the port of an emulator that was never started."""
        with pytest.raises(RuntimeError):
            _ = Emulator().base_url

    def test_state_survives_restart(self, account_id: str) -> None:
        """Keeps its in-memory state across stop() and start()."""
        emu = Emulator()
        with emu:
            group = emu.create_user_group(account_id, "kept")
        with emu:
            assert emu.group_member_ids(account_id, str(group["id"])) == set()

    def test_keep_alive_serves_several_requests_on_one_connection(
        self, emu: Emulator, account_id: str
    ) -> None:
        """Answers consecutive requests on one HTTP/1.1 connection, each with Content-Length."""
        conn = http.client.HTTPConnection(emu.host, emu.port, timeout=5)
        try:
            for _ in range(3):
                conn.request(
                    "GET", f"/client/v4/accounts/{account_id}/iam/user_groups", headers=AUTH
                )
                response = conn.getresponse()
                assert response.getheader("Content-Length") == str(len(response.read()))
                assert response.status == 200
        finally:
            conn.close()

    def test_stop_closes_idle_keep_alive_connections(self, account_id: str) -> None:
        """Stops promptly even while a client holds an idle keep-alive connection."""
        emu = Emulator().start()
        session = requests.Session()
        try:
            response = session.get(groups(emu, account_id), headers=AUTH, timeout=5)
            assert response.status_code == 200
        finally:
            emu.stop()
            session.close()
        assert not emu.running


class TestRouting:
    def test_unknown_route_is_404_7000(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers 404 with code 7000 for a path no route knows."""
        response = http_session.get(accounts(emu, account_id, "widgets"))
        assert response.status_code == 404
        assert codes(response.json()) == [7000]

    def test_outside_the_api_prefix_is_404(self, emu: Emulator) -> None:
        """Answers 404 for paths that are not under /client/v4."""
        response = raw_request(emu, "GET", "/v4/accounts")
        assert response.status == 404
        assert codes(response.json()) == [7000]

    @pytest.mark.parametrize(
        "template",
        [
            "/accounts/{bad}/iam/user_groups",
            "/accounts/{bad}/members",
            "/accounts/{a}/iam/user_groups/{bad}",
            "/accounts/{a}/iam/user_groups/{bad}/members",
            "/accounts/{a}/iam/user_groups/{g}/members/{bad}",
            "/accounts/{a}/members/{bad}",
            "/accounts/{bad}/iam/anything/else",
        ],
    )
    @pytest.mark.parametrize(
        "bad",
        ["..%2Fx", "%2F", "..", "abc", "a" * 31, "a" * 33, "g" * 32, "", "%20" + "a" * 29],
    )
    def test_malformed_identifier_is_400_7003(
        self, emu: Emulator, account_id: str, template: str, bad: str
    ) -> None:
        """Answers 400 with codes 7003 then 7000 for a path identifier that is not 32 hex."""
        path = template.format(a=account_id, g=new_id(), bad=bad)
        response = raw_request(emu, "GET", "/client/v4" + path)
        assert response.status == 400
        body = response.json()
        assert codes(body) == [7003, 7000]
        assert isinstance(body, dict)
        assert body["errors"][0]["message"] == (
            f"Could not route to {path}, perhaps your object identifier is invalid?"
        )

    def test_unsupported_method_is_405(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers 405 with code 7001 for a known path and a method it does not serve."""
        response = http_session.patch(groups(emu, account_id), json={})
        assert response.status_code == 405
        assert codes(response.json()) == [7001]

    def test_identifiers_are_case_insensitive(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Finds the same group whether its id is sent in lower or upper case."""
        group = emu.create_user_group(account_id, "Case")
        response = http_session.get(groups(emu, account_id.upper(), str(group["id"]).upper()))
        assert response.status_code == 200
        assert response.json()["result"]["id"] == group["id"]

    def test_response_is_json_with_content_length(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Labels API answers application/json and sizes them with Content-Length."""
        response = http_session.get(groups(emu, account_id))
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Content-Length"] == str(len(response.content))


class TestAuth:
    @pytest.mark.parametrize(
        ("headers", "chain_code"),
        [
            ({}, 6103),
            ({"Authorization": "Bearer"}, 6111),
            ({"Authorization": "Bearer    "}, 6111),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, 6111),
            ({"Authorization": "Bearer tok\x01en"}, 6111),
            ({"Authorization": "Bearer two words"}, 6111),
            ({"X-Auth-Email": "ada@example.com"}, 6103),
            ({"X-Auth-Key": "k\x02ey", "X-Auth-Email": "ada@example.com"}, 6103),
            ({"X-Auth-Key": "key"}, 6102),
            ({"X-Auth-Key": "key", "X-Auth-Email": "not-an-email"}, 6102),
        ],
    )
    def test_malformed_credentials_are_400_6003(
        self, emu: Emulator, account_id: str, headers: dict[str, str], chain_code: int
    ) -> None:
        """Answers 400 code 6003 with an error_chain naming the malformed header."""
        response = raw_request(
            emu, "GET", f"/client/v4/accounts/{account_id}/iam/user_groups", headers=headers
        )
        assert response.status == 400
        body = response.json()
        assert codes(body) == [6003]
        assert isinstance(body, dict)
        assert body["errors"][0]["message"] == "Invalid request headers"
        assert [link["code"] for link in body["errors"][0]["error_chain"]] == [chain_code]

    @pytest.mark.parametrize(
        "headers",
        [
            {"Authorization": "Bearer anything-goes"},
            {"Authorization": "bearer lower-case-scheme"},
            {"X-Auth-Email": "ada@example.com", "X-Auth-Key": "any-key"},
        ],
    )
    def test_any_well_formed_credentials_accepted_by_default(
        self, emu: Emulator, account_id: str, headers: dict[str, str]
    ) -> None:
        """Accepts any well-formed token or key when none are configured."""
        response = raw_request(
            emu, "GET", f"/client/v4/accounts/{account_id}/iam/user_groups", headers=headers
        )
        assert response.status == 200

    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            ({"Authorization": "Bearer good"}, 200),
            ({"Authorization": "Bearer other"}, 403),
            ({"X-Auth-Email": "Ops@Example.com", "X-Auth-Key": "k1"}, 200),
            ({"X-Auth-Email": "ops@example.com", "X-Auth-Key": "wrong"}, 403),
            ({"X-Auth-Email": "dev@example.com", "X-Auth-Key": "k1"}, 403),
        ],
    )
    def test_configured_credentials_only(
        self, account_id: str, headers: dict[str, str], status: int
    ) -> None:
        """Accepts only configured tokens and keys, answering 403 code 10000 otherwise."""
        with Emulator(tokens=["good"], api_keys={"ops@example.com": "k1"}) as emu:
            response = raw_request(
                emu, "GET", f"/client/v4/accounts/{account_id}/iam/user_groups", headers=headers
            )
        assert response.status == status
        if status == 403:
            assert codes(response.json()) == [10000]

    def test_tokens_only_refuses_api_keys(self, account_id: str) -> None:
        """Refuses a well-formed API key when only tokens are configured."""
        with Emulator(tokens=["good"]) as emu:
            response = raw_request(
                emu,
                "GET",
                f"/client/v4/accounts/{account_id}/iam/user_groups",
                headers={"X-Auth-Email": "a@example.com", "X-Auth-Key": "k"},
            )
        assert response.status == 403

    def test_tokens_must_not_be_a_bare_string(self) -> None:
        """Rejects tokens="abc", which would otherwise accept the tokens "a", "b" and "c"."""
        with pytest.raises(TypeError):
            Emulator(tokens="abc")


class TestAccountMembers:
    def test_list_sorted_by_email_with_result_info(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Lists account members by email with page information."""
        for email in ("zed@example.com", "amy@example.com", "Bob@example.com"):
            emu.add_account_member(account_id, email)
        body = http_session.get(accounts(emu, account_id, "members")).json()
        assert body["success"] is True
        assert [m["email"] for m in body["result"]] == [
            "amy@example.com",
            "Bob@example.com",
            "zed@example.com",
        ]
        assert body["result_info"] == {
            "page": 1,
            "per_page": 20,
            "count": 3,
            "total_count": 3,
            "total_pages": 1,
        }

    def test_list_pages(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Splits account members into pages of per_page."""
        for n in range(7):
            emu.add_account_member(account_id, f"user{n}@example.com")
        body = http_session.get(
            accounts(emu, account_id, "members"), params={"page": 2, "per_page": 5}
        ).json()
        assert [m["email"] for m in body["result"]] == ["user5@example.com", "user6@example.com"]
        assert body["result_info"]["total_pages"] == 2

    @pytest.mark.parametrize(
        "params",
        [
            {"per_page": "4"},
            {"per_page": "51"},
            {"per_page": "x"},
            {"page": "0"},
            {"page": "-1"},
            {"direction": "up"},
            {"order": "email"},
            {"status": "gone"},
        ],
    )
    def test_list_rejects_bad_parameters(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        params: dict[str, str],
    ) -> None:
        """Answers 400 code 1002 for a query parameter out of range."""
        response = http_session.get(accounts(emu, account_id, "members"), params=params)
        assert response.status_code == 400
        assert codes(response.json()) == [1002]

    def test_list_filters_by_status_and_orders(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Filters by status and sorts in the requested direction."""
        emu.add_account_member(account_id, "a@example.com")
        emu.add_account_member(account_id, "b@example.com", status="pending")
        emu.add_account_member(account_id, "c@example.com")
        body = http_session.get(
            accounts(emu, account_id, "members"),
            params={"status": "accepted", "direction": "desc"},
        ).json()
        assert [m["email"] for m in body["result"]] == ["c@example.com", "a@example.com"]

    def test_create_is_pending_with_full_shape(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Creates a pending member with ids, roles, policies and a user."""
        response = http_session.post(
            accounts(emu, account_id, "members"), json={"email": "new@example.com", "roles": []}
        )
        assert response.status_code == 200
        member = response.json()["result"]
        assert member["status"] == "pending"
        assert re.fullmatch(r"[0-9a-f]{32}", member["id"])
        assert member["roles"] == []
        assert member["policies"] == []
        assert member["user"]["email"] == "new@example.com"
        assert set(member["user"]) == {
            "id",
            "email",
            "first_name",
            "last_name",
            "two_factor_authentication_enabled",
        }

    def test_create_duplicate_email_is_400(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Refuses a second member with the same email, whatever its case."""
        emu.add_account_member(account_id, "dup@example.com")
        response = http_session.post(
            accounts(emu, account_id, "members"), json={"email": "DUP@example.com"}
        )
        assert response.status_code == 400
        assert codes(response.json()) == [1001]

    @pytest.mark.parametrize(
        "body", [{}, {"email": "no-at-sign"}, {"email": 5}, {"email": "a@b.co", "roles": "x"}]
    )
    def test_create_rejects_bad_bodies(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        body: dict[str, object],
    ) -> None:
        """Answers 400 code 1006 for a body without a valid email or roles."""
        response = http_session.post(accounts(emu, account_id, "members"), json=body)
        assert response.status_code == 400
        assert codes(response.json()) == [1006]

    def test_get_and_missing(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Answers one member, and 404 code 1007 for an unknown one."""
        member = emu.add_account_member(account_id, "one@example.com", first_name="One")
        found = http_session.get(accounts(emu, account_id, "members", str(member["id"])))
        assert found.json()["result"]["user"]["first_name"] == "One"
        missing = http_session.get(accounts(emu, account_id, "members", new_id()))
        assert missing.status_code == 404
        assert codes(missing.json()) == [1007]

    def test_update_changes_status(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Changes a member's status with PUT."""
        member = emu.add_account_member(account_id, "p@example.com", status="pending")
        response = http_session.put(
            accounts(emu, account_id, "members", str(member["id"])), json={"status": "accepted"}
        )
        assert response.json()["result"]["status"] == "accepted"

    def test_delete_removes_memberships(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Deletes a member and takes it out of every group of the account."""
        member = emu.add_account_member(account_id, "gone@example.com")
        group = emu.create_user_group(account_id, "G")
        emu.add_group_members(account_id, str(group["id"]), [str(member["id"])])
        response = http_session.delete(accounts(emu, account_id, "members", str(member["id"])))
        assert response.json()["result"] == {"id": member["id"]}
        assert emu.group_member_ids(account_id, str(group["id"])) == set()

    def test_accounts_are_isolated(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Keeps members of one account out of another."""
        emu.add_account_member(account_id, "mine@example.com")
        body = http_session.get(accounts(emu, new_id(), "members")).json()
        assert body["result"] == []


class TestUserGroups:
    def test_create_answers_group(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Creates a group with id, name, timestamps and policies."""
        response = http_session.post(groups(emu, account_id), json={"name": "Ops"})
        assert response.status_code == 200
        group = response.json()["result"]
        assert set(group) == {"id", "name", "created_on", "modified_on", "policies"}
        assert group["name"] == "Ops"
        assert group["policies"] == []
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", group["created_on"])

    def test_create_assigns_policy_ids(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Stores policies and gives each a fresh server-side id."""
        policy = {"access": "allow", "permission_groups": [{"id": "p"}], "resource_groups": []}
        group = http_session.post(
            groups(emu, account_id), json={"name": "P", "policies": [policy]}
        ).json()["result"]
        assert group["policies"][0]["access"] == "allow"
        assert re.fullmatch(r"[0-9a-f]{32}", group["policies"][0]["id"])

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"name": ""},
            {"name": 3},
            {"name": "x", "policies": {}},
            {"name": "x", "policies": [{"access": "maybe"}]},
        ],
    )
    def test_create_rejects_bad_bodies(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        body: dict[str, object],
    ) -> None:
        """Answers 400 code 1006 for a missing name or malformed policies."""
        response = http_session.post(groups(emu, account_id), json=body)
        assert response.status_code == 400
        assert codes(response.json()) == [1006]

    def test_create_rejects_malformed_json(self, emu: Emulator, account_id: str) -> None:
        """Answers 400 code 1006 for a body that is not JSON."""
        response = raw_request(
            emu,
            "POST",
            f"/client/v4/accounts/{account_id}/iam/user_groups",
            headers={**AUTH, "Content-Type": "application/json"},
            body=b'{"name": ',
        )
        assert response.status == 400
        assert codes(response.json()) == [1006]

    def test_duplicate_name_is_400(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Refuses a second group with the same name in one account."""
        emu.create_user_group(account_id, "Same")
        response = http_session.post(groups(emu, account_id), json={"name": "Same"})
        assert response.status_code == 400
        assert codes(response.json()) == [1005]

    def test_list_filters_and_sorts(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Filters by name, fuzzyName and id, and sorts by name in either direction."""
        ids = {
            name: emu.create_user_group(account_id, name)["id"]
            for name in ("b-ops", "a-dev", "C-OPS")
        }
        url = groups(emu, account_id)

        def names(**params: str) -> list[str]:
            return [g["name"] for g in http_session.get(url, params=params).json()["result"]]

        assert names() == ["a-dev", "b-ops", "C-OPS"]
        assert names(direction="desc") == ["C-OPS", "b-ops", "a-dev"]
        assert names(name="b-ops") == ["b-ops"]
        assert names(name="B-OPS") == []
        assert names(fuzzyName="oPs") == ["b-ops", "C-OPS"]
        assert names(id=str(ids["a-dev"])) == ["a-dev"]

    @pytest.mark.parametrize(
        "params", [{"per_page": "0"}, {"per_page": "501"}, {"page": "0"}, {"id": "short"}]
    )
    def test_list_rejects_bad_parameters(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        params: dict[str, str],
    ) -> None:
        """Answers 400 code 1002 for out-of-range paging or a malformed id filter."""
        response = http_session.get(groups(emu, account_id), params=params)
        assert response.status_code == 400
        assert codes(response.json()) == [1002]

    def test_list_default_page_size_is_100(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Uses per_page 100 when none is given, and [] for an account without groups."""
        body = http_session.get(groups(emu, account_id)).json()
        assert body["result"] == []
        assert body["result_info"]["per_page"] == 100

    def test_get_update_delete(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Reads, renames and deletes a group, then answers 404 code 1003 for it."""
        group_id = str(emu.create_user_group(account_id, "Old")["id"])
        assert http_session.get(groups(emu, account_id, group_id)).json()["result"]["name"] == "Old"
        renamed = http_session.put(groups(emu, account_id, group_id), json={"name": "New"})
        assert renamed.json()["result"]["name"] == "New"
        deleted = http_session.delete(groups(emu, account_id, group_id))
        assert deleted.json()["result"] == {"id": group_id}
        missing = http_session.get(groups(emu, account_id, group_id))
        assert missing.status_code == 404
        assert codes(missing.json()) == [1003]

    def test_update_to_taken_name_is_400(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Refuses to rename a group to another group's name."""
        emu.create_user_group(account_id, "Taken")
        group_id = str(emu.create_user_group(account_id, "Mine")["id"])
        response = http_session.put(groups(emu, account_id, group_id), json={"name": "Taken"})
        assert response.status_code == 400
        assert codes(response.json()) == [1005]

    def test_update_replaces_policies(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Replaces the policy set with PUT, including with an empty list."""
        group_id = str(emu.create_user_group(account_id, "Pol")["id"])
        url = groups(emu, account_id, group_id)
        set_one = http_session.put(url, json={"policies": [{"access": "allow"}]})
        assert len(set_one.json()["result"]["policies"]) == 1
        cleared = http_session.put(url, json={"policies": []})
        assert cleared.json()["result"]["policies"] == []
        assert cleared.json()["result"]["name"] == "Pol"

    def test_delete_removes_memberships(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Deleting a group removes its memberships with it."""
        member_id = str(emu.add_account_member(account_id, "m@example.com")["id"])
        group_id = str(emu.create_user_group(account_id, "G")["id"])
        emu.add_group_members(account_id, group_id, [member_id])
        http_session.delete(groups(emu, account_id, group_id))
        with pytest.raises(KeyError):
            emu.group_member_ids(account_id, group_id)


class TestGroupMembers:
    @pytest.fixture
    def seeded(self, emu: Emulator, account_id: str) -> tuple[str, list[str]]:
        """A group and three account members (not yet in the group), ids sorted by email."""
        group_id = str(emu.create_user_group(account_id, "Team")["id"])
        members = [
            str(emu.add_account_member(account_id, email)["id"])
            for email in ("ann@example.com", "ben@example.com", "cat@example.org")
        ]
        return group_id, members

    def test_empty_group_lists_null(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Answers result null (not []) for a group without members."""
        group_id, _ = seeded
        body = http_session.get(groups(emu, account_id, group_id, "members")).json()
        assert body["success"] is True
        assert body["result"] is None
        assert body["result_info"] == {
            "page": 1,
            "per_page": 100,
            "count": 0,
            "total_count": 0,
            "total_pages": 0,
        }

    def test_pages_and_past_the_end(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Pages by per_page and answers [] past the last page of a non-empty group."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members)
        url = groups(emu, account_id, group_id, "members")
        first = http_session.get(url, params={"per_page": 2}).json()
        assert [m["id"] for m in first["result"]] == members[:2]
        assert first["result_info"] == {
            "page": 1,
            "per_page": 2,
            "count": 2,
            "total_count": 3,
            "total_pages": 2,
        }
        second = http_session.get(url, params={"per_page": 2, "page": 2}).json()
        assert [m["id"] for m in second["result"]] == members[2:]
        beyond = http_session.get(url, params={"per_page": 2, "page": 3}).json()
        assert beyond["result"] == []

    def test_member_shape(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Lists members as {id, email, status}."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:1])
        body = http_session.get(groups(emu, account_id, group_id, "members")).json()
        assert body["result"] == [
            {"id": members[0], "email": "ann@example.com", "status": "accepted"}
        ]

    def test_fuzzy_email_and_direction(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Filters by a case-insensitive email substring and sorts descending on request."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members)
        url = groups(emu, account_id, group_id, "members")
        fuzzy = http_session.get(url, params={"fuzzyEmail": "EXAMPLE.COM"}).json()
        assert [m["id"] for m in fuzzy["result"]] == members[:2]
        desc = http_session.get(url, params={"direction": "desc"}).json()
        assert [m["id"] for m in desc["result"]] == members[::-1]
        none = http_session.get(url, params={"fuzzyEmail": "nobody"}).json()
        assert none["result"] == []

    @pytest.mark.parametrize(
        "params",
        [
            {"per_page": "0"},
            {"per_page": "501"},
            {"page": "0"},
            {"page": "1.5"},
            {"direction": "x"},
        ],
    )
    def test_list_rejects_bad_parameters(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
        params: dict[str, str],
    ) -> None:
        """Answers 400 code 1002 for out-of-range paging or direction."""
        group_id, _ = seeded
        response = http_session.get(groups(emu, account_id, group_id, "members"), params=params)
        assert response.status_code == 400
        assert codes(response.json()) == [1002]

    def test_post_adds_idempotently_and_answers_full_set(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Adds members, tolerates repeats, and answers the group's whole member array."""
        group_id, members = seeded
        url = groups(emu, account_id, group_id, "members")
        http_session.post(url, json=[{"id": members[1]}])
        response = http_session.post(url, json=[{"id": members[0]}, {"id": members[1].upper()}])
        assert response.status_code == 200
        assert [m["id"] for m in response.json()["result"]] == members[:2]
        assert emu.group_member_ids(account_id, group_id) == set(members[:2])

    def test_post_invalid_member_applies_nothing(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Answers 400 code 400 for a non-member id and leaves the group unchanged."""
        group_id, members = seeded
        stranger = new_id()
        response = http_session.post(
            groups(emu, account_id, group_id, "members"),
            json=[{"id": members[0]}, {"id": stranger}],
        )
        assert response.status_code == 400
        body = response.json()
        assert codes(body) == [400]
        assert body["errors"][0]["message"] == (
            f"Invalid member: {stranger} is not a member of the account"
        )
        assert emu.group_member_ids(account_id, group_id) == set()

    def test_member_of_other_account_is_invalid(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Refuses a member id that belongs to a different account."""
        group_id, _ = seeded
        foreign = str(emu.add_account_member(new_id(), "far@example.com")["id"])
        response = http_session.post(
            groups(emu, account_id, group_id, "members"), json=[{"id": foreign}]
        )
        assert codes(response.json()) == [400]

    @pytest.mark.parametrize(
        "body",
        [
            b'{"members": [{"id": "x"}]}',
            b'["0123456789abcdef0123456789abcdef"]',
            b'[{"member_id": "0123456789abcdef0123456789abcdef"}]',
            b'[{"id": 5}]',
            b"[{",
            b"",
        ],
    )
    @pytest.mark.parametrize("method", ["POST", "PUT"])
    def test_write_requires_bare_array_of_ids(
        self,
        emu: Emulator,
        account_id: str,
        seeded: tuple[str, list[str]],
        body: bytes,
        method: str,
    ) -> None:
        """Answers 400 code 1006 unless the body is a bare JSON array of {"id": ...}."""
        group_id, _ = seeded
        response = raw_request(
            emu,
            method,
            f"/client/v4/accounts/{account_id}/iam/user_groups/{group_id}/members",
            headers={**AUTH, "Content-Type": "application/json"},
            body=body,
        )
        assert response.status == 400
        assert codes(response.json()) == [1006]

    def test_put_replaces_the_set(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Replaces the whole member set and answers the new array."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:2])
        response = http_session.put(
            groups(emu, account_id, group_id, "members"), json=[{"id": members[2]}]
        )
        assert [m["id"] for m in response.json()["result"]] == [members[2]]
        assert emu.group_member_ids(account_id, group_id) == {members[2]}

    def test_put_empty_clears_and_answers_null(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Accepts an empty array, clears the group and answers result null."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members)
        response = http_session.put(groups(emu, account_id, group_id, "members"), json=[])
        assert response.status_code == 200
        assert response.json()["result"] is None
        assert emu.group_member_ids(account_id, group_id) == set()

    def test_put_invalid_member_applies_nothing(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Answers 400 code 400 and keeps the old set when one id is not a member."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:1])
        response = http_session.put(
            groups(emu, account_id, group_id, "members"), json=[{"id": "not-hex"}]
        )
        assert codes(response.json()) == [400]
        assert emu.group_member_ids(account_id, group_id) == {members[0]}

    def test_get_member_detail(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Answers a member with created_at (RFC 3339, Z) and its user."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:1])
        detail = http_session.get(groups(emu, account_id, group_id, "members", members[0])).json()
        result = detail["result"]
        assert set(result) == {"id", "email", "status", "created_at", "user"}
        assert result["id"] == members[0]
        assert result["created_at"].endswith("Z")
        assert set(result["user"]) == {"id", "email", "first_name", "last_name"}
        assert result["user"]["email"] == "ann@example.com"

    def test_replace_keeps_created_at_of_staying_members(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Keeps the time a member was first added when a PUT keeps it in the group."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:1])
        url = groups(emu, account_id, group_id, "members", members[0])
        before = http_session.get(url).json()["result"]["created_at"]
        http_session.put(
            groups(emu, account_id, group_id, "members"),
            json=[{"id": members[0]}, {"id": members[1]}],
        )
        assert http_session.get(url).json()["result"]["created_at"] == before

    @pytest.mark.parametrize("in_account", [True, False])
    def test_get_non_member_is_404(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
        in_account: bool,
    ) -> None:
        """Answers 404 code 1004 for an id that is not in the group."""
        group_id, members = seeded
        member_id = members[0] if in_account else new_id()
        response = http_session.get(groups(emu, account_id, group_id, "members", member_id))
        assert response.status_code == 404
        assert codes(response.json()) == [1004]

    def test_delete_member(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Removes a member and answers it; a second delete is 404 code 1004."""
        group_id, members = seeded
        emu.add_group_members(account_id, group_id, members[:2])
        url = groups(emu, account_id, group_id, "members", members[0])
        response = http_session.delete(url)
        assert response.json()["result"] == {
            "id": members[0],
            "email": "ann@example.com",
            "status": "accepted",
        }
        assert emu.group_member_ids(account_id, group_id) == {members[1]}
        again = http_session.delete(url)
        assert again.status_code == 404
        assert codes(again.json()) == [1004]

    def test_delete_non_account_member_is_400(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
    ) -> None:
        """Answers 400 code 400 for deleting an id that is not an account member."""
        group_id, _ = seeded
        response = http_session.delete(groups(emu, account_id, group_id, "members", new_id()))
        assert response.status_code == 400
        assert codes(response.json()) == [400]

    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("GET", "", None),
            ("POST", "", []),
            ("PUT", "", []),
            ("GET", "/{m}", None),
            ("DELETE", "/{m}", None),
        ],
    )
    def test_unknown_group_is_404_1003(
        self,
        emu: Emulator,
        http_session: requests.Session,
        account_id: str,
        seeded: tuple[str, list[str]],
        method: str,
        suffix: str,
        body: list[object] | None,
    ) -> None:
        """Answers 404 code 1003 for every member operation on an unknown group."""
        _, members = seeded
        url = groups(emu, account_id, new_id(), "members") + suffix.format(m=members[0])
        response = http_session.request(method, url, json=body)
        assert response.status_code == 404
        assert codes(response.json()) == [1003]


class TestPythonApi:
    def test_add_account_member_shape(self, emu: Emulator, account_id: str) -> None:
        """Answers the member as the API shows it, accepted by default."""
        member = emu.add_account_member(account_id, "x@example.com", last_name="X")
        assert member["status"] == "accepted"
        assert member["email"] == "x@example.com"
        user = member["user"]
        assert isinstance(user, dict)
        assert user["last_name"] == "X"

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda e, a: e.add_account_member("bad", "x@example.com"), ValueError),
            (lambda e, a: e.add_account_member(a, "x@example.com", status="gone"), ValueError),
            (lambda e, a: e.create_user_group(a, ""), ValueError),
            (lambda e, a: e.group_member_ids(a, new_id()), KeyError),
            (lambda e, a: e.delete_user_group(a, new_id()), KeyError),
            (lambda e, a: e.remove_account_member(a, new_id()), KeyError),
            (lambda e, a: e.add_group_members(a, new_id(), []), KeyError),
            (lambda e, a: e.remove_group_member(a, new_id(), new_id()), KeyError),
        ],
    )
    def test_helpers_reject_bad_input(
        self, emu: Emulator, account_id: str, call: object, error: type[Exception]
    ) -> None:
        """Raises ValueError for refused input and KeyError for missing objects."""
        assert callable(call)
        with pytest.raises(error):
            call(emu, account_id)

    def test_add_group_members_requires_account_members(
        self, emu: Emulator, account_id: str
    ) -> None:
        """Refuses to seed an id that is not an account member, applying nothing."""
        group_id = str(emu.create_user_group(account_id, "G")["id"])
        member_id = str(emu.add_account_member(account_id, "m@example.com")["id"])
        with pytest.raises(ValueError, match="Invalid member"):
            emu.add_group_members(account_id, group_id, [member_id, new_id()])
        assert emu.group_member_ids(account_id, group_id) == set()

    def test_remove_group_member_ignores_absent(self, emu: Emulator, account_id: str) -> None:
        """Removes a member out of band and ignores one that is not in the group."""
        group_id = str(emu.create_user_group(account_id, "G")["id"])
        member_id = str(emu.add_account_member(account_id, "m@example.com")["id"])
        emu.add_group_members(account_id, group_id, [member_id])
        emu.remove_group_member(account_id, group_id, member_id)
        emu.remove_group_member(account_id, group_id, member_id)
        assert emu.group_member_ids(account_id, group_id) == set()

    def test_seeding_records_no_requests(self, emu: Emulator, account_id: str) -> None:
        """Records nothing for out-of-band helpers."""
        group_id = str(emu.create_user_group(account_id, "G")["id"])
        emu.add_group_members(
            account_id, group_id, [str(emu.add_account_member(account_id, "a@example.com")["id"])]
        )
        assert emu.requests == []

    def test_records_raw_path_query_and_status(self, emu: Emulator, account_id: str) -> None:
        """Records method, the raw path without /client/v4, the decoded query and the status."""
        raw_request(
            emu, "GET", f"/client/v4/accounts/{account_id}/iam/user_groups?fuzzyName=a%20b&page=1"
        )
        raw_request(emu, "GET", f"/client/v4/accounts/{account_id}/iam/user_groups/..%2Fx")
        assert emu.requests == [
            RecordedRequest(
                "GET",
                f"/accounts/{account_id}/iam/user_groups",
                {"fuzzyName": "a b", "page": "1"},
                200,
            ),
            RecordedRequest("GET", f"/accounts/{account_id}/iam/user_groups/..%2Fx", {}, 400),
        ]

    def test_records_body_and_redacts_secrets(self, emu: Emulator, account_id: str) -> None:
        """Keeps the body and headers of a request but never the credential."""
        raw_request(
            emu,
            "POST",
            f"/client/v4/accounts/{account_id}/iam/user_groups",
            headers={**AUTH, "User-Agent": "probe/1"},
            body=b'{"name": "n"}',
        )
        recorded = emu.requests[0]
        assert recorded.body == b'{"name": "n"}'
        assert recorded.headers["user-agent"] == "probe/1"
        assert recorded.headers["authorization"] == "[redacted]"

    def test_request_count_filters(
        self, emu: Emulator, http_session: requests.Session, account_id: str
    ) -> None:
        """Counts by method (any case) and by a regex searched in the path."""
        group_id = str(emu.create_user_group(account_id, "G")["id"])
        http_session.get(groups(emu, account_id))
        http_session.get(groups(emu, account_id, group_id, "members"))
        http_session.put(groups(emu, account_id, group_id, "members"), json=[])
        assert emu.request_count() == 3
        assert emu.request_count("get") == 2
        assert emu.request_count(path=r"/members$") == 2
        assert emu.request_count("PUT", r"/members$") == 1
        emu.reset_requests()
        assert emu.request_count() == 0
