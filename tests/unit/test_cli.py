"""Unit tests of the ``cf-user-groups`` command: parsing, names, program text, progress, exits."""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from cloudflare_user_groups import cli
from cloudflare_user_groups.errors import (
    APIConnectionError,
    NotFoundError,
    PermissionDeniedError,
)
from cloudflare_user_groups.models import GroupMember, UserGroup

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M1 = "00112233445566778899aabbccddeeff"
M2 = "ffeeddccbbaa99887766554433221100"
M3 = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
# The project's rule selection, run with ruff's other defaults (line length 88).
RUFF_RULES = "E,W,F,I,UP,B,SIM,RUF"

MEMBERS = (
    GroupMember(M2, "bob@example.com", "accepted"),
    GroupMember(M1, "alice@example.com", "pending"),
    GroupMember(M3, None, None),
)


def program(**kwargs: Any) -> str:
    """Render a program for account A and group G with the fixed member list by default."""
    kwargs.setdefault("members", MEMBERS)
    return cli.render_program(cli.ImportRequest(account_id=A, user_group_id=G, **kwargs))


def calls(source: str, function: str) -> list[ast.Call]:
    """Every call of ``function`` at the top level of ``source``."""
    tree = ast.parse(source)
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == function
    ]


def keyword(call: ast.Call, name: str) -> Any:
    """The literal value of a keyword argument of ``call`` (None when absent or not literal)."""
    for item in call.keywords:
        if item.arg == name:
            try:
                return ast.literal_eval(item.value)
            except ValueError:
                return ast.unparse(item.value)
    return None


class TestParser:
    def parse(self, *argv: str) -> Any:
        return cli.build_parser().parse_args(argv)

    def test_verify_takes_an_optional_group(self) -> None:
        """Parses verify with only an account id and leaves the group unset."""
        args = self.parse("verify", "--account-id", A)
        assert (args.command, args.account_id, args.group_id) == ("verify", A, None)

    def test_identifiers_are_lower_cased(self) -> None:
        """Accepts identifiers in upper case and stores them in lower case."""
        args = self.parse("members", "list", "--account-id", A.upper(), "--group-id", G.upper())
        assert (args.account_id, args.group_id) == (A, G)

    def test_import_defaults(self) -> None:
        """Declares members by id, one resource each, on stdout, without a name prefix."""
        args = self.parse("import", "--account-id", A, "--group-id", G)
        assert (args.by, args.authoritative, args.output, args.force, args.name_prefix) == (
            "id",
            False,
            None,
            False,
            "",
        )

    @pytest.mark.parametrize(
        "argv",
        [
            ["--quiet", "--base-url", "http://x/client/v4", "members", "list"],
            ["members", "list", "--quiet", "--base-url", "http://x/client/v4"],
        ],
    )
    def test_shared_options_before_or_after_the_command(self, argv: list[str]) -> None:
        """Accepts --quiet and --base-url on either side of the subcommand."""
        args = self.parse(*argv, "--account-id", A, "--group-id", G)
        assert (args.quiet, args.base_url) == (True, "http://x/client/v4")

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            ([], "required: COMMAND"),
            (["verify"], "--account-id"),
            (["verify", "--account-id", "abc"], "32 hexadecimal"),
            (["members", "list", "--account-id", A], "--group-id"),
            (["members", "--account-id", A, "--group-id", G], "invalid choice"),
            (["import", "--account-id", A, "--group-id", G, "--by", "name"], "invalid choice"),
            (["import", "--account-id", A, "--group-id", G, "--name-prefix", "a b"], "letters"),
            (["verify", "--account-id", A, "--api-token", "secret"], "unrecognized"),
        ],
    )
    def test_usage_errors_exit_2(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Answers a usage error with exit code 2 and names what is wrong."""
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "cf-user-groups: error:" in err
        assert message in err

    def test_help_exits_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Prints the help, which names the environment variables, and exits 0."""
        assert cli.main(["--help"]) == 0
        assert "CLOUDFLARE_API_TOKEN" in capsys.readouterr().out

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Prints the program name and version."""
        assert cli.main(["--version"]) == 0
        assert capsys.readouterr().out.startswith("cf-user-groups ")


class TestSlug:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("alice@example.com", "alice-example-com"),
            ("Alice.B@Example.COM", "alice-b-example-com"),
            ("a+tag@x.co.uk", "a-tag-x-co-uk"),
            ("josé@exämple.com", "jose-example-com"),
            ("__x__@y.org", "x-y-org"),
            ("a--b@c.d", "a-b-c-d"),
            ("Ops Team", "ops-team"),
            ("+++", ""),
            ("用户@例子.cn", "cn"),
        ],
    )
    def test_table(self, text: str, expected: str) -> None:
        """Lower-cases, drops accents and joins the rest with single dashes."""
        assert cli.slug(text) == expected


class TestResourceNames:
    def test_names_from_emails_and_ids(self) -> None:
        """Derives names from emails and falls back to the member id."""
        assert cli.resource_names(MEMBERS) == {
            M1: "alice-example-com",
            M2: "bob-example-com",
            M3: M3,
        }

    def test_collisions_get_the_id_prefix(self) -> None:
        """Gives every member of a colliding name the first 8 characters of its id."""
        members = [GroupMember(M2, "a.b@x.com"), GroupMember(M1, "a-b@x.com")]
        assert cli.resource_names(members) == {M1: "a-b-x-com-00112233", M2: "a-b-x-com-ffeeddcc"}

    def test_order_does_not_matter(self) -> None:
        """Gives the same names whatever the order of the listing."""
        members = [*MEMBERS, GroupMember("1" * 32, "ALICE@example.com")]
        assert cli.resource_names(members) == cli.resource_names(list(reversed(members)))

    def test_numeric_suffix_settles_what_is_left(self) -> None:
        """Adds -2 when an email's name equals the id-suffixed name of a collision."""
        members = [
            GroupMember(M1, "a@b.c"),
            GroupMember(M2, "a@b-c"),
            GroupMember(M3, "a-b-c-00112233@x"),
        ]
        names = cli.resource_names(members)
        assert len(set(names.values())) == 3

    def test_prefix(self) -> None:
        """Prefixes every name, fallbacks included."""
        names = cli.resource_names(MEMBERS, prefix="ops-")
        assert names == {M1: "ops-alice-example-com", M2: "ops-bob-example-com", M3: "ops-" + M3}

    @given(
        st.lists(
            st.tuples(
                st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
                st.one_of(st.none(), st.text(alphabet="aA.-_@é+1", max_size=8)),
            ),
            unique_by=lambda item: item[0],
            max_size=12,
        )
    )
    def test_names_are_unique_and_valid(self, items: list[tuple[str, str | None]]) -> None:
        """Gives each member a distinct, non-empty name of lower-case letters, digits, dashes."""
        names = cli.resource_names([GroupMember(mid, email) for mid, email in items])
        assert len(set(names.values())) == len(items)
        assert all(
            name and set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
            for name in names.values()
        )


class TestRenderProgram:
    def test_by_id(self) -> None:
        """Declares one UserGroupMember per member by member_id, sorted by name, adopt-only."""
        source = program()
        found = calls(source, "UserGroupMember")
        assert [call.args[0].value for call in found] == [  # type: ignore[attr-defined]
            M3,
            "alice-example-com",
            "bob-example-com",
        ]
        assert [keyword(call, "member_id") for call in found] == [M3, M1, M2]
        assert all(keyword(call, "email") is None for call in found)
        assert f'import_=f"{{ACCOUNT_ID}}/{{USER_GROUP_ID}}/{M1}"' in source
        assert f'ACCOUNT_ID = "{A}"' in source and f'USER_GROUP_ID = "{G}"' in source

    def test_by_email_falls_back_to_id_with_a_comment(self) -> None:
        """Declares members by email, and one without an email by member_id with a comment."""
        source = program(by="email")
        found = {call.args[0].value: call for call in calls(source, "UserGroupMember")}  # type: ignore[attr-defined]
        assert keyword(found["alice-example-com"], "email") == "alice@example.com"
        assert keyword(found["alice-example-com"], "member_id") is None
        assert keyword(found[M3], "member_id") == M3
        assert "no email for this member: declared by member_id" in source

    def test_header(self) -> None:
        """Says how the program was made and that import_ may go after the first pulumi up."""
        source = program(by="email", group_name="Ops Team", name_prefix="ops-")
        header = source.split("\n\n")[0]
        assert all(line.startswith("#") for line in header.splitlines())
        assert f"cf-user-groups import --account-id {A}" in header
        assert f"--group-id {G} --by email --name-prefix ops-" in header
        assert '"Ops Team"' in header
        assert "Remove the import_ option(s) after that first `pulumi up`" in header

    def test_authoritative_by_id(self) -> None:
        """Declares one UserGroupMembers with every member id and the group's import id."""
        source = program(authoritative=True, group_name="Ops Team")
        (call,) = calls(source, "UserGroupMembers")
        assert call.args[0].value == "ops-team-members"  # type: ignore[attr-defined]
        assert keyword(call, "member_ids") == [M1, M2, M3]
        assert keyword(call, "emails") is None
        assert 'import_=f"{ACCOUNT_ID}/{USER_GROUP_ID}"' in source
        assert f'"{M1}",  # alice@example.com' in source
        assert "from cloudflare_user_groups import UserGroupMembers" in source

    def test_authoritative_by_email(self) -> None:
        """Lists emails, and members without one by id."""
        source = program(authoritative=True, by="email")
        (call,) = calls(source, "UserGroupMembers")
        assert call.args[0].value == f"{G}-members"  # type: ignore[attr-defined]
        assert keyword(call, "emails") == ["alice@example.com", "bob@example.com"]
        assert keyword(call, "member_ids") == [M3]

    @pytest.mark.parametrize("by", ["id", "email"])
    def test_authoritative_empty_group(self, by: str) -> None:
        """Declares an empty group as member_ids=[], as UserGroupMembers asks."""
        source = program(members=(), authoritative=True, by=by)
        (call,) = calls(source, "UserGroupMembers")
        assert keyword(call, "member_ids") == []
        assert keyword(call, "emails") is None

    def test_authoritative_by_email_without_fallback(self) -> None:
        """Leaves out member_ids when every member has an email."""
        source = program(members=MEMBERS[:2], authoritative=True, by="email")
        (call,) = calls(source, "UserGroupMembers")
        assert keyword(call, "emails") == ["alice@example.com", "bob@example.com"]
        assert keyword(call, "member_ids") is None
        assert "no email" not in source

    def test_empty_group(self) -> None:
        """Writes a program without resources (and without unused imports) for an empty group."""
        source = program(members=())
        assert "UserGroupMember(" not in source
        assert "import pulumi" not in source
        assert "no members" in source

    @pytest.mark.parametrize("order", [MEMBERS, tuple(reversed(MEMBERS))])
    def test_deterministic(self, order: tuple[GroupMember, ...]) -> None:
        """Writes the same text whatever the order of the listing."""
        assert program(members=order, by="email") == program(by="email")

    def test_untrusted_text_stays_inert(self) -> None:
        """Escapes emails and group names from the API so they cannot add code or lines."""
        evil = 'x"\nimport os  # @e.com'
        members = [GroupMember(M1, evil), GroupMember(M2, "ok@example.com")]
        source = program(members=members, by="email", group_name='a"\nprint(1)')
        tree = ast.parse(source)
        assert not any(
            isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body
        )
        assert [keyword(call, "email") for call in calls(source, "UserGroupMember")][1] == evil
        assert "\nprint(1)" not in source

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"by": "email"},
            {"authoritative": True},
            {"authoritative": True, "by": "email", "group_name": "Ops"},
            {"members": ()},
            {"members": [GroupMember(M1, "a" * 70 + "@example.com")], "by": "email"},
        ],
    )
    def test_ruff_clean(self, kwargs: dict[str, Any], tmp_path: Path) -> None:
        """Writes code that compiles and that ruff neither flags nor reformats."""
        ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
        if ruff is None:
            pytest.skip("ruff is not installed next to this Python")
        path = tmp_path / "__main__.py"
        path.write_text(program(**kwargs), encoding="utf-8")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
        # As in a user's project: default settings, where both imports are third-party.
        for command in (["check", "--select", RUFF_RULES], ["format", "--check", "--diff"]):
            done = subprocess.run(
                [ruff, *command, "--isolated", "--no-cache", path.name],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


class TestProgress:
    def test_terminal_rewrites_one_line(self) -> None:
        """Rewrites the count in place with a carriage return and ends with a newline."""
        stream = FakeStream(tty=True)
        progress = cli.Progress(stream, "members")
        progress.update(500, 1200)
        progress.update(1000, 1200)
        progress.finish(1200)
        text = stream.getvalue()
        assert text.count("\r") == 3 and text.count("\n") == 1
        assert "members: 500 of 1200" in text and text.endswith("members: 1200, done  \n")

    def test_pipe_prints_a_line_every_n(self) -> None:
        """Prints plain lines every ``every`` items, then the final count."""
        stream = FakeStream(tty=False)
        progress = cli.Progress(stream, "members", every=500)
        for count in (100, 500, 600, 1000, 1100):
            progress.update(count)
        progress.finish(1100)
        assert stream.getvalue().splitlines() == [
            "members: 500",
            "members: 1000",
            "members: 1100, done",
        ]

    def test_disabled_writes_nothing(self) -> None:
        """Writes nothing at all when disabled (--quiet)."""
        stream = FakeStream(tty=True)
        progress = cli.Progress(stream, "members", enabled=False)
        progress.update(1)
        progress.finish(1)
        assert stream.getvalue() == ""


def response(url: str, body: object, status: int = 200, method: str = "GET") -> requests.Response:
    """A ``requests`` response as the member page counter receives it."""
    reply = requests.Response()
    reply.status_code = status
    reply.url = url
    reply._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply.request = requests.Request(method, url).prepare()
    return reply


class TestMemberPageCounter:
    URL = f"http://h/client/v4/accounts/{A}/iam/user_groups/{G}/members?page=1&per_page=500"

    def test_counts_member_pages(self) -> None:
        """Adds up the members of each page and reports the total count."""
        stream = FakeStream(tty=True)
        counter = cli.MemberPageCounter(cli.Progress(stream, "members"))
        page = {"result": [{"id": M1}] * 3, "result_info": {"total_count": 5}}
        counter(response(self.URL, page))
        counter(response(self.URL, {**page, "result": [{"id": M2}] * 2}))
        assert counter.count == 5
        assert stream.getvalue().endswith("members: 5 of 5")

    @pytest.mark.parametrize(
        ("url", "body", "status", "method"),
        [
            (f"http://h/client/v4/accounts/{A}/iam/user_groups", {"result": [{}]}, 200, "GET"),
            (URL, {"result": [{"id": M1}]}, 200, "POST"),
            (URL, {"result": None}, 200, "GET"),
            (URL, b'{"result": [', 200, "GET"),
            (URL, {"result": [{"id": M1}]}, 503, "GET"),
            (URL, ["not", "an", "envelope"], 200, "GET"),
        ],
    )
    def test_ignores_other_responses(
        self, url: str, body: object, status: int, method: str
    ) -> None:
        """Counts nothing for other routes, writes, empty, unreadable or failed responses."""
        counter = cli.MemberPageCounter(cli.Progress(FakeStream(tty=True), "members"))
        counter(response(url, body, status, method))
        assert counter.count == 0

    def test_session_carries_the_hook(self) -> None:
        """Builds sessions that call the counter for every response."""
        counter = cli.MemberPageCounter(cli.Progress(FakeStream(tty=False), "members"))
        with counter.session() as session:
            assert counter in session.hooks["response"]


class FakeClient:
    """Stands in for CloudflareClient: answers from fixed data or raises a given error."""

    error: Exception | None = None
    members: tuple[GroupMember, ...] = MEMBERS

    def __init__(self, credentials: Any, **kwargs: Any) -> None:
        self.credentials = credentials
        self.base_url = kwargs.get("base_url") or "https://api.example/client/v4"

    def _answer(self, value: Any) -> Any:
        if self.error is not None:
            raise self.error
        return value

    def list_user_groups(self, account_id: str) -> list[UserGroup]:
        return self._answer([UserGroup(G, "Ops")])

    def get_user_group(self, account_id: str, user_group_id: str) -> UserGroup:
        return self._answer(UserGroup(G, "Ops"))

    def list_group_members(self, account_id: str, user_group_id: str) -> list[GroupMember]:
        return self._answer(list(self.members))

    def list_account_members(self, account_id: str) -> list[Any]:
        return self._answer([])


def status_error(cls: type[Exception], status: int, kind: str = "api_token") -> Exception:
    return cls(
        operation="list user groups",
        status_code=status,
        method="GET",
        url="https://api.example/client/v4/accounts/x",
        credential_kind=kind,
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeClient]:
    """Replace the client with FakeClient and provide a token in the environment."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "unit-test-secret-token")
    fake_class = type("Fake", (FakeClient,), {})
    monkeypatch.setattr(cli, "CloudflareClient", fake_class)
    return fake_class


class TestMain:
    LIST = ("members", "list", "--account-id", A, "--group-id", G)

    def test_success_exits_0(
        self, fake: type[FakeClient], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Prints the table and exits 0."""
        assert cli.main([*self.LIST, "--quiet"]) == 0
        out, err = capsys.readouterr()
        assert out.splitlines()[0].split() == ["ID", "EMAIL", "STATUS"]
        assert f"{M3}  -" in out
        assert err == ""

    def test_json(self, fake: type[FakeClient], capsys: pytest.CaptureFixture[str]) -> None:
        """Prints a JSON array of id, email and status."""
        assert cli.main([*self.LIST, "--json", "-q"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows[0] == {"id": M2, "email": "bob@example.com", "status": "accepted"}
        assert rows[2] == {"id": M3, "email": None, "status": None}

    def test_missing_credentials_exit_1(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exits 1 with one line naming the environment variables to set."""
        for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
            monkeypatch.delenv(name, raising=False)
        assert cli.main(list(self.LIST)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("cf-user-groups: error: ")
        assert "CLOUDFLARE_API_TOKEN" in err and "shell history" in err

    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            ({"CLOUDFLARE_API_KEY": "key-secret-123"}, "CLOUDFLARE_EMAIL"),
            ({"CLOUDFLARE_EMAIL": "a@example.com"}, "no API key"),
            ({"CLOUDFLARE_API_TOKEN": "tok en-secret"}, "cannot be sent in an HTTP header"),
        ],
    )
    def test_incomplete_credentials_exit_1(
        self,
        env: dict[str, str],
        expected: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Exits 1 naming what is wrong with the environment's credentials, never their value."""
        for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert cli.main(list(self.LIST)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err
        assert "secret" not in err

    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (status_error(PermissionDeniedError, 403), "HTTP 403"),
            (status_error(NotFoundError, 404), "HTTP 404"),
            (
                APIConnectionError(
                    operation="list", method="GET", url="http://h", reason="refused"
                ),
                "no response from GET http://h",
            ),
            (requests.ConnectionError("boom"), "request failed: ConnectionError"),
            (RuntimeError("bug"), "unexpected RuntimeError: bug"),
        ],
    )
    def test_errors_exit_1_on_one_line(
        self,
        fake: type[FakeClient],
        error: Exception,
        expected: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Maps every failure to exit code 1 and one stderr line, without a traceback or secret."""
        fake.error = error
        assert cli.main(list(self.LIST)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("cf-user-groups: error: ")
        assert expected in err
        assert "Traceback" not in err and "unit-test-secret-token" not in err

    def test_interrupt_exits_130(
        self, fake: type[FakeClient], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exits 130 on Ctrl-C, without a traceback."""
        fake.error = KeyboardInterrupt()
        assert cli.main(list(self.LIST)) == 130
        assert "interrupted" in capsys.readouterr().err

    def test_verify_stops_at_refused_credentials(
        self, fake: type[FakeClient], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Prints the failed check with the permissions to grant, then exits 1."""
        fake.error = status_error(PermissionDeniedError, 403)
        assert cli.main(["verify", "--account-id", A]) == 1
        out, err = capsys.readouterr()
        assert out.splitlines()[-1].startswith("FAIL  read the user groups")
        assert '"Account Settings Read"' in out
        assert "account members" not in out
        assert err.count("\n") == 1

    def test_verify_ok(self, fake: type[FakeClient], capsys: pytest.CaptureFixture[str]) -> None:
        """Reports every read as ok and explains, without testing, what writes need."""
        assert cli.main(["verify", "--account-id", A, "--group-id", G]) == 0
        out = capsys.readouterr().out
        assert out.count("\nok    ") == 4
        assert '"Account Settings Write" or "SCIM Provisioning"' in out
        assert "FAIL" not in out

    def test_import_refuses_to_overwrite(
        self, fake: type[FakeClient], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Refuses an existing output file without --force (usage error) and keeps it."""
        target = tmp_path / "__main__.py"
        target.write_text("# mine\n", encoding="utf-8")
        argv = ["import", "--account-id", A, "--group-id", G, "-o", str(target)]
        assert cli.main(argv) == 2
        assert "--force" in capsys.readouterr().err
        assert target.read_text(encoding="utf-8") == "# mine\n"
        assert cli.main([*argv, "--force", "-q"]) == 0
        assert "UserGroupMember(" in target.read_text(encoding="utf-8")

    def test_import_unwritable_output_exits_1(
        self, fake: type[FakeClient], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exits 1 with one line when the output file cannot be written."""
        target = tmp_path / "missing" / "__main__.py"
        assert cli.main(["import", "--account-id", A, "--group-id", G, "-o", str(target)]) == 1
        err = capsys.readouterr().err
        assert err.splitlines()[-1].startswith(f"cf-user-groups: error: cannot write {target}")
