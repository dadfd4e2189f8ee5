"""Add account members to a user group by email; the provider finds each account member id.

Stack config: ``accountId``, ``userGroupId`` and ``emails`` (a list); credentials as in the basic
example. Each person must already be a member of the account (invited, perhaps still pending).
"""

import re

import pulumi

from cloudflare_user_groups import UserGroupMember

config = pulumi.Config()
account_id = config.require("accountId")
user_group_id = config.require("userGroupId")

for email in config.require_object("emails"):
    name = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
    membership = UserGroupMember(
        f"member-{name}",
        account_id=account_id,
        user_group_id=user_group_id,
        email=email,
    )
    pulumi.export(email, membership.member_id)
