"""What the benchmark scripts share: imports from the repo, seeding, a configured provider, tables.

Each script runs on its own from the repository root (``.venv/bin/python benchmarks/<name>.py``);
importing this module puts the repository root on ``sys.path`` (for ``tests.host.harness``) and
removes the caller's Cloudflare credentials, proxies and settings from the environment, so that the
figures never depend on the shell they were run from.
"""

from __future__ import annotations

import argparse
import datetime
import faulthandler
import logging
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "provider", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

for _name in list(os.environ):
    if _name.startswith("CLOUDFLARE_") or _name.lower() in {
        "http_proxy",
        "https_proxy",
        "all_proxy",
    }:
        del os.environ[_name]

# Retry and drift warnings would interleave with the tables; the tables report what matters.
logging.getLogger("cloudflare_user_groups").setLevel(logging.ERROR)

from pulumi.dynamic import Config, ConfigureRequest  # noqa: E402
from tests.host.harness import ProviderHost, provider_blob, provider_host, urn  # noqa: E402

from cloudflare_user_groups.emulator import Emulator  # noqa: E402
from cloudflare_user_groups.member import UserGroupMemberProvider  # noqa: E402

# The harness (the engine's side of the gRPC conversation) is re-exported: scripts import it from
# here, once the repository root is on the path.
__all__ = [
    "ACCOUNT_ID",
    "TOKEN",
    "UNPACED",
    "ProviderHost",
    "Seeded",
    "arguments",
    "describe",
    "machine_note",
    "member_provider",
    "provider_blob",
    "provider_host",
    "report",
    "seed",
    "settings",
    "state_outputs",
    "table",
    "urn",
]

TOKEN = "bench-token-0123456789"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
# A budget no benchmark reaches, for scripts that measure something other than pacing.
UNPACED = "1000000/300"
WATCHDOG = 300.0


@attrs.frozen
class Seeded:
    """An account seeded out of band: one user group and accepted members (sorted by email)."""

    account_id: str
    user_group_id: str
    member_ids: tuple[str, ...]
    emails: tuple[str, ...]

    def key(self, index: int) -> str:
        """The resource id of member ``index``'s membership."""
        return f"{self.account_id}/{self.user_group_id}/{self.member_ids[index]}"


def seed(
    emu: Emulator,
    members: int,
    *,
    account_id: str = ACCOUNT_ID,
    group: str = "bench",
    in_group: bool = False,
) -> Seeded:
    """Create ``members`` accepted account members and a group (holding them if ``in_group``)."""
    emails = tuple(f"{group}.user{i:05d}@example.com" for i in range(members))
    ids = tuple(
        str(emu.add_account_member(account_id, email, first_name=f"User{i}")["id"])
        for i, email in enumerate(emails)
    )
    group_id = str(emu.create_user_group(account_id, group)["id"])
    if in_group and ids:
        emu.add_group_members(account_id, group_id, ids)
    return Seeded(account_id, group_id, ids, emails)


def settings(base_url: str, **extra: str) -> dict[str, str]:
    """Stack config for the provider against the emulator; ``extra`` keys are in our namespace."""
    config = {"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": base_url}
    config.update({f"cloudflare-user-groups:{key}": value for key, value in extra.items()})
    return config


def member_provider(base_url: str, **extra: str) -> UserGroupMemberProvider:
    """A ``UserGroupMemberProvider`` configured as the host would configure it."""
    provider = UserGroupMemberProvider()
    provider.configure(ConfigureRequest(Config(settings(base_url, **extra), "bench")))
    return provider


def state_outputs(seeded: Seeded, index: int) -> dict[str, Any]:
    """The outputs a membership has in state after an earlier create (as the engine sends them)."""
    return {
        "account_id": seeded.account_id,
        "user_group_id": seeded.user_group_id,
        "member_id": seeded.member_ids[index],
        "email": seeded.emails[index],
        "status": "accepted",
        "created_at": "2026-01-01T00:00:00Z",
        "user": {"id": "e" * 32, "email": seeded.emails[index], "first_name": f"User{index}"},
        "identified_by": "member_id",
    }


def arguments(description: str) -> argparse.Namespace:
    """Parse the common command line (``--quick`` for smaller sizes) and arm a watchdog.

    A run that is still going after ``WATCHDOG`` seconds prints every thread's stack and exits,
    so that a stall shows where it is instead of hanging ``make bench``.
    """
    faulthandler.dump_traceback_later(WATCHDOG, exit=True)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    return parser.parse_args()


def machine_note() -> str:
    """When and where the figures were measured."""
    cores = os.cpu_count() or 0
    today = datetime.date.today().isoformat()
    return (
        f"{today}, {cores} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table, padded so that it also reads well in a terminal."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(items: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(item.ljust(width) for item, width in zip(items, widths, strict=True))
            + " |"
        )

    return "\n".join(
        [line(headers), "| " + " | ".join("-" * width for width in widths) + " |"]
        + [line(row) for row in cells]
    )


def report(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], summary: str
) -> None:
    """Print a titled table, the machine note and a one-line summary."""
    print(f"## {title}\n")
    print(table(headers, rows))
    print(f"\n{machine_note()}")
    print(f"Summary: {summary}", flush=True)


def _endpoint(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if "user_groups" in parts:
        if parts[-1] == "members":
            return {
                "GET": "list group members",
                "POST": "add members",
                "PUT": "replace members",
            }.get(method, f"{method} group members")
        if len(parts) >= 2 and parts[-2] == "members":
            return {"GET": "get member", "DELETE": "remove member"}.get(method, f"{method} member")
        return f"{method} user group"
    if parts[-1] == "members":
        return "list account members"
    return f"{method} {'/'.join(parts[2:]) or 'account'}"


def describe(emu: Emulator) -> str:
    """The recorded requests grouped by endpoint, e.g. ``add members 1, get member 1``."""
    counts: dict[str, int] = {}
    for recorded in emu.requests:
        label = _endpoint(recorded.method, recorded.path)
        if recorded.status != 200:
            label += f" ({recorded.status})"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} {count}" for label, count in counts.items()) or "none"
