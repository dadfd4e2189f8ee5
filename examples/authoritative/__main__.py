"""Own the whole member set of one user group: members not declared here are removed.

Stack config: ``accountId``, ``userGroupId``, and ``memberIds`` and/or ``emails`` (lists); an empty
``memberIds`` list keeps the group empty. Set ``adopt: true`` for the first ``pulumi up`` on a
group whose members already equal the declared set: it then only checks that and writes nothing.
Credentials as in the basic example. Never manage this group with ``UserGroupMember`` as well.

    pulumi config set accountId 0123456789abcdef0123456789abcdef
    pulumi config set userGroupId fedcba9876543210fedcba9876543210
    pulumi config set --path 'emails[0]' alice@example.com
    pulumi config set --path 'memberIds[0]' 00112233445566778899aabbccddeeff
"""

import pulumi

from cloudflare_user_groups import UserGroupMembers

config = pulumi.Config()
account_id = config.require("accountId")
user_group_id = config.require("userGroupId")

options = None
if config.get_bool("adopt"):
    options = pulumi.ResourceOptions(import_=f"{account_id}/{user_group_id}")

group = UserGroupMembers(
    "operators",
    account_id=account_id,
    user_group_id=user_group_id,
    member_ids=config.get_object("memberIds"),
    emails=config.get_object("emails"),
    opts=options,
)

pulumi.export("member_count", group.member_count)
pulumi.export("members", group.members)
# Empty after every update; a `pulumi refresh` fills it with changes made outside Pulumi.
pulumi.export("drift", group.drift)
