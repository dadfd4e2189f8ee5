"""Adopt a membership that already exists, and read another one without managing it.

Stack config: ``accountId``, ``userGroupId``, ``memberId`` (already in the group) and, optionally,
``otherMemberId`` for a read-only lookup. ``import_`` turns the create into an adopt-only step:
nothing is added, and the update fails if the membership does not exist. Remove ``import_`` after
the first ``pulumi up``; that causes no change.
"""

import pulumi

from cloudflare_user_groups import UserGroupMember

config = pulumi.Config()
account_id = config.require("accountId")
user_group_id = config.require("userGroupId")
member_id = config.require("memberId")

adopted = UserGroupMember(
    "adopted",
    account_id=account_id,
    user_group_id=user_group_id,
    member_id=member_id,
    opts=pulumi.ResourceOptions(import_=f"{account_id}/{user_group_id}/{member_id}"),
)
pulumi.export("adopted_email", adopted.email)

other = config.get("otherMemberId")
if other:
    # A read-only view: Pulumi never changes or deletes a resource read with get().
    looked_up = UserGroupMember.get("looked-up", f"{account_id}/{user_group_id}/{other}")
    pulumi.export("looked_up_status", looked_up.status)
