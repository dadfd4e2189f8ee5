"""The ``cf-user-groups`` command: check credentials, list a group's members, and write a Pulumi
program that adopts them.

Secrets are read only from the environment (``CLOUDFLARE_API_TOKEN``, or ``CLOUDFLARE_API_KEY`` with
``CLOUDFLARE_EMAIL``), never from flags, so that they stay out of shell history and process lists.
Exit codes: 0 success, 1 API or credential error, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal, NoReturn, TextIO

import attrs
import requests

from cloudflare_user_groups._version import __version__
from cloudflare_user_groups.client import (
    ENV_API_KEY,
    ENV_API_TOKEN,
    ENV_EMAIL,
    CloudflareClient,
    Credentials,
)
from cloudflare_user_groups.errors import (
    APIStatusError,
    AuthenticationError,
    CloudflareError,
    CredentialsError,
    InvalidInputError,
    PermissionDeniedError,
)
from cloudflare_user_groups.models import GroupMember, validate_identifier

PROG = "cf-user-groups"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

By = Literal["id", "email"]

# The token permissions Cloudflare lists for these endpoints (API "Accepted Permissions").
READ_PERMISSIONS = '"Account Settings Read", "Account Settings Write" or "SCIM Provisioning"'
WRITE_PERMISSIONS = '"Account Settings Write" or "SCIM Provisioning"'

# Envelope codes: 9109 "Unauthorized to access requested resource" (a token without the
# permission); 6003 invalid request headers, with 6103/6111 for a malformed key or token.
_CODE_NO_PERMISSION = 9109
_HEADER_CODES = (6003, 6103, 6111)

# Plain (non-TTY) progress prints one line per this many members: one line per full page.
PROGRESS_EVERY = 500

_NAME_SEPARATORS = re.compile(r"[^a-z0-9]+")
_NAME_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Lines of generated code stay within the width that ruff and black use by default.
_CODE_WIDTH = 88
_MAX_COMMENT_VALUE = 60


class UsageError(Exception):
    """The command line is valid for argparse but cannot be carried out (exit code 2)."""


class CommandError(Exception):
    """A failure outside the API, such as an output file that cannot be written (exit code 1)."""


# -- resource names ------------------------------------------------------------------------------


def slug(text: str) -> str:
    """Turn text into a resource name: ``Alice.B@Example.com`` -> ``alice-b-example-com``.

    Accents are dropped (``é`` -> ``e``), every other run of characters that are not ASCII letters
    or digits becomes one ``-``, and the result may be empty.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NAME_SEPARATORS.sub("-", ascii_text.lower()).strip("-")


def resource_names(members: Sequence[GroupMember], prefix: str = "") -> dict[str, str]:
    """Map each member id to a unique resource name derived from its email, else from its id.

    Members whose emails give the same name all get the first 8 characters of their id appended,
    so no name depends on the order of the listing; a numeric suffix settles anything left.
    """
    base = {m.id: (slug(m.email) if m.email else "") or m.id for m in members}
    counts = Counter(base.values())
    names: dict[str, str] = {}
    used: set[str] = set()
    for member_id in sorted(base):
        name = base[member_id]
        if counts[name] > 1:
            name = f"{name}-{member_id[:8]}"
        name = prefix + name
        unique, number = name, 2
        while unique in used:
            unique, number = f"{name}-{number}", number + 1
        used.add(unique)
        names[member_id] = unique
    return names


# -- program generation --------------------------------------------------------------------------


def _literal(value: str) -> str:
    """A Python string literal for ``value``, double-quoted like ruff format writes it."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return repr(value)


def _comment_text(value: str) -> str:
    """Text from the API made safe for a one-line comment (no line breaks, bounded length)."""
    text = value if value.isprintable() else repr(value)[1:-1]
    if len(text) > _MAX_COMMENT_VALUE:
        text = text[: _MAX_COMMENT_VALUE - 3] + "..."
    return text


def _as_tuple(members: Iterable[GroupMember]) -> tuple[GroupMember, ...]:
    return tuple(members)


@attrs.frozen
class ImportRequest:
    """What ``cf-user-groups import`` generates: the group, its members and the program's shape."""

    account_id: str
    user_group_id: str
    members: tuple[GroupMember, ...] = attrs.field(converter=_as_tuple)
    by: By = "id"
    authoritative: bool = False
    group_name: str | None = None
    name_prefix: str = ""

    def command(self) -> list[str]:
        """The command line that generates this program, as lines (no output or API flags)."""
        rest = ["--group-id", self.user_group_id]
        if self.by != "id":
            rest += ["--by", self.by]
        if self.authoritative:
            rest.append("--authoritative")
        if self.name_prefix:
            rest += ["--name-prefix", self.name_prefix]
        return [f"{PROG} import --account-id {self.account_id} \\", "  " + " ".join(rest)]


def _header(request: ImportRequest) -> list[str]:
    count = len(request.members)
    if request.authoritative:
        shape = "one UserGroupMembers for the whole set"
        adopt = [
            "# The resource carries the import_ option: the first `pulumi up` adopts the member",
            "# set as it is, adding and removing no one, and fails if the group is gone or its",
            "# members have changed since. UserGroupMembers is authoritative: from then on each",
            "# `pulumi up` removes members that are not declared here.",
        ]
    else:
        shape = "one UserGroupMember each"
        adopt = [
            "# Each resource carries the import_ option: the first `pulumi up` adopts the",
            "# existing membership, adding no one, and fails if the member has left the group.",
        ]
    declared = "email" if request.by == "email" else "member_id"
    lines = [
        f"# Pulumi program generated by `{PROG} import` ({PROG} {__version__}).",
        f"# Account:          {request.account_id}",
        f"# User group:       {request.user_group_id}",
    ]
    if request.group_name is not None:
        lines.append(f'# User group name:  "{_comment_text(request.group_name)}"')
    lines += [
        f"# Members:          {count}, declared by {declared}, {shape}",
        "# Command:",
        *(f"#   {line}" for line in request.command()),
        "#",
        *adopt,
        "# Remove the import_ option(s) after that first `pulumi up`; that changes nothing.",
    ]
    return lines


def _sorted_members(request: ImportRequest) -> list[tuple[str, GroupMember]]:
    names = resource_names(request.members, request.name_prefix)
    return sorted(((names[m.id], m) for m in request.members), key=lambda item: item[0])


def _member_block(name: str, member: GroupMember, by: By) -> list[str]:
    lines = [
        "UserGroupMember(",
        f"    {_literal(name)},",
        "    account_id=ACCOUNT_ID,",
        "    user_group_id=USER_GROUP_ID,",
    ]
    if by == "email" and member.email:
        lines.append(f"    email={_literal(member.email)},")
    else:
        if by == "email":
            lines.append(
                "    # Cloudflare reports no email for this member: declared by member_id."
            )
        lines.append(f"    member_id={_literal(member.id)},")
    lines += [
        "    opts=pulumi.ResourceOptions(",
        f'        import_=f"{{ACCOUNT_ID}}/{{USER_GROUP_ID}}/{member.id}"',
        "    ),",
        ")",
    ]
    return lines


def _list_item(value: str, comment: str | None) -> list[str]:
    item = f"        {_literal(value)},"
    if comment is None:
        return [item]
    inline = f"{item}  # {_comment_text(comment)}"
    if len(inline) <= _CODE_WIDTH:
        return [inline]
    return [f"        # {_comment_text(comment)}", item]


def _email_order(member: GroupMember) -> tuple[bool, str, str]:
    # Case-insensitive, members without an email last, the id as the tie-breaker.
    return (member.email is None, (member.email or "").lower(), member.id)


def _set_block(request: ImportRequest) -> list[str]:
    with_email = request.by == "email"
    by_email = sorted((m for m in request.members if with_email and m.email), key=_email_order)
    by_id = sorted((m for m in request.members if not (with_email and m.email)), key=_email_order)
    group = slug(request.group_name or "") or request.user_group_id
    lines = [
        "UserGroupMembers(",
        f"    {_literal(request.name_prefix + group + '-members')},",
        "    account_id=ACCOUNT_ID,",
        "    user_group_id=USER_GROUP_ID,",
    ]
    if by_email:
        lines.append("    emails=[")
        for member in by_email:
            lines += _list_item(member.email or "", None)
        lines.append("    ],")
    # UserGroupMembers wants an empty group declared as member_ids=[], whatever --by says.
    if by_id or not by_email:
        if with_email and by_id:
            lines.append("    # Cloudflare reports no email for these members: declared by id.")
        lines.append("    member_ids=[")
        for member in by_id:
            lines += _list_item(member.id, member.email)
        lines.append("    ],")
    lines += [
        '    opts=pulumi.ResourceOptions(import_=f"{ACCOUNT_ID}/{USER_GROUP_ID}"),',
        ")",
    ]
    return lines


def render_program(request: ImportRequest) -> str:
    """Render the ``__main__.py`` of a Pulumi program that adopts the group's current members."""
    lines = _header(request)
    lines.append("")
    if request.authoritative:
        # One import block: in the user's project both packages are third-party.
        lines += [
            "import pulumi",
            "from cloudflare_user_groups import UserGroupMembers",
            "",
        ]
    elif request.members:
        lines += ["import pulumi", "from cloudflare_user_groups import UserGroupMember", ""]
    lines += [
        f"ACCOUNT_ID = {_literal(request.account_id)}",
        f"USER_GROUP_ID = {_literal(request.user_group_id)}",
    ]
    if request.authoritative:
        lines += ["", *_set_block(request)]
    elif not request.members:
        lines += ["", "# The user group had no members when this program was generated."]
    else:
        for name, member in _sorted_members(request):
            lines += ["", *_member_block(name, member, request.by)]
    return "\n".join(lines) + "\n"


# -- progress ------------------------------------------------------------------------------------


@attrs.define
class Progress:
    """A running count on stderr: rewritten in place on a terminal, a line every N otherwise."""

    stream: TextIO
    label: str
    enabled: bool = True
    every: int = PROGRESS_EVERY
    tty: bool = attrs.field(
        default=attrs.Factory(lambda self: _isatty(self.stream), takes_self=True)
    )
    _reported: int = attrs.field(default=0, init=False)
    _width: int = attrs.field(default=0, init=False)

    def update(self, count: int, total: int | None = None) -> None:
        """Report that ``count`` items (of ``total``, when known) have been read so far."""
        if not self.enabled:
            return
        text = f"{self.label}: {count}" + (f" of {total}" if total is not None else "")
        if self.tty:
            self._rewrite(text)
        elif count - self._reported >= self.every:
            self.stream.write(text + "\n")
            self._reported = count
        else:
            return
        self.stream.flush()

    def finish(self, count: int) -> None:
        """Report the final count and end the line."""
        if not self.enabled:
            return
        text = f"{self.label}: {count}, done"
        if self.tty:
            self._rewrite(text)
            self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _rewrite(self, text: str) -> None:
        # Pad with spaces so that a shorter text hides the end of a longer one.
        self.stream.write("\r" + text.ljust(self._width))
        self._width = max(self._width, len(text))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@attrs.define
class MemberPageCounter:
    """A ``requests`` response hook that counts the members of each listed page.

    The client reads every page before it returns, and offers no per-page callback; this hook on
    its sessions sees each page as it arrives. It only reads the body, which ``requests`` caches,
    so the client still parses the same bytes, and a page it cannot read is simply not counted.
    """

    progress: Progress
    count: int = 0

    def __call__(self, response: requests.Response, *_args: object, **_kwargs: object) -> None:
        """Count the members in ``response`` if it is a page of a group member listing."""
        request = response.request
        path = urllib.parse.urlsplit(response.url).path
        if response.status_code != 200 or request.method != "GET":
            return
        if "/iam/user_groups/" not in path or not path.endswith("/members"):
            return
        try:
            body = response.json()
        except ValueError:
            return
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list):
            return
        info = body.get("result_info")
        total = info.get("total_count") if isinstance(info, dict) else None
        self.count += len(result)
        self.progress.update(self.count, total if isinstance(total, int) else None)

    def session(self) -> requests.Session:
        """A new session that reports member pages to this counter (a client session factory)."""
        session = requests.Session()
        session.hooks["response"].append(self)
        return session


# -- commands ------------------------------------------------------------------------------------


def _connect(
    args: argparse.Namespace, session_factory: Callable[[], requests.Session] | None = None
) -> CloudflareClient:
    try:
        credentials = Credentials.from_values(env=os.environ)
    except CredentialsError as error:
        names = (ENV_API_TOKEN, ENV_API_KEY, ENV_EMAIL)
        if any(os.environ.get(name, "").strip() for name in names):
            raise  # a malformed or incomplete value: the client's message names it
        raise CredentialsError(
            f"no Cloudflare credentials: set {ENV_API_TOKEN} to an API token (preferred), or "
            f"{ENV_API_KEY} and {ENV_EMAIL} to a Global API key and its email ({PROG} takes "
            "no secrets as flags, so that they stay out of shell history)"
        ) from error
    if session_factory is None:
        return CloudflareClient(credentials, base_url=args.base_url)
    return CloudflareClient(credentials, base_url=args.base_url, session_factory=session_factory)


def _list_members_with_progress(
    args: argparse.Namespace,
) -> tuple[CloudflareClient, list[GroupMember]]:
    progress = Progress(
        sys.stderr, f"members of user group {args.group_id}", enabled=not args.quiet
    )
    counter = MemberPageCounter(progress)
    client = _connect(args, counter.session)
    if args.command == "import":
        # Read the group first: a missing group fails here, before any listing starts.
        args.group_name = client.get_user_group(args.account_id, args.group_id).name
    members = client.list_group_members(args.account_id, args.group_id)
    progress.finish(len(members))
    return client, members


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _is_credential_failure(error: APIStatusError) -> bool:
    return isinstance(error, AuthenticationError | PermissionDeniedError) or any(
        error.has_code(code) for code in _HEADER_CODES
    )


def _explain(error: APIStatusError, account_id: str) -> str:
    """Say in a few words what an API failure means for the credentials."""
    kind = "API token" if error.credential_kind == "api_token" else "Global API key"
    status = f"HTTP {error.status_code}"
    if isinstance(error, AuthenticationError):
        return f"{status}: the {kind} was not accepted (wrong, expired or revoked)"
    if error.has_code(_CODE_NO_PERMISSION):
        return (
            f"{status}: the {kind} is valid but may not read here; reading needs "
            f"{READ_PERMISSIONS} on account {account_id}"
        )
    if isinstance(error, PermissionDeniedError):
        return (
            f"{status}: the {kind} was refused for account {account_id}: it is wrong or expired, "
            f"or it lacks {READ_PERMISSIONS} on this account"
        )
    if any(error.has_code(code) for code in _HEADER_CODES):
        return f"{status}: the {kind} is malformed (copy it again, without spaces or quotes)"
    if error.status_code == 404:
        return f"{status}: not found (no such user group, or no user groups on this account)"
    return status


@attrs.define
class _Checks:
    """Prints one line per verification step and remembers the first failure."""

    out: TextIO
    account_id: str
    failure: APIStatusError | None = None

    def ok(self, text: str) -> None:
        self.out.write(f"ok    {text}\n")

    def note(self, text: str) -> None:
        self.out.write(f"--    {text}\n")

    def fail(self, text: str, error: APIStatusError) -> None:
        self.out.write(f"FAIL  {text}: {_explain(error, self.account_id)}\n")
        self.out.flush()
        if self.failure is None:
            self.failure = error


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the credentials by reading (never changing) the account's user groups and members."""
    client = _connect(args)
    out = sys.stdout
    out.write(f"credentials: {client.credentials.describe()} (from the environment)\n")
    out.write(f"API: {client.base_url}\n")
    account_id: str = args.account_id
    group_id: str | None = args.group_id
    checks = _Checks(out, account_id)

    step = f"read the user groups of account {account_id}"
    try:
        groups = client.list_user_groups(account_id)
    except APIStatusError as error:
        checks.fail(step, error)
        if _is_credential_failure(error):
            # Nothing else can work with credentials that are refused: stop at the first one.
            raise
    else:
        checks.ok(f"{step}: {_plural(len(groups), 'user group')}")
        names = {group.id: group.name for group in groups}
        if group_id is not None and group_id in names:
            checks.ok(f'user group {group_id} is "{_comment_text(names[group_id])}"')

    if group_id is not None:
        step = f"read the members of user group {group_id}"
        try:
            members = client.list_group_members(account_id, group_id)
        except APIStatusError as error:
            checks.fail(step, error)
            if _is_credential_failure(error):
                raise
        else:
            checks.ok(f"{step}: {_plural(len(members), 'member')}")

    step = f"read the members of account {account_id} (to declare members by email)"
    try:
        account_members = client.list_account_members(account_id)
    except APIStatusError as error:
        checks.fail(step, error)
    else:
        checks.ok(f"{step}: {_plural(len(account_members), 'member')}")

    # Write access cannot be tested without writing: the client refuses an empty add before
    # sending it, and every other write changes the group. So it is explained, not probed.
    checks.note(
        "write access: not checked, because verify changes nothing; adding and removing "
        f"members needs {WRITE_PERMISSIONS} on the account"
    )
    if checks.failure is not None:
        raise checks.failure
    return EXIT_OK


def cmd_members_list(args: argparse.Namespace) -> int:
    """Print the group's members as a table or a JSON array."""
    _, members = _list_members_with_progress(args)
    out = sys.stdout
    if args.json:
        rows = [{"id": m.id, "email": m.email, "status": m.status} for m in members]
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    table = [("ID", "EMAIL", "STATUS")]
    table += [(m.id, m.email or "-", m.status or "-") for m in members]
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    for row_id, email, status in table:
        out.write(f"{row_id.ljust(widths[0])}  {email.ljust(widths[1])}  {status}\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Generate a Pulumi program that adopts every current member of the group."""
    output: str | None = args.output
    if output not in (None, "-") and Path(output).exists() and not args.force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    _, members = _list_members_with_progress(args)
    program = render_program(
        ImportRequest(
            account_id=args.account_id,
            user_group_id=args.group_id,
            members=members,
            by=args.by,
            authoritative=args.authoritative,
            group_name=args.group_name,
            name_prefix=args.name_prefix,
        )
    )
    if output in (None, "-"):
        sys.stdout.write(program)
        return EXIT_OK
    try:
        Path(output).write_text(program, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
    if not args.quiet:
        count = _plural(len(members), "member")
        sys.stderr.write(f"wrote {output}: {count} of user group {args.group_id}\n")
    return EXIT_OK


# -- argument parsing ----------------------------------------------------------------------------


def _identifier(prop: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        try:
            return validate_identifier(value, prop)
        except InvalidInputError as error:
            raise argparse.ArgumentTypeError(error.rule) from None

    parse.__name__ = prop  # argparse names the type in its message
    return parse


def _name_prefix(value: str) -> str:
    if value and _NAME_PREFIX.fullmatch(value) is None:
        raise argparse.ArgumentTypeError(
            "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'"
        )
    return value


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors, in subcommands too, start with ``cf-user-groups:``."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``cf-user-groups``."""
    # Shared options are accepted before or after the subcommand; SUPPRESS keeps a value given
    # before the subcommand from being reset by the subcommand's own default.
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL (default: $CLOUDFLARE_BASE_URL, else https://api.cloudflare.com/client/v4)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print no progress or status on stderr"
    )

    parser = _Parser(
        prog=PROG,
        parents=[common],
        description=(
            "Inspect Cloudflare user groups and generate Pulumi programs that adopt their members. "
            "Credentials come from the environment: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_KEY "
            "and CLOUDFLARE_EMAIL."
        ),
        epilog="Exit codes: 0 success, 1 API or credential error, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def scoped(sub: argparse.ArgumentParser, *, group_required: bool) -> None:
        sub.add_argument(
            "--account-id",
            required=True,
            type=_identifier("account_id"),
            metavar="ID",
            help="the account's id (32 hexadecimal characters)",
        )
        sub.add_argument(
            "--group-id",
            required=group_required,
            type=_identifier("user_group_id"),
            metavar="ID",
            help="the user group's id" + ("" if group_required else " (optional)"),
        )

    verify = commands.add_parser(
        "verify",
        parents=[common],
        help="check the credentials and what they can read (changes nothing)",
        description=(
            "Check the credentials: list the account's user groups, the group's members (with "
            "--group-id) and the account members. Only reads are sent: write access is "
            "explained, not tested."
        ),
    )
    scoped(verify, group_required=False)
    verify.set_defaults(handler=cmd_verify)

    members = commands.add_parser("members", help="work with a user group's members")
    member_commands = members.add_subparsers(
        dest="members_command", metavar="COMMAND", required=True
    )
    members_list = member_commands.add_parser(
        "list", parents=[common], help="list the members of a user group"
    )
    scoped(members_list, group_required=True)
    members_list.add_argument("--json", action="store_true", help="print a JSON array")
    members_list.set_defaults(handler=cmd_members_list)

    import_ = commands.add_parser(
        "import",
        parents=[common],
        help="generate a Pulumi program that adopts the group's current members",
        description=(
            "Print (or write) a Pulumi program (__main__.py) that declares every current member of "
            "the group with the import_ option, so that the first `pulumi up` adopts them without "
            "changing Cloudflare."
        ),
    )
    scoped(import_, group_required=True)
    import_.add_argument(
        "--by",
        choices=("id", "email"),
        default="id",
        help="declare members by member_id (default) or by email",
    )
    import_.add_argument(
        "--authoritative",
        action="store_true",
        help="declare one UserGroupMembers (the whole member set) instead of one "
        "UserGroupMember per member",
    )
    import_.add_argument(
        "-o", "--output", metavar="FILE", help="write the program to FILE instead of stdout"
    )
    import_.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    import_.add_argument(
        "--name-prefix",
        type=_name_prefix,
        default="",
        metavar="PREFIX",
        help="prefix every resource name, to keep several groups apart in one stack",
    )
    import_.set_defaults(handler=cmd_import)
    return parser


# -- entry point ---------------------------------------------------------------------------------


def _error(message: str) -> None:
    # One line, whatever the message holds.
    sys.stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cf-user-groups`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # --help, --version and usage errors: argparse has printed its message already.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    args.base_url = getattr(args, "base_url", None)
    args.quiet = getattr(args, "quiet", False)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as error:
        parser.print_usage(sys.stderr)
        _error(str(error))
        return EXIT_USAGE
    except (CloudflareError, CommandError) as error:
        _error(str(error))
        return EXIT_ERROR
    except requests.RequestException as error:
        # The client wraps transport errors; this is a safety net that names only the class.
        _error(f"request failed: {type(error).__name__}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        _silence_stdout()
        return EXIT_ERROR
    except Exception as error:  # the single outermost net: a bug must still not print a traceback
        _error(f"unexpected {type(error).__name__}: {error} (this is a bug in {PROG})")
        return EXIT_ERROR


def _silence_stdout() -> None:
    # Python would otherwise report the broken pipe again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
