"""``UserGroupMember``: one Cloudflare user-group membership as a Pulumi dynamic resource.

The resource is non-authoritative: it adds and removes exactly one member of one group and never
touches the group's other members. Its id is ``"{account_id}/{user_group_id}/{member_id}"``.

The module path ``cloudflare_user_groups.member`` and the class name ``UserGroupMemberProvider`` are
part of every stack's state (the SDK pickles the provider by reference): never rename or move them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Any, TypedDict

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
    APIStatusError,
    BadRequestError,
    CloudflareError,
    InvalidInputError,
    NotFoundError,
)
from cloudflare_user_groups.models import (
    GroupMember,
    GroupMemberDetail,
    MemberKey,
    User,
    validate_email,
)

ACCOUNT_ID = "account_id"
USER_GROUP_ID = "user_group_id"
MEMBER_ID = "member_id"
EMAIL = "email"
IDENTIFIED_BY = "identified_by"
INPUT_KEYS = (ACCOUNT_ID, USER_GROUP_ID, MEMBER_ID, EMAIL, IMPORT_ID)
OUTPUT_KEYS = (
    ACCOUNT_ID,
    USER_GROUP_ID,
    MEMBER_ID,
    EMAIL,
    "status",
    "created_at",
    "user",
    IDENTIFIED_BY,
)

# Cloudflare answers "InvalidMember" with the envelope code 400 when the id is no longer a member
# of the account (the person left it): for a removal or a read that means the membership is gone.
INVALID_MEMBER_CODE = 400

logger = logging.getLogger(__name__)


class _Gone(enum.Enum):
    """The membership is not in the group's listing."""

    GONE = "gone"


class MemberUser(TypedDict, total=False):
    """The Cloudflare user behind a membership, as the single-member GET returns it."""

    id: str
    email: str
    first_name: str
    last_name: str


class MembershipNotFoundError(CloudflareError):
    """An adopt-only create (``import_``) found no such membership."""


class MembershipMismatchError(CloudflareError):
    """An adopt-only create found a membership that does not match the declared inputs."""


class MemberEmailNotFoundError(CloudflareError):
    """No member of the account has the declared email."""


def is_gone(error: CloudflareError) -> bool:
    """Tell whether an API error means the membership (or its group) no longer exists."""
    if isinstance(error, NotFoundError):
        return True
    return isinstance(error, BadRequestError) and error.has_code(INVALID_MEMBER_CODE)


def check_member_inputs(news: Mapping[str, Any]) -> CheckResult:
    """Validate and normalise the inputs of a ``UserGroupMember``; unknown values pass."""
    inputs: dict[str, Any] = {}
    failures: list[CheckFailure] = []
    check_identifier(news, ACCOUNT_ID, inputs, failures)
    check_identifier(news, USER_GROUP_ID, inputs, failures)

    has_member_id = news.get(MEMBER_ID) is not None
    has_email = news.get(EMAIL) is not None
    if has_member_id and has_email:
        failures.append(CheckFailure(EMAIL, "set exactly one of member_id and email, not both"))
    elif not has_member_id and not has_email:
        failures.append(
            CheckFailure(
                MEMBER_ID,
                "set exactly one of member_id (the account member id) and email",
            )
        )
    if has_member_id:
        check_identifier(news, MEMBER_ID, inputs, failures)
    if has_email:
        email = news.get(EMAIL)
        if is_unknown(email):
            inputs[EMAIL] = email
        else:
            try:
                inputs[EMAIL] = validate_email(email, EMAIL)
            except InvalidInputError as error:
                failures.append(CheckFailure(EMAIL, error.rule))

    import_id = news.get(IMPORT_ID)
    if import_id is not None:
        _check_import_id(import_id, inputs, failures)
    return CheckResult(inputs, failures)


def _check_import_id(import_id: Any, inputs: dict[str, Any], failures: list[CheckFailure]) -> None:
    if is_unknown(import_id):
        inputs[IMPORT_ID] = import_id
        return
    try:
        key = MemberKey.parse(import_id)
    except InvalidInputError as error:
        failures.append(CheckFailure(IMPORT_ID, f"ResourceOptions(import_=...) {error.rule}"))
        return
    inputs[IMPORT_ID] = key.id
    for prop, imported in (
        (ACCOUNT_ID, key.account_id),
        (USER_GROUP_ID, key.user_group_id),
        (MEMBER_ID, key.member_id),
    ):
        declared = inputs.get(prop)
        if isinstance(declared, str) and declared != imported:
            failures.append(
                CheckFailure(
                    IMPORT_ID,
                    f"ResourceOptions(import_={key.id!r}) names {prop} {imported!r}, "
                    f"but the resource declares {declared!r}",
                )
            )


def diff_member(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """Compare the old outputs with the new inputs; any identity change is a replacement.

    ``import_id`` is ignored, so removing ``import_`` after the adoption changes nothing. A member
    declared by id and later by email (or the other way round) is the same membership when the id
    or email recorded in state matches.
    """
    replaces = [
        key for key in (ACCOUNT_ID, USER_GROUP_ID) if not same_text(news.get(key), olds.get(key))
    ]
    if news.get(MEMBER_ID) is not None:
        if not same_text(news.get(MEMBER_ID), olds.get(MEMBER_ID)):
            replaces.append(MEMBER_ID)
    elif not same_text(news.get(EMAIL), olds.get(EMAIL)):
        replaces.append(EMAIL)
    if not replaces:
        return DiffResult(changes=False, replaces=[], delete_before_replace=False)
    # The new membership can be the old one only while the group stays the same (say, an email
    # that now resolves to the same member). Then the old one must go first, or deleting it after
    # the create would remove the membership the create just adopted.
    same_group = ACCOUNT_ID not in replaces and USER_GROUP_ID not in replaces
    return DiffResult(changes=True, replaces=replaces, delete_before_replace=same_group)


def member_outputs(key: MemberKey, detail: GroupMemberDetail, identified_by: str) -> dict[str, Any]:
    """Build the resource's outputs from a membership read from Cloudflare."""
    user: dict[str, str] | None = None
    if detail.user is not None:
        user = {
            name: value
            for name, value in (
                ("id", detail.user.id),
                ("email", detail.user.email),
                ("first_name", detail.user.first_name),
                ("last_name", detail.user.last_name),
            )
            if value is not None
        }
    return {
        ACCOUNT_ID: key.account_id,
        USER_GROUP_ID: key.user_group_id,
        MEMBER_ID: key.member_id,
        EMAIL: detail.email.lower() if detail.email else None,
        "status": detail.status,
        "created_at": detail.created_at,
        "user": user,
        IDENTIFIED_BY: identified_by,
    }


def _key_from(id_: str, props: Mapping[str, Any]) -> MemberKey:
    """Find the membership from the recorded outputs, falling back to the resource id."""
    try:
        return MemberKey(
            account_id=props[ACCOUNT_ID],
            user_group_id=props[USER_GROUP_ID],
            member_id=props[MEMBER_ID],
        )
    except (KeyError, TypeError, ValueError):
        return MemberKey.parse(id_)


class UserGroupMemberProvider(BaseProvider):
    """Create, read and remove one membership; see :class:`UserGroupMember`."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs before any request; one failure per bad property."""
        return check_member_inputs(news)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Report a replacement for any identity change and no change otherwise."""
        return diff_member(olds, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Add the member (adopting an existing membership) and read it back.

        With ``import_id`` nothing is added: the membership must exist and match, or this fails.
        A failure after the add leaves a membership that a rerun adopts, so reruns converge.
        """
        if props.get(IMPORT_ID):
            return self._adopt(props)
        client = self.client
        account_id = props[ACCOUNT_ID]
        user_group_id = props[USER_GROUP_ID]
        identified_by = MEMBER_ID if props.get(MEMBER_ID) else EMAIL
        if identified_by == MEMBER_ID:
            member_id = props[MEMBER_ID]
        else:
            member = client.find_account_member_by_email(account_id, props[EMAIL])
            if member is None:
                raise MemberEmailNotFoundError(
                    f"create UserGroupMember: no member of account {account_id} has the email "
                    f"{props[EMAIL]!r}; invite the person to the account first"
                )
            member_id = member.id
        key = MemberKey(account_id=account_id, user_group_id=user_group_id, member_id=member_id)
        try:
            echoed = self._while_propagating(
                lambda: client.add_group_members(account_id, user_group_id, [member_id])
            )
        finally:
            self.forget_group(account_id, user_group_id)  # even a failed add may have landed
        # The add has landed. Failing now would leave a membership that no state records, so
        # when the details cannot be read, the add's echo is enough: a refresh fills in the rest.
        echo = next((m for m in echoed if m.id == member_id), None)
        try:
            if echo is None:
                detail = self._while_propagating(
                    lambda: client.get_group_member(account_id, user_group_id, member_id)
                )
            else:
                detail = client.get_group_member(account_id, user_group_id, member_id)
        except CloudflareError as error:
            if echo is None:
                raise
            logger.warning(
                "create UserGroupMember %s: added, but reading its details failed (%s); "
                "created_at and user stay empty until the next refresh",
                key.id,
                error,
            )
            detail = GroupMemberDetail(id=echo.id, email=echo.email, status=echo.status)
        return CreateResult(key.id, member_outputs(key, detail, identified_by))

    def _adopt(self, props: dict[str, Any]) -> CreateResult:
        key = MemberKey.parse(props[IMPORT_ID])
        identified_by = MEMBER_ID if props.get(MEMBER_ID) else EMAIL
        try:
            detail = self.client.get_group_member(key.account_id, key.user_group_id, key.member_id)
        except APIStatusError as error:
            if not is_gone(error):
                raise
            raise MembershipNotFoundError(
                f"import UserGroupMember {key.id}: member {key.member_id} is not in user group "
                f"{key.user_group_id} of account {key.account_id} (or the group does not exist). "
                "Nothing was changed. Remove the import_ option to add the member instead."
            ) from error
        email = props.get(EMAIL)
        if identified_by == EMAIL and not same_text(email, detail.email):
            raise MembershipMismatchError(
                f"import UserGroupMember {key.id}: the member's email is {detail.email!r}, "
                f"but the resource declares {email!r}. Nothing was changed."
            )
        return CreateResult(key.id, member_outputs(key, detail, identified_by))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Read the membership; a missing member or group returns the empty id (gone).

        Reads of many memberships of one group share one listing of the group (see ``_cache``);
        the details only the single-member GET returns are kept from the previous state while
        the member's email and status are unchanged.
        """
        key = _key_from(id_, props)
        identified_by = props.get(IDENTIFIED_BY) or MEMBER_ID
        detail = self._listed(key, props)
        if detail is None:
            try:
                detail = self.client.get_group_member(
                    key.account_id, key.user_group_id, key.member_id
                )
            except APIStatusError as error:
                if is_gone(error):
                    return ReadResult(None, {})
                raise
        elif detail is _Gone.GONE:
            return ReadResult(None, {})
        outputs = member_outputs(key, detail, identified_by)
        inputs = {
            ACCOUNT_ID: key.account_id,
            USER_GROUP_ID: key.user_group_id,
            identified_by: outputs[identified_by],
        }
        return ReadResult(key.id, outputs, inputs)

    def _listed(self, key: MemberKey, props: Mapping[str, Any]) -> GroupMemberDetail | _Gone | None:
        """The membership from a shared group listing; None when it must be read on its own."""
        if props.get("created_at") is None:
            return None  # no earlier details to keep (a get(), or a read after create lagged)
        client = self.client

        def fetch() -> dict[str, GroupMember] | None:
            try:
                return {
                    m.id: m for m in client.list_group_members(key.account_id, key.user_group_id)
                }
            except NotFoundError:
                return None

        listed = self.group_lists.members(
            (client.base_url, key.account_id, key.user_group_id), fetch
        )
        if listed is None:
            return None
        member = listed.get(key.member_id)
        if member is None:
            return _Gone.GONE
        if not (same_text(member.email, props.get(EMAIL)) and member.status == props.get("status")):
            return None  # changed since the last read: fetch fresh details
        user = props.get("user") or {}
        return GroupMemberDetail(
            id=member.id,
            email=member.email,
            status=member.status,
            created_at=props.get("created_at"),
            user=User(
                id=user.get("id"),
                email=user.get("email"),
                first_name=user.get("first_name"),
                last_name=user.get("last_name"),
            )
            if user
            else None,
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Nothing of a membership can change in place: keep every output (never drop them)."""
        outputs = {key: olds.get(key) for key in OUTPUT_KEYS}
        return UpdateResult(outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove this one member; a membership that is already gone counts as removed."""
        key = _key_from(id_, props)
        try:
            self.client.remove_group_member(key.account_id, key.user_group_id, key.member_id)
        except APIStatusError as error:
            if not is_gone(error):
                raise
        finally:
            self.forget_group(key.account_id, key.user_group_id)


class UserGroupMember(DynamicResource, module="cloudflare", name="UserGroupMember"):
    """One member of one Cloudflare user group, managed without touching the other members.

    Declare the member by ``member_id`` (the *account member* id, not the user id) or by
    ``email``. ``opts=ResourceOptions(import_="<account_id>/<user_group_id>/<member_id>")``
    adopts an existing membership without adding anything.
    """

    account_id: pulumi.Output[str]
    """The account's id."""
    user_group_id: pulumi.Output[str]
    """The user group's id."""
    member_id: pulumi.Output[str]
    """The account member's id (resolved from ``email`` when declared by email)."""
    email: pulumi.Output[str | None]
    """The member's email as Cloudflare reports it (lower case)."""
    status: pulumi.Output[str | None]
    """``accepted`` or ``pending`` (an invitation not yet accepted)."""
    created_at: pulumi.Output[str | None]
    """When the member was added to the group."""
    user: pulumi.Output[MemberUser | None]
    """The Cloudflare user: ``id``, ``email``, ``first_name``, ``last_name``."""
    identified_by: pulumi.Output[str]
    """``member_id`` or ``email``: how the program declares the member."""

    def __init__(
        self,
        resource_name: str,
        *,
        account_id: pulumi.Input[str],
        user_group_id: pulumi.Input[str],
        member_id: pulumi.Input[str] | None = None,
        email: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {key: None for key in OUTPUT_KEYS}
        props.update(
            {
                ACCOUNT_ID: account_id,
                USER_GROUP_ID: user_group_id,
                MEMBER_ID: member_id,
                EMAIL: email,
            }
        )
        opts = import_as_adoption(props, opts)
        super().__init__(UserGroupMemberProvider(), resource_name, props, opts)

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> UserGroupMember:
        """Read an existing membership by its id, ``<account_id>/<user_group_id>/<member_id>``."""
        if isinstance(id, str):
            MemberKey.parse(id)  # a malformed literal id fails here, with the expected form
        key = pulumi.Output.from_input(id).apply(MemberKey.parse)
        return cls(
            resource_name,
            account_id=key.apply(lambda k: k.account_id),
            user_group_id=key.apply(lambda k: k.user_group_id),
            member_id=key.apply(lambda k: k.member_id),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
        )
