"""``UserGroupMembers``: the whole member set of one Cloudflare user group as one Pulumi resource.

The resource is authoritative: every create and update makes the declared members the group's
*entire* member set with one ``PUT``, so members added outside this resource are removed. Its id is
``"{account_id}/{user_group_id}"``. Never manage one group with this resource together with
``UserGroupMember`` or with pulumi-cloudflare's ``cloudflare.UserGroupMembers``.

The module path ``cloudflare_user_groups.members`` and the class name ``UserGroupMembersProvider``
are part of every stack's state (the SDK pickles the provider by reference): never rename or move
them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

import attrs
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.dynamic import Resource as DynamicResource

from cloudflare_user_groups._provider import (
    IMPORT_ID,
    BaseProvider,
    check_identifier,
    import_as_adoption,
    is_unknown,
    same_text,
)
from cloudflare_user_groups.errors import (
    CloudflareError,
    InvalidInputError,
    NotFoundError,
    short_repr,
)
from cloudflare_user_groups.models import (
    GroupKey,
    GroupMember,
    validate_email,
    validate_identifier,
)

ACCOUNT_ID = "account_id"
USER_GROUP_ID = "user_group_id"
MEMBER_IDS = "member_ids"
EMAILS = "emails"
MEMBERS = "members"
MEMBER_COUNT = "member_count"
DRIFT = "drift"
OUTPUT_KEYS = (ACCOUNT_ID, USER_GROUP_ID, MEMBER_IDS, EMAILS, MEMBERS, MEMBER_COUNT, DRIFT)

# The largest page the group-member list serves: a group of N members reads in ceil(N/500) requests.
PAGE_SIZE = 500
# How many ids or emails a message names before it summarises the rest.
SHOWN = 10

logger = logging.getLogger(__name__)


class MemberOutput(TypedDict, total=False):
    """One member of the group as Cloudflare lists it."""

    id: str
    email: str
    status: str


class MembersDrift(TypedDict):
    """How the group differs from the declaration, as the last read found it."""

    extra: list[str]
    missing: list[str]


class MemberEmailsNotFoundError(CloudflareError):
    """Some declared emails belong to no member of the account."""


class UserGroupNotFoundError(CloudflareError):
    """The user group does not exist (or no longer exists)."""


class MemberSetMismatchError(CloudflareError):
    """An adopt-only create found members that differ from the declared set."""


def _listing(values: Iterable[str]) -> str:
    """Name at most ``SHOWN`` values, then say how many more there are."""
    items = list(values)
    shown = ", ".join(items[:SHOWN])
    if len(items) > SHOWN:
        shown += f" and {len(items) - SHOWN} more"
    return shown


# Check


def _check_list(
    news: Mapping[str, Any],
    prop: str,
    validate: Callable[[object, str], str],
    inputs: dict[str, Any],
    failures: list[CheckFailure],
) -> None:
    """Validate a list input: normalised, sorted and deduplicated once every item is known."""
    value = news.get(prop)
    if value is None:
        inputs[prop] = []
        return
    if is_unknown(value):
        inputs[prop] = value
        return
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        failures.append(
            CheckFailure(prop, f"must be a list of strings, not {type(value).__name__}")
        )
        return
    items: list[Any] = []
    problems: list[str] = []
    for index, item in enumerate(value):
        if is_unknown(item):
            items.append(item)
            continue
        if item is None:
            problems.append(f"{prop}[{index}] must be a string, not None")
            continue
        try:
            items.append(validate(item, f"{prop}[{index}]"))
        except InvalidInputError as error:
            problems.append(f"{prop}[{index}] {error.rule} (got {short_repr(item, 40)})")
    if problems:
        failures.append(CheckFailure(prop, _listing(problems)))
        return
    # A preview may hold unknown items; keep their places until the values arrive.
    inputs[prop] = items if any(is_unknown(item) for item in items) else sorted(set(items))


def _check_import_id(import_id: Any, inputs: dict[str, Any], failures: list[CheckFailure]) -> None:
    if is_unknown(import_id):
        inputs[IMPORT_ID] = import_id
        return
    try:
        key = GroupKey.parse(import_id, prop=IMPORT_ID)
    except InvalidInputError as error:
        failures.append(CheckFailure(IMPORT_ID, f"ResourceOptions(import_=...) {error.rule}"))
        return
    inputs[IMPORT_ID] = key.id
    for prop, imported in ((ACCOUNT_ID, key.account_id), (USER_GROUP_ID, key.user_group_id)):
        declared = inputs.get(prop)
        if isinstance(declared, str) and declared != imported:
            failures.append(
                CheckFailure(
                    IMPORT_ID,
                    f"ResourceOptions(import_={key.id!r}) names {prop} {imported!r}, "
                    f"but the resource declares {declared!r}",
                )
            )


def check_members_inputs(news: Mapping[str, Any]) -> CheckResult:
    """Validate and normalise the inputs of a ``UserGroupMembers``; unknown values pass.

    ``member_ids`` and ``emails`` come back lower-cased, sorted and deduplicated (absent ones as
    ``[]``), so order and repetition in the program never cause a diff. Leaving out both is an
    error, because it is more likely a mistake than a wish to empty the group: an empty group is
    declared with ``member_ids=[]``.
    """
    inputs: dict[str, Any] = {}
    failures: list[CheckFailure] = []
    check_identifier(news, ACCOUNT_ID, inputs, failures)
    check_identifier(news, USER_GROUP_ID, inputs, failures)
    if news.get(MEMBER_IDS) is None and news.get(EMAILS) is None:
        failures.append(
            CheckFailure(
                MEMBER_IDS,
                "declare the members with member_ids and/or emails; "
                "to keep the group empty, pass member_ids=[] explicitly",
            )
        )
    _check_list(news, MEMBER_IDS, validate_identifier, inputs, failures)
    _check_list(news, EMAILS, validate_email, inputs, failures)
    import_id = news.get(IMPORT_ID)
    if import_id is not None:
        _check_import_id(import_id, inputs, failures)
    return CheckResult(inputs, failures)


# Diff


@attrs.frozen
class MemberSetChange:
    """What an update would do to the group: ids (or unresolved emails) to add and to remove."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the group already has the declared members."""
        return not self.add and not self.remove

    def describe(self) -> str:
        """A short account of the change, naming at most ``SHOWN`` members per side."""
        parts = []
        if self.remove:
            parts.append(f"removes {len(self.remove)} member(s): {_listing(self.remove)}")
        if self.add:
            parts.append(f"adds {len(self.add)} member(s): {_listing(self.add)}")
        return "; ".join(parts) or "changes nothing"


def _known_set(value: Any) -> set[str] | None:
    """The items of a list input lower-cased, or None while any part is unknown."""
    if value is None:
        return set()
    if not isinstance(value, (list, tuple)):
        return None
    if not all(isinstance(item, str) for item in value):
        return None  # unknown items (or, defensively, anything Check would have refused)
    return {item.lower() for item in value}


def _members_by_email(members: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        str(member["email"]).lower(): str(member["id"]).lower()
        for member in members
        if member.get("email") and member.get("id")
    }


def _resolve_declared(
    ids: set[str], emails: set[str], by_email: Mapping[str, str]
) -> tuple[set[str], set[str]]:
    """The declared ids plus the ids of the emails found; and the emails not found."""
    resolved = set(ids)
    unresolved = set()
    for email in emails:
        member_id = by_email.get(email)
        if member_id is None:
            unresolved.add(email)
        else:
            resolved.add(member_id)
    return resolved, unresolved


def pending_change(olds: Mapping[str, Any], news: Mapping[str, Any]) -> MemberSetChange | None:
    """What an update from the recorded outputs to the new inputs would do; None if unknown.

    The recorded ``members`` output is what Cloudflare had at the last create, update or refresh;
    a declared email counts as the member recorded with that email, so one person declared by id
    and by email counts once. An email that no recorded member has must be added.
    """
    ids = _known_set(news.get(MEMBER_IDS))
    emails = _known_set(news.get(EMAILS))
    if ids is None or emails is None:
        return None
    recorded = olds.get(MEMBERS)
    if isinstance(recorded, list) and all(isinstance(m, Mapping) for m in recorded):
        current = {str(m["id"]).lower() for m in recorded if m.get("id")}
        resolved, unresolved = _resolve_declared(ids, emails, _members_by_email(recorded))
        return MemberSetChange(
            add=(*sorted(resolved - current), *sorted(unresolved)),
            remove=tuple(sorted(current - resolved)),
        )
    # No listing recorded (not written by this provider): compare the declarations themselves.
    old_ids = _known_set(olds.get(MEMBER_IDS)) or set()
    old_emails = _known_set(olds.get(EMAILS)) or set()
    return MemberSetChange(
        add=(*sorted(ids - old_ids), *sorted(emails - old_emails)),
        remove=(*sorted(old_ids - ids), *sorted(old_emails - emails)),
    )


def diff_members(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """Compare the old outputs with the new inputs as sets; only a new group is a replacement.

    ``import_id`` is ignored, so removing ``import_`` after the adoption changes nothing. The
    answer is never "unknown": an unknown member list counts as a change.
    """
    replaces = [
        key for key in (ACCOUNT_ID, USER_GROUP_ID) if not same_text(news.get(key), olds.get(key))
    ]
    if replaces:
        # Another group: the new set goes in before the old group is emptied; they never overlap.
        return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
    change = pending_change(olds, news)
    changed = change is None or not change.empty
    return DiffResult(changes=changed, replaces=[], delete_before_replace=False)


# Outputs


def _member_output(member: GroupMember, email: str | None) -> MemberOutput:
    output: MemberOutput = {"id": member.id}
    if email:
        output["email"] = email.lower()
    if member.status:
        output["status"] = member.status
    return output


def members_outputs(
    key: GroupKey,
    ids: Sequence[str] | None,
    emails: Sequence[str] | None,
    members: Iterable[GroupMember],
    email_ids: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the outputs from the declaration and the members Cloudflare reported.

    ``ids`` and ``emails`` of None mean "nothing declared" (a ``get``): no declaration and no
    drift are recorded. ``email_ids`` (email to member id, from the account roster) fills in an
    email the member listing left out and resolves emails in the drift.
    """
    email_of = {member_id: email for email, member_id in (email_ids or {}).items()}
    listed = sorted({m.id: m for m in members}.values(), key=lambda m: m.id)
    outputs_members = [_member_output(m, m.email or email_of.get(m.id)) for m in listed]
    outputs: dict[str, Any] = {
        ACCOUNT_ID: key.account_id,
        USER_GROUP_ID: key.user_group_id,
        MEMBER_IDS: None,
        EMAILS: None,
        MEMBERS: outputs_members,
        MEMBER_COUNT: len(outputs_members),
        DRIFT: None,
    }
    if ids is None and emails is None:
        return outputs
    declared_ids = sorted({i.lower() for i in ids or ()})
    declared_emails = sorted({e.lower() for e in emails or ()})
    by_email = {**(email_ids or {}), **_members_by_email(outputs_members)}
    resolved, unresolved = _resolve_declared(set(declared_ids), set(declared_emails), by_email)
    current = {m["id"] for m in outputs_members}
    drift: MembersDrift = {
        "extra": sorted(current - resolved),
        "missing": [*sorted(resolved - current), *sorted(unresolved)],
    }
    outputs.update({MEMBER_IDS: declared_ids, EMAILS: declared_emails, DRIFT: drift})
    return outputs


def _declared(props: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    return list(props.get(MEMBER_IDS) or []), list(props.get(EMAILS) or [])


def _key_from(id_: str, props: Mapping[str, Any]) -> GroupKey:
    """Find the group from the recorded outputs, falling back to the resource id."""
    try:
        return GroupKey(account_id=props[ACCOUNT_ID], user_group_id=props[USER_GROUP_ID])
    except (KeyError, TypeError, ValueError):
        return GroupKey.parse(id_)


class UserGroupMembersProvider(BaseProvider):
    """Replace, read and empty a group's whole member set; see :class:`UserGroupMembers`."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs before any request; one failure per bad property."""
        return check_members_inputs(news)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Report a change when the declared set differs from the recorded one, as sets.

        Python dynamic providers cannot send a detailed diff, so the members an update would
        remove are named in a warning on the provider's log (stderr, which the CLI shows), and
        additions at INFO level.
        """
        result = diff_members(olds, news)
        if result.changes and not result.replaces:
            change = pending_change(olds, news)
            if change is not None and not change.empty:
                level = logging.WARNING if change.remove else logging.INFO
                logger.log(
                    level,
                    "cloudflare:UserGroupMembers %s: the next update %s",
                    id_ or f"{news.get(ACCOUNT_ID)}/{news.get(USER_GROUP_ID)}",
                    change.describe(),
                )
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Make the declared members the group's whole member set with one PUT.

        Members of the group that are not declared are **removed**. With ``import_id`` nothing is
        written: the group must already have exactly the declared members, or this fails. A
        failure part-way leaves a group that a rerun's identical PUT converges.
        """
        if props.get(IMPORT_ID):
            return self._adopt(props)
        key = GroupKey(props[ACCOUNT_ID], props[USER_GROUP_ID])
        ids, emails = _declared(props)
        wanted, email_ids = self._resolve(key, ids, emails, "create")
        members = self._replace(key, wanted, "create", propagating=True)
        return CreateResult(key.id, members_outputs(key, ids, emails, members, email_ids))

    def _adopt(self, props: dict[str, Any]) -> CreateResult:
        key = GroupKey.parse(props[IMPORT_ID], prop=IMPORT_ID)
        ids, emails = _declared(props)
        try:
            members = self.client.list_group_members(
                key.account_id, key.user_group_id, per_page=PAGE_SIZE
            )
        except NotFoundError as error:
            raise UserGroupNotFoundError(
                f"import UserGroupMembers {key.id}: user group {key.user_group_id} does not exist "
                f"in account {key.account_id}. Nothing was changed."
            ) from error
        outputs = members_outputs(key, ids, emails, members)
        drift: MembersDrift = outputs[DRIFT]
        if drift["extra"] or drift["missing"]:
            details = []
            if drift["extra"]:
                details.append(f"in the group but not declared: {_listing(drift['extra'])}")
            if drift["missing"]:
                details.append(f"declared but not in the group: {_listing(drift['missing'])}")
            raise MemberSetMismatchError(
                f"import UserGroupMembers {key.id}: the group's members differ from the declared "
                f"set ({'; '.join(details)}). Nothing was changed. Declare exactly the current "
                "members to adopt the group, or remove the import_ option to replace its members."
            )
        return CreateResult(key.id, outputs)

    def _resolve(
        self, key: GroupKey, ids: Sequence[str], emails: Sequence[str], operation: str
    ) -> tuple[list[str], dict[str, str]]:
        """The member ids to PUT, and the email-to-id map, with one roster listing for emails.

        Every unknown email is named in one error, raised before anything is written.
        """
        wanted = set(ids)
        if not emails:
            return sorted(wanted), {}
        roster: dict[str, str] = {}
        for member in self.client.list_account_members(key.account_id):
            for address in (member.email, member.user.email if member.user else None):
                if address:
                    roster.setdefault(address.lower(), member.id)
        unknown = [email for email in emails if email.lower() not in roster]
        if unknown:
            raise MemberEmailsNotFoundError(
                f"{operation} UserGroupMembers {key.id}: no member of account {key.account_id} "
                f"has the email(s) {_listing(repr(e) for e in unknown)}. Nothing was changed; "
                "invite these people to the account first, or remove them from emails."
            )
        email_ids = {email.lower(): roster[email.lower()] for email in emails}
        wanted.update(email_ids.values())
        return sorted(wanted), email_ids

    def _replace(
        self, key: GroupKey, wanted: list[str], operation: str, *, propagating: bool
    ) -> list[GroupMember]:
        """PUT the whole set; returns the members Cloudflare then has."""
        client = self.client
        account_id, user_group_id = key.account_id, key.user_group_id

        def put() -> list[GroupMember]:
            return client.replace_group_members(account_id, user_group_id, wanted)

        try:
            echoed = self._while_propagating(put) if propagating else put()
        except NotFoundError as error:
            raise UserGroupNotFoundError(
                f"{operation} UserGroupMembers {key.id}: user group {user_group_id} does not "
                f"exist in account {account_id}. If it was deleted outside Pulumi, run "
                "`pulumi refresh` and declare an existing group."
            ) from error
        finally:
            self.forget_group(account_id, user_group_id)  # even a failed PUT may have landed
        if {member.id for member in echoed} != set(wanted):
            # The echo should be the full new set; if it is not, trust a fresh listing instead.
            echoed = client.list_group_members(account_id, user_group_id, per_page=PAGE_SIZE)
        return echoed

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Read every page of the group's members; a missing group returns the empty id (gone).

        Members added or removed outside Pulumi change ``members`` and ``drift``; the recorded
        declaration (``member_ids``, ``emails``) is kept. No inputs are returned, on purpose: the
        engine then keeps the stored inputs (``RefreshStep`` in pulumi/pulumi), which stay the
        program's declaration on every engine version, and the next ``pulumi up`` diffs that
        declaration against the members read here and puts the group back. Returning the members
        read as inputs would record the drift as if it were declared: emails would turn into ids,
        and ``ignore_changes=["member_ids"]`` would keep the drift instead of only ignoring edits.
        """
        key = _key_from(id_, props)
        try:
            members = self.client.list_group_members(
                key.account_id, key.user_group_id, per_page=PAGE_SIZE
            )
        except NotFoundError:
            return ReadResult(None, {})
        if MEMBER_IDS in props or EMAILS in props:
            ids, emails = _declared(props)
            return ReadResult(key.id, members_outputs(key, ids, emails, members))
        # A get(): nothing is declared, so nothing can have drifted.
        return ReadResult(key.id, members_outputs(key, None, None, members))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make the declared members the whole set with one PUT; returns every output."""
        key = GroupKey(news[ACCOUNT_ID], news[USER_GROUP_ID])
        ids, emails = _declared(news)
        wanted, email_ids = self._resolve(key, ids, emails, "update")
        members = self._replace(key, wanted, "update", propagating=False)
        return UpdateResult(members_outputs(key, ids, emails, members, email_ids))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Empty the group with one PUT of ``[]``; a group that is already gone counts as done.

        The group itself is kept. Use ``ResourceOptions(retain_on_delete=True)`` to keep the
        members when the resource leaves the program.
        """
        key = _key_from(id_, props)
        try:
            self.client.replace_group_members(key.account_id, key.user_group_id, [])
        except NotFoundError:
            pass
        finally:
            self.forget_group(key.account_id, key.user_group_id)


class UserGroupMembers(DynamicResource, module="cloudflare", name="UserGroupMembers"):
    """The whole member set of one Cloudflare user group, managed authoritatively.

    Members are declared by ``member_ids`` (account member ids, not user ids), by ``emails``, or
    both; order and repetition do not matter. Every create and update **removes** the group's
    members that are not declared; ``member_ids=[]`` keeps the group empty. Destroying the
    resource empties the group. ``opts=ResourceOptions(import_="<account_id>/<user_group_id>")``
    adopts a group whose members already equal the declared set, without writing anything.
    """

    account_id: pulumi.Output[str]
    """The account's id."""
    user_group_id: pulumi.Output[str]
    """The user group's id."""
    member_ids: pulumi.Output[list[str]]
    """The declared member ids: lower case, sorted, without duplicates."""
    emails: pulumi.Output[list[str]]
    """The declared emails: lower case, sorted, without duplicates."""
    members: pulumi.Output[list[MemberOutput]]
    """The group's members as Cloudflare lists them, sorted by id: ``id``, ``email``, ``status``."""
    member_count: pulumi.Output[int]
    """How many members the group has."""
    drift: pulumi.Output[MembersDrift]
    """``extra``: members outside the declaration; ``missing``: declared but not in the group.

    Both are empty after a create or update; a refresh fills them with changes made outside
    Pulumi, which the next ``pulumi up`` reverts.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        account_id: pulumi.Input[str],
        user_group_id: pulumi.Input[str],
        member_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        emails: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {key: None for key in OUTPUT_KEYS}
        props.update(
            {
                ACCOUNT_ID: account_id,
                USER_GROUP_ID: user_group_id,
                MEMBER_IDS: member_ids,
                EMAILS: emails,
            }
        )
        opts = import_as_adoption(props, opts)
        super().__init__(UserGroupMembersProvider(), resource_name, props, opts)

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> UserGroupMembers:
        """Read an existing group's members by its id, ``<account_id>/<user_group_id>``."""
        if isinstance(id, str):
            GroupKey.parse(id)  # a malformed literal id fails here, with the expected form
        key = pulumi.Output.from_input(id).apply(GroupKey.parse)
        return cls(
            resource_name,
            account_id=key.apply(lambda k: k.account_id),
            user_group_id=key.apply(lambda k: k.user_group_id),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
        )
