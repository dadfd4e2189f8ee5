"""State size: the ``__provider`` value each resource class stores in every resource's state.

The SDK pickles the provider with dill and stores it base64-encoded as the ``__provider`` input and
output of every resource. Its size is measured twice: with ``serialize_provider`` on a bare and on
a configured provider (which must not grow: settings and credentials stay out of the pickle), and
as the SDK registers it when a resource is constructed under ``pulumi.runtime.set_mocks``. The
value is stored as a secret when the class sets ``serialize_as_secret_always`` or when a secret
Output was captured while pickling.

Run: ``.venv/bin/python benchmarks/bench_state_size.py [--quick]``
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Callable

import pulumi
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

from _common import ACCOUNT_ID, TOKEN, arguments, provider_blob, report, settings
from cloudflare_user_groups.member import UserGroupMember, UserGroupMemberProvider

HEADERS = (
    "Resource class",
    "`__provider` (bytes)",
    "Pickle (bytes)",
    "Configured provider (bytes)",
    "Under mocks (bytes)",
    "Secret in state",
    "Per 1,000 resources",
)
BASE_URL = "http://127.0.0.1:9/client/v4"


def measure(
    name: str, provider_class: type[ResourceProvider], build: Callable[[], pulumi.Resource]
) -> tuple[str, ...]:
    bare = serialize_provider(provider_class())
    configured_provider = provider_class()
    configured_provider.configure(ConfigureRequest(Config(settings(BASE_URL), "bench")))
    configured, contains_secrets = _serialize(True, serialize_provider, configured_provider)
    pickled = base64.b64decode(configured)
    assert TOKEN.encode() not in pickled, "the pickled provider holds the API token"
    mocked = provider_blob(build)
    always = getattr(provider_class, "serialize_as_secret_always", True)
    secret = "yes" if always or contains_secrets else "no"
    captured = "a secret captured" if contains_secrets else "no secret captured"
    reason = f"serialize_as_secret_always = {always}, {captured}"
    same = "" if mocked == bare else " (differs)"
    return (
        name,
        f"{len(bare):,}",
        f"{len(base64.b64decode(bare)):,}",
        f"{len(configured):,}",
        f"{len(mocked):,}{same}",
        f"{secret} ({reason})",
        f"{len(bare) * 1000 / 1024:.0f} KiB",
    )


def main() -> None:
    arguments(__doc__.splitlines()[0])
    rows = [
        measure(
            "UserGroupMember",
            UserGroupMemberProvider,
            lambda: UserGroupMember(
                "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
            ),
        )
    ]
    try:
        members = importlib.import_module("cloudflare_user_groups.members")
        resource_class = members.UserGroupMembers
        provider_class = members.UserGroupMembersProvider
    except (ImportError, AttributeError):
        rows.append(("UserGroupMembers", *["n/a (not yet available)"] * 6))
    else:
        rows.append(
            measure(
                "UserGroupMembers",
                provider_class,
                lambda: resource_class(
                    "probe",
                    account_id=ACCOUNT_ID,
                    user_group_id=ACCOUNT_ID,
                    member_ids=[ACCOUNT_ID],
                ),
            )
        )
    measured = [row for row in rows if not row[1].startswith("n/a")]
    summary = "; ".join(f"{row[0]} {row[1]} bytes, secret: {row[5]}" for row in measured)
    report("`__provider` size in state", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
