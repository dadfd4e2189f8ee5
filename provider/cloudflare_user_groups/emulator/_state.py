"""The emulator's in-memory model of accounts, account members, user groups and memberships.

Every public method takes the one lock handed in at construction, so a request's read-modify-write
is atomic; methods answer plain JSON-ready dicts shaped like the Cloudflare API objects and raise
:class:`ApiError` for anything the API would refuse.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cloudflare_user_groups.emulator._errors import (
    CODE_DUPLICATE_EMAIL,
    CODE_DUPLICATE_GROUP_NAME,
    ApiError,
    account_member_not_found,
    group_member_not_found,
    group_not_found,
    invalid_body,
    invalid_member,
)

_IDENTIFIER = re.compile(r"[0-9a-fA-F]{32}")
MEMBER_STATUSES = ("accepted", "pending")
ACCOUNT_MEMBER_ORDERS = ("user.first_name", "user.last_name", "user.email", "status")


def is_identifier(value: object) -> bool:
    """Tell whether ``value`` is a 32-character hex string (either case)."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def new_identifier() -> str:
    """Return a fresh random 32-character lower-case hex identifier."""
    return secrets.token_hex(16)


def timestamp() -> str:
    """Return the current UTC time as RFC 3339 with a ``Z`` suffix."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sort_text(value: str | None) -> str:
    return (value or "").casefold()


@dataclass
class _AccountMember:
    id: str
    email: str
    status: str
    user_id: str
    first_name: str | None
    last_name: str | None
    roles: list[str] = field(default_factory=list)
    policies: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"id": self.id, "email": self.email, "status": self.status}

    def to_api(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "status": self.status,
            # The SDK's Role model has these four fields; the emulator knows no role catalogue.
            "roles": [
                {"id": role, "name": role, "description": "", "permissions": {}}
                for role in self.roles
            ],
            "policies": copy.deepcopy(self.policies),
            "user": {
                "id": self.user_id,
                "email": self.email,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "two_factor_authentication_enabled": False,
            },
        }


@dataclass
class _UserGroup:
    id: str
    name: str
    created_on: str
    modified_on: str
    policies: list[dict[str, object]] = field(default_factory=list)
    # member id -> RFC 3339 time it was added to the group
    members: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
            "policies": copy.deepcopy(self.policies),
        }


@dataclass
class _Account:
    members: dict[str, _AccountMember] = field(default_factory=dict)
    groups: dict[str, _UserGroup] = field(default_factory=dict)


def _member_sort_key(member: dict[str, object]) -> tuple[str, str]:
    email = member.get("email")
    return (_sort_text(email if isinstance(email, str) else None), str(member["id"]))


def normalize_policies(value: object) -> list[dict[str, object]]:
    """Check a ``policies`` array loosely and give each policy a fresh server-side id."""
    if not isinstance(value, list):
        raise invalid_body("policies must be an array")
    policies: list[dict[str, object]] = []
    for policy in value:
        if not isinstance(policy, dict):
            raise invalid_body("each policy must be an object")
        access = policy.get("access")
        if access is not None and access not in ("allow", "deny"):
            raise invalid_body("policy access must be 'allow' or 'deny'")
        for key in ("permission_groups", "resource_groups"):
            if key in policy and not isinstance(policy[key], list):
                raise invalid_body(f"policy {key} must be an array")
        stored = {str(k): copy.deepcopy(v) for k, v in policy.items()}
        # Cloudflare assigns new policy ids on every write (ALCHEMY UserGroup.ts notes).
        stored["id"] = new_identifier()
        policies.append(stored)
    return policies


class State:
    """Thread-safe store of every account the emulator has seen."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._accounts: dict[str, _Account] = {}

    # -- helpers (callers hold the lock) -------------------------------------------------------

    def _account(self, account_id: str) -> _Account:
        # Any well-formed account id exists on first use.
        return self._accounts.setdefault(account_id.lower(), _Account())

    def _group(self, account_id: str, user_group_id: str) -> _UserGroup:
        group = self._account(account_id).groups.get(user_group_id.lower())
        if group is None:
            raise group_not_found()
        return group

    def _account_member(self, account_id: str, member_id: str) -> _AccountMember:
        member = self._account(account_id).members.get(member_id.lower())
        if member is None:
            raise account_member_not_found()
        return member

    def _group_members(self, account: _Account, group: _UserGroup) -> list[dict[str, object]]:
        members = [account.members[mid].summary() for mid in group.members]
        members.sort(key=_member_sort_key)
        return members

    def _resolve_members(self, account: _Account, member_ids: Iterable[str]) -> list[str]:
        resolved: list[str] = []
        for member_id in member_ids:
            if not is_identifier(member_id) or member_id.lower() not in account.members:
                raise invalid_member(member_id)
            resolved.append(member_id.lower())
        return resolved

    # -- account members ---------------------------------------------------------------------

    def add_account_member(
        self,
        account_id: str,
        email: str,
        *,
        status: str = "pending",
        first_name: str | None = None,
        last_name: str | None = None,
        roles: Iterable[str] = (),
        policies: list[dict[str, object]] | None = None,
    ) -> dict[str, object]:
        """Create an account member with fresh membership and user ids."""
        with self._lock:
            account = self._account(account_id)
            if any(m.email.casefold() == email.casefold() for m in account.members.values()):
                raise ApiError.single(
                    400, CODE_DUPLICATE_EMAIL, f"A member with email {email} already exists"
                )
            member = _AccountMember(
                id=new_identifier(),
                email=email,
                status=status,
                user_id=new_identifier(),
                first_name=first_name,
                last_name=last_name,
                roles=list(roles),
                policies=policies or [],
            )
            account.members[member.id] = member
            return member.to_api()

    def list_account_members(
        self,
        account_id: str,
        *,
        order: str = "user.email",
        descending: bool = False,
        status: str | None = None,
    ) -> list[dict[str, object]]:
        """Every account member, filtered by ``status`` and sorted by ``order``."""
        with self._lock:
            members = [
                m
                for m in self._account(account_id).members.values()
                if status is None or m.status == status
            ]

            def key(m: _AccountMember) -> tuple[str, str]:
                if order == "user.first_name":
                    return (_sort_text(m.first_name), m.id)
                if order == "user.last_name":
                    return (_sort_text(m.last_name), m.id)
                if order == "status":
                    return (m.status, m.id)
                return (_sort_text(m.email), m.id)

            members.sort(key=key, reverse=descending)
            return [m.to_api() for m in members]

    def get_account_member(self, account_id: str, member_id: str) -> dict[str, object]:
        """One account member."""
        with self._lock:
            return self._account_member(account_id, member_id).to_api()

    def update_account_member(
        self,
        account_id: str,
        member_id: str,
        *,
        roles: list[str] | None = None,
        policies: list[dict[str, object]] | None = None,
        status: str | None = None,
    ) -> dict[str, object]:
        """Change an account member's roles, policies or status."""
        with self._lock:
            member = self._account_member(account_id, member_id)
            if roles is not None:
                member.roles = list(roles)
            if policies is not None:
                member.policies = policies
            if status is not None:
                member.status = status
            return member.to_api()

    def delete_account_member(self, account_id: str, member_id: str) -> dict[str, object]:
        """Remove an account member and every group membership it had."""
        with self._lock:
            account = self._account(account_id)
            member = self._account_member(account_id, member_id)
            del account.members[member.id]
            for group in account.groups.values():
                group.members.pop(member.id, None)
            return {"id": member.id}

    # -- user groups -------------------------------------------------------------------------

    def create_user_group(
        self, account_id: str, name: str, policies: list[dict[str, object]] | None = None
    ) -> dict[str, object]:
        """Create a user group; names are unique within an account."""
        with self._lock:
            account = self._account(account_id)
            self._check_group_name(account, name, None)
            now = timestamp()
            group = _UserGroup(
                id=new_identifier(),
                name=name,
                created_on=now,
                modified_on=now,
                policies=policies or [],
            )
            account.groups[group.id] = group
            return group.to_api()

    def _check_group_name(self, account: _Account, name: str, own_id: str | None) -> None:
        for group in account.groups.values():
            if group.name == name and group.id != own_id:
                raise ApiError.single(
                    400,
                    CODE_DUPLICATE_GROUP_NAME,
                    f"A user group named {name!r} already exists",
                )

    def list_user_groups(
        self,
        account_id: str,
        *,
        user_group_id: str | None = None,
        name: str | None = None,
        fuzzy_name: str | None = None,
        descending: bool = False,
    ) -> list[dict[str, object]]:
        """Every user group matching the filters, sorted by name then id."""
        with self._lock:
            groups = list(self._account(account_id).groups.values())
            if user_group_id is not None:
                groups = [g for g in groups if g.id == user_group_id.lower()]
            if name is not None:
                groups = [g for g in groups if g.name == name]
            if fuzzy_name:
                needle = fuzzy_name.casefold()
                groups = [g for g in groups if needle in g.name.casefold()]
            groups.sort(key=lambda g: (_sort_text(g.name), g.id), reverse=descending)
            return [g.to_api() for g in groups]

    def get_user_group(self, account_id: str, user_group_id: str) -> dict[str, object]:
        """One user group."""
        with self._lock:
            return self._group(account_id, user_group_id).to_api()

    def update_user_group(
        self,
        account_id: str,
        user_group_id: str,
        *,
        name: str | None = None,
        policies: list[dict[str, object]] | None = None,
    ) -> dict[str, object]:
        """Rename a group and/or replace its policies."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            if name is not None:
                self._check_group_name(account, name, group.id)
                group.name = name
            if policies is not None:
                group.policies = policies
            group.modified_on = timestamp()
            return group.to_api()

    def delete_user_group(self, account_id: str, user_group_id: str) -> dict[str, object]:
        """Delete a group together with its memberships."""
        with self._lock:
            group = self._group(account_id, user_group_id)
            del self._account(account_id).groups[group.id]
            return {"id": group.id}

    # -- group members -----------------------------------------------------------------------

    def list_group_members(
        self,
        account_id: str,
        user_group_id: str,
        *,
        fuzzy_email: str | None = None,
        descending: bool = False,
    ) -> tuple[list[dict[str, object]], int]:
        """The group's members matching ``fuzzy_email``, and the group's unfiltered size."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            members = self._group_members(account, group)
            if fuzzy_email:
                needle = fuzzy_email.casefold()
                members = [m for m in members if needle in str(m["email"]).casefold()]
            if descending:
                members.reverse()
            return members, len(group.members)

    def group_member_ids(self, account_id: str, user_group_id: str) -> set[str]:
        """The ids of the group's members."""
        with self._lock:
            return set(self._group(account_id, user_group_id).members)

    def add_group_members(
        self, account_id: str, user_group_id: str, member_ids: Iterable[str]
    ) -> list[dict[str, object]]:
        """Add members (all or nothing, idempotent) and answer the full member list."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            resolved = self._resolve_members(account, member_ids)
            now = timestamp()
            for member_id in resolved:
                group.members.setdefault(member_id, now)
            return self._group_members(account, group)

    def replace_group_members(
        self, account_id: str, user_group_id: str, member_ids: Iterable[str]
    ) -> list[dict[str, object]]:
        """Make the group's member set exactly ``member_ids`` and answer it."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            resolved = self._resolve_members(account, member_ids)
            now = timestamp()
            # Members that stay keep the time they were first added.
            group.members = {mid: group.members.get(mid, now) for mid in resolved}
            return self._group_members(account, group)

    def get_group_member(
        self, account_id: str, user_group_id: str, member_id: str
    ) -> dict[str, object]:
        """A member of the group with the time it was added and its user."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            added = group.members.get(member_id.lower())
            if added is None:
                raise group_member_not_found()
            member = account.members[member_id.lower()]
            detail = member.summary()
            detail["created_at"] = added
            detail["user"] = {
                "id": member.user_id,
                "email": member.email,
                "first_name": member.first_name,
                "last_name": member.last_name,
            }
            return detail

    def remove_group_member(
        self, account_id: str, user_group_id: str, member_id: str
    ) -> dict[str, object]:
        """Remove one member from the group and answer the removed member."""
        with self._lock:
            account = self._account(account_id)
            group = self._group(account_id, user_group_id)
            member = account.members.get(member_id.lower())
            if member is None:
                raise invalid_member(member_id)
            if group.members.pop(member.id, None) is None:
                raise group_member_not_found()
            return member.summary()
