"""API requests per UserGroupMembers operation for groups of N members, counted at the emulator.

For each N, one account holds N + 2 members and one group; the provider, configured as the host
configures it, runs create (by ids), read, an update after drift made out of band (one member
added, one removed), the whole converge (read, diff and update, as ``pulumi up --refresh`` does),
delete, and create by emails (which adds one listing of the account's members, 50 per page).

Run: ``.venv/bin/python benchmarks/bench_members_converge.py [--quick]``
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from _common import arguments, report, seed, settings
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.members import UserGroupMembersProvider

HEADERS = (
    "N",
    "create (ids)",
    "read",
    "update after drift",
    "converge (read + update)",
    "delete",
    "create (emails)",
    "converge bound: 1 + ⌈N/500⌉",
)
GROUP_PAGE = 500
ACCOUNT_PAGE = 50


def count(emu: Emulator, action: Callable[[], object]) -> int:
    """The requests ``action`` sent to the emulator."""
    emu.reset_requests()
    action()
    return emu.request_count()


def measure(emu: Emulator, n: int) -> tuple[list[object], bool]:
    """One table row for a group of ``n`` members, and whether every figure met its bound."""
    seeded = seed(emu, n + 2, account_id=f"{n + 2:032x}", group=f"members{n}")
    provider = UserGroupMembersProvider()
    provider.configure(ConfigureRequest(Config(settings(emu.base_url), "bench")))
    declared: dict[str, Any] = {
        "account_id": seeded.account_id,
        "user_group_id": seeded.user_group_id,
        "member_ids": sorted(seeded.member_ids[:n]),
        "emails": [],
    }
    state: dict[str, Any] = {}

    def create() -> None:
        result = provider.create(dict(declared))
        state.update(id=result.id, outs=result.outs)

    def read() -> None:
        state["outs"] = provider.read(state["id"], state["outs"]).outs

    def drift() -> None:
        emu.add_group_members(seeded.account_id, seeded.user_group_id, [seeded.member_ids[n]])
        emu.remove_group_member(seeded.account_id, seeded.user_group_id, seeded.member_ids[0])

    def update() -> None:
        assert provider.diff(state["id"], state["outs"], declared).changes
        state["outs"] = provider.update(state["id"], state["outs"], dict(declared)).outs

    def converge() -> None:
        read()
        update()

    def delete() -> None:
        provider.delete(state["id"], state["outs"])

    def create_by_email() -> None:
        by_email = {**declared, "member_ids": [], "emails": sorted(seeded.emails[:n])}
        provider.create(by_email)

    created = count(emu, create)
    read_count = count(emu, read)
    drift()
    read()  # a refresh records the drift; the update alone is counted next
    updated = count(emu, update)
    drift()
    converged = count(emu, converge)
    in_group = emu.group_member_ids(seeded.account_id, seeded.user_group_id)
    assert in_group == set(seeded.member_ids[:n]), "the set did not converge"
    deleted = count(emu, delete)
    by_email = count(emu, create_by_email)

    pages = max(1, math.ceil(n / GROUP_PAGE))
    roster_pages = math.ceil((n + 2) / ACCOUNT_PAGE)
    within = (
        created <= 1
        and read_count <= pages
        and updated <= 1
        and converged <= 1 + pages
        and deleted <= 1
        and by_email <= 1 + roster_pages
    )
    row: list[object] = [
        f"{n:,}",
        created,
        read_count,
        updated,
        converged,
        deleted,
        by_email,
        f"{1 + pages} {'(met)' if within else '(EXCEEDED)'}",
    ]
    return row, within


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    sizes = [10, 100, 200] if args.quick else [10, 500, 1200]
    with Emulator() as emu:
        measured = [measure(emu, n) for n in sizes]
    rows = [row for row, _ in measured]
    exceeded = [str(row[0]) for row, within in measured if not within]
    summary = (
        "every operation within 1 PUT + ⌈N/500⌉ list requests "
        "(plus ⌈accounts/50⌉ roster pages when emails are declared)"
        if not exceeded
        else f"ABOVE the bound for N = {', '.join(exceeded)}"
    )
    report("UserGroupMembers: requests per operation", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
