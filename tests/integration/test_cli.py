"""The ``cf-user-groups`` command against the emulator on loopback, and its programs under mocks."""

from __future__ import annotations

import ast
import asyncio
import json
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pulumi
import pytest

from cloudflare_user_groups import cli
from cloudflare_user_groups.emulator import Emulator
from tests.conftest import ACCOUNT_ID, TOKEN, Account, seed_account

MEMBER = "pulumi-python:dynamic/cloudflare:UserGroupMember"
MEMBERS = "pulumi-python:dynamic/cloudflare:UserGroupMembers"
MISSING_GROUP = "0" * 32


@attrs.frozen
class Result:
    """What one run of the command left behind."""

    code: int
    out: str
    err: str


@pytest.fixture
def run(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Any]:
    """Run the command with the emulator's URL and the accepted token in the environment."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.base_url)

    def runner(*argv: str) -> Result:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    yield runner


@pytest.fixture
def filled(account: Account) -> Account:
    """The seeded account with all three members in its user group."""
    account.emulator.add_group_members(ACCOUNT_ID, account.user_group_id, account.member_ids)
    return account


def group_args(account: Account) -> list[str]:
    return ["--account-id", account.account_id, "--group-id", account.user_group_id]


def assert_one_error_line(result: Result, *secrets: str) -> None:
    """Exit code 1, one ``cf-user-groups: error:`` line, no traceback and no secret anywhere."""
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith("cf-user-groups: error: ")
    assert "Traceback" not in result.err
    for secret in secrets:
        assert secret not in result.out + result.err


class TestVerify:
    def test_ok_sends_only_reads(self, run: Any, filled: Account) -> None:
        """Reports every read as ok, explains write permissions and sends nothing but GETs."""
        filled.emulator.reset_requests()
        result = run("verify", *group_args(filled))
        assert result.code == 0, result.err
        assert "credentials: API token (from the environment)" in result.out
        assert (
            f"ok    read the members of user group {filled.user_group_id}: 3 members" in result.out
        )
        assert '"operators"' in result.out
        assert "ok    read the members of account" in result.out
        assert "write access: not checked" in result.out
        assert '"Account Settings Write" or "SCIM Provisioning"' in result.out
        assert "FAIL" not in result.out
        requests = filled.emulator.requests
        assert requests and {request.method for request in requests} == {"GET"}

    def test_without_group(self, run: Any, account: Account) -> None:
        """Checks the account alone when no group is given."""
        result = run("verify", "--account-id", account.account_id)
        assert result.code == 0
        assert "ok    read the user groups of account" in result.out
        assert "read the members of user group" not in result.out

    def test_wrong_token(self, run: Any, account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
        """Exits 1 on a refused token with one line that names the kind, not the token."""
        secret = "wrong-token-4a7f9e"
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", secret)
        account.emulator.reset_requests()
        result = run("verify", *group_args(account))
        assert_one_error_line(result, secret)
        assert "HTTP 403" in result.err and "API token" in result.err
        assert result.out.splitlines()[-1].startswith("FAIL  read the user groups")
        assert '"Account Settings Read"' in result.out
        # Refused credentials stop the checks: nothing else could succeed.
        assert account.emulator.request_count() == 1

    def test_api_key(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Accepts a Global API key and its email from the environment."""
        with Emulator(api_keys={"admin@example.com": "key-0123456789"}) as emulator:
            monkeypatch.setenv("CLOUDFLARE_API_KEY", "key-0123456789")
            monkeypatch.setenv("CLOUDFLARE_EMAIL", "admin@example.com")
            code = cli.main(["--base-url", emulator.base_url, "verify", "--account-id", ACCOUNT_ID])
        out = capsys.readouterr().out
        assert code == 0
        assert "credentials: API key for admin@example.com" in out

    def test_missing_group(self, run: Any, account: Account) -> None:
        """Reports a missing group as a failed check, still checks the rest and exits 1."""
        result = run("verify", "--account-id", account.account_id, "--group-id", MISSING_GROUP)
        assert_one_error_line(result, TOKEN)
        assert f"FAIL  read the members of user group {MISSING_GROUP}: HTTP 404" in result.out
        assert "ok    read the members of account" in result.out
        assert "HTTP 404" in result.err

    def test_base_url_flag(
        self, emu: Emulator, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Uses --base-url when CLOUDFLARE_BASE_URL is not set."""
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
        code = cli.main(["verify", "--account-id", ACCOUNT_ID, "--base-url", emu.base_url])
        assert code == 0
        assert emu.request_count("GET") >= 2

    def test_no_credentials(self, emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
        """Exits 1 before any request when the environment holds no credentials."""
        code = cli.main(["--base-url", emu.base_url, "verify", "--account-id", ACCOUNT_ID])
        result = Result(code, *capsys.readouterr())
        assert_one_error_line(result)
        assert "CLOUDFLARE_API_TOKEN" in result.err
        assert emu.request_count() == 0


class TestMembersList:
    def test_table(self, run: Any, filled: Account) -> None:
        """Prints a header and one row per member with id, email and status."""
        result = run("members", "list", *group_args(filled))
        assert result.code == 0
        lines = result.out.splitlines()
        assert lines[0].split() == ["ID", "EMAIL", "STATUS"]
        rows = sorted(line.split() for line in lines[1:])
        expected = zip(filled.member_ids, filled.emails, strict=True)
        assert rows == sorted([mid, email, "accepted"] for mid, email in expected)
        assert result.err.endswith(": 3, done\n")

    def test_json(self, run: Any, filled: Account) -> None:
        """Prints a JSON array of every member."""
        result = run("members", "list", *group_args(filled), "--json", "--quiet")
        assert result.code == 0
        rows = json.loads(result.out)
        assert {row["id"] for row in rows} == set(filled.member_ids)
        assert {row["email"] for row in rows} == set(filled.emails)
        assert result.err == ""

    def test_empty_group(self, run: Any, account: Account) -> None:
        """Prints an empty JSON array for a group without members."""
        result = run("members", "list", *group_args(account), "--json")
        assert (result.code, json.loads(result.out)) == (0, [])

    def test_progress_on_long_listings(self, run: Any, emu: Emulator) -> None:
        """Reports the count page by page on stderr, in plain lines when stderr is no terminal."""
        big = seed_account(emu, members=1100, group="everyone")
        emu.add_group_members(ACCOUNT_ID, big.user_group_id, big.member_ids)
        result = run("members", "list", *group_args(big), "--json")
        assert result.code == 0
        assert len(json.loads(result.out)) == 1100
        label = f"members of user group {big.user_group_id}"
        assert result.err.splitlines() == [
            f"{label}: 500 of 1100",
            f"{label}: 1000 of 1100",
            f"{label}: 1100, done",
        ]

    def test_quiet_silences_progress(self, run: Any, filled: Account) -> None:
        """Writes nothing on stderr with --quiet."""
        result = run("-q", "members", "list", *group_args(filled))
        assert (result.code, result.err) == (0, "")

    def test_missing_group(self, run: Any, account: Account) -> None:
        """Exits 1 with one line naming the HTTP status when the group does not exist."""
        result = run("members", "list", "--account-id", ACCOUNT_ID, "--group-id", MISSING_GROUP)
        assert_one_error_line(result, TOKEN)
        assert "HTTP 404" in result.err


def declared(source: str, function: str) -> list[dict[str, Any]]:
    """The keyword arguments (and name) of every top-level ``function(...)`` call in a program."""
    found = []
    for node in ast.parse(source).body:
        call = node.value if isinstance(node, ast.Expr) else None
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == function:
            values = {kw.arg: ast.unparse(kw.value) for kw in call.keywords}
            for kw in call.keywords:
                if isinstance(kw.value, ast.Constant | ast.List):
                    values[kw.arg] = ast.literal_eval(kw.value)
            values["name"] = ast.literal_eval(call.args[0])
            found.append(values)
    return found


class TestImport:
    def test_by_id(self, run: Any, filled: Account) -> None:
        """Declares every member by id with its import id, in a program that compiles."""
        result = run("import", *group_args(filled))
        assert result.code == 0, result.err
        compile(result.out, "__main__.py", "exec")
        found = declared(result.out, "UserGroupMember")
        assert sorted(item["member_id"] for item in found) == sorted(filled.member_ids)
        assert [item["name"] for item in found] == [
            "user0000-example-com",
            "user0001-example-com",
            "user0002-example-com",
        ]
        for member_id in filled.member_ids:
            assert f"{{USER_GROUP_ID}}/{member_id}" in result.out
        assert '# User group name:  "operators"' in result.out

    def test_by_email(self, run: Any, filled: Account) -> None:
        """Declares every member by email."""
        result = run("import", *group_args(filled), "--by", "email")
        assert result.code == 0
        compile(result.out, "__main__.py", "exec")
        found = declared(result.out, "UserGroupMember")
        assert sorted(item["email"] for item in found) == sorted(filled.emails)
        assert all("member_id" not in item for item in found)

    def test_authoritative(self, run: Any, filled: Account) -> None:
        """Declares one UserGroupMembers with every member id and the group's import id."""
        result = run("import", *group_args(filled), "--authoritative")
        assert result.code == 0
        compile(result.out, "__main__.py", "exec")
        (found,) = declared(result.out, "UserGroupMembers")
        assert sorted(found["member_ids"]) == sorted(filled.member_ids)
        assert found["name"] == "operators-members"
        assert 'import_=f"{ACCOUNT_ID}/{USER_GROUP_ID}"' in result.out

    def test_output_file(self, run: Any, filled: Account, tmp_path: Path) -> None:
        """Writes the program to a file and says so on stderr."""
        target = tmp_path / "__main__.py"
        result = run("import", *group_args(filled), "--output", str(target))
        assert result.code == 0
        assert result.out == ""
        assert result.err.endswith(
            f"wrote {target}: 3 members of user group {filled.user_group_id}\n"
        )
        assert len(declared(target.read_text(encoding="utf-8"), "UserGroupMember")) == 3

    def test_missing_group_writes_nothing(self, run: Any, account: Account, tmp_path: Path) -> None:
        """Exits 1 without creating the output file when the group does not exist."""
        target = tmp_path / "__main__.py"
        result = run(
            "import", "--account-id", ACCOUNT_ID, "--group-id", MISSING_GROUP, "-o", str(target)
        )
        assert_one_error_line(result, TOKEN)
        assert not target.exists()


class RecordingMocks(pulumi.runtime.Mocks):
    """Pulumi mocks that record every resource the program registers."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def run_under_mocks(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[pulumi.runtime.MockResourceArgs]:
    """Run a Pulumi program file with mocks and return the resources it registered."""
    mocks = RecordingMocks()
    # The SDK makes an event loop in every executor thread it uses and never closes them: record
    # every new loop so that all of them can be closed (an unclosed loop warns when collected).
    loops: list[asyncio.AbstractEventLoop] = []
    policy = asyncio.get_event_loop_policy()
    make_loop = policy.new_event_loop

    def recording_loop() -> asyncio.AbstractEventLoop:
        loop = make_loop()
        loops.append(loop)
        return loop

    monkeypatch.setattr(policy, "new_event_loop", recording_loop)

    @pulumi.runtime.test
    def program() -> None:
        # Return nothing: the test wrapper awaits whatever is returned, and run_path's result
        # (the program's globals) is not a Pulumi input.
        runpy.run_path(str(path), run_name="__main__")

    # A fresh current loop for this run: set_mocks registers the stack resource right away.
    asyncio.set_event_loop(recording_loop())
    try:
        pulumi.runtime.set_mocks(mocks, project="adopt", stack="test", preview=False)
        program()
    finally:
        for loop in loops:
            if not loop.is_closed():
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
        asyncio.set_event_loop(None)
        pulumi.runtime.settings.reset_options()
    return [item for item in mocks.resources if item.typ != "pulumi:pulumi:Stack"]


class TestGeneratedProgramUnderMocks:
    @pytest.mark.parametrize("by", ["id", "email"])
    def test_one_adopting_resource_per_member(
        self,
        run: Any,
        filled: Account,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        by: str,
    ) -> None:
        """Registers one UserGroupMember per member, each with its import id and identity."""
        target = tmp_path / "__main__.py"
        assert run("import", *group_args(filled), "--by", by, "-o", str(target)).code == 0
        resources = run_under_mocks(target, monkeypatch)
        assert {item.typ for item in resources} == {MEMBER}
        assert len(resources) == len(filled.member_ids)
        expected = {
            f"{ACCOUNT_ID}/{filled.user_group_id}/{member_id}": email
            for member_id, email in zip(filled.member_ids, filled.emails, strict=True)
        }
        seen = {}
        for item in resources:
            inputs = item.inputs
            assert inputs["account_id"] == ACCOUNT_ID
            assert inputs["user_group_id"] == filled.user_group_id
            import_id = inputs["import_id"]
            member_id = import_id.rsplit("/", 1)[1]
            if by == "id":
                assert inputs["member_id"] == member_id
            else:
                assert inputs["email"] == expected[import_id]
            seen[import_id] = item.name
        assert set(seen) == set(expected)

    @pytest.mark.parametrize("by", ["id", "email"])
    def test_one_adopting_set_for_the_group(
        self,
        run: Any,
        filled: Account,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        by: str,
    ) -> None:
        """Registers one UserGroupMembers with the group's import id and every member."""
        target = tmp_path / "__main__.py"
        argv = ["import", *group_args(filled), "--authoritative", "--by", by, "-o", str(target)]
        assert run(*argv).code == 0
        (resource,) = run_under_mocks(target, monkeypatch)
        assert resource.typ == MEMBERS
        assert resource.name == "operators-members"
        inputs = resource.inputs
        assert inputs["import_id"] == f"{ACCOUNT_ID}/{filled.user_group_id}"
        assert (inputs["account_id"], inputs["user_group_id"]) == (
            ACCOUNT_ID,
            filled.user_group_id,
        )
        if by == "id":
            assert sorted(inputs["member_ids"]) == sorted(filled.member_ids)
            assert "emails" not in inputs
        else:
            assert sorted(inputs["emails"]) == sorted(filled.emails)
            assert "member_ids" not in inputs

    def test_empty_group_adopts_an_empty_set(
        self, run: Any, account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Declares an empty group as an empty member set that still carries the import id."""
        target = tmp_path / "__main__.py"
        argv = [
            "import",
            *group_args(account),
            "--authoritative",
            "--by",
            "email",
            "-o",
            str(target),
        ]
        assert run(*argv).code == 0
        (resource,) = run_under_mocks(target, monkeypatch)
        assert resource.inputs["member_ids"] == []
        assert resource.inputs["import_id"] == f"{ACCOUNT_ID}/{account.user_group_id}"
