"""Cloudflare IAM user-group membership as Pulumi resources.

Public names are loaded on first use, so that ``cloudflare_user_groups.emulator`` (standard library
only) can be imported and run without Pulumi or the client being imported at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudflare_user_groups._version import __version__

if TYPE_CHECKING:
    from cloudflare_user_groups.client import CloudflareClient, Credentials, RetryPolicy
    from cloudflare_user_groups.member import UserGroupMember, UserGroupMemberProvider
    from cloudflare_user_groups.members import UserGroupMembers, UserGroupMembersProvider

_LAZY = {
    "CloudflareClient": "cloudflare_user_groups.client",
    "Credentials": "cloudflare_user_groups.client",
    "RetryPolicy": "cloudflare_user_groups.client",
    "UserGroupMember": "cloudflare_user_groups.member",
    "UserGroupMemberProvider": "cloudflare_user_groups.member",
    "UserGroupMembers": "cloudflare_user_groups.members",
    "UserGroupMembersProvider": "cloudflare_user_groups.members",
}

__all__ = [
    "CloudflareClient",
    "Credentials",
    "RetryPolicy",
    "UserGroupMember",
    "UserGroupMemberProvider",
    "UserGroupMembers",
    "UserGroupMembersProvider",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
