"""Add one account member to one user group, by the account member id.

Stack config: ``accountId``, ``userGroupId``, ``memberId``; credentials in ``cloudflare:apiToken``
(secret) or ``CLOUDFLARE_API_TOKEN``.
"""

import pulumi

from cloudflare_user_groups import UserGroupMember

config = pulumi.Config()

membership = UserGroupMember(
    "ops-alice",
    account_id=config.require("accountId"),
    user_group_id=config.require("userGroupId"),
    member_id=config.require("memberId"),
)

pulumi.export("membership_id", membership.id)
pulumi.export("email", membership.email)
pulumi.export("status", membership.status)
pulumi.export("created_at", membership.created_at)
