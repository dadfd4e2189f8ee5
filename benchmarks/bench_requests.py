"""API requests per operation, counted at the emulator, next to the bound each one should meet.

UserGroupMember's create (by id, by email), read, delete and adopt-only import run once each on a
provider configured as the host configures it; refreshing N memberships of one group runs N reads
with the outputs a previous create left in state, in one process, as ``pulumi refresh`` does. The
authoritative UserGroupMembers is measured when ``cloudflare_user_groups.members`` exists.

Run: ``.venv/bin/python benchmarks/bench_requests.py [--quick]``
"""

from __future__ import annotations

import importlib
import math
import queue
import threading
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from _common import (
    ACCOUNT_ID,
    ProviderHost,
    Seeded,
    arguments,
    describe,
    member_provider,
    provider_blob,
    provider_host,
    report,
    seed,
    settings,
    state_outputs,
    urn,
)
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.member import UserGroupMember, UserGroupMemberProvider

HEADERS = ("Operation", "Requests", "Expected", "Within bound", "Requests made")
ACCOUNT_MEMBERS = 120  # the account listing pages at 50, so an email lookup may take 3 pages
ACCOUNT_PAGE = 50
GROUP_PAGE = 500
HOST_CLIENTS = 8

Row = tuple[str, str, str, str, str]


def measure(emu: Emulator, action: Callable[[], object]) -> tuple[int, str]:
    """Run ``action`` and return the requests it made, and how they split by endpoint."""
    emu.reset_requests()
    action()
    return len(emu.requests), describe(emu)


def row(name: str, emu: Emulator, action: Callable[[], object], bound: int, shown: str) -> Row:
    count, detail = measure(emu, action)
    return name, str(count), shown, "yes" if count <= bound else "NO", detail


def member_rows(emu: Emulator) -> list[Row]:
    """Create by id and by email, read, delete and import of one UserGroupMember."""
    seeded = seed(emu, ACCOUNT_MEMBERS, group="crud")
    provider = member_provider(emu.base_url)
    base = {"account_id": seeded.account_id, "user_group_id": seeded.user_group_id}
    created: dict[str, Any] = {}

    def create_by_id() -> None:
        result = provider.create({**base, "member_id": seeded.member_ids[0]})
        created.update(id=result.id, outs=result.outs)

    def create_by_email(index: int) -> Callable[[], object]:
        return lambda: provider.create({**base, "email": seeded.emails[index]})

    def read() -> None:
        assert provider.read(created["id"], created["outs"]).id == created["id"]

    def delete() -> None:
        provider.delete(created["id"], created["outs"])

    def adopt() -> None:
        provider.create({**base, "member_id": seeded.member_ids[5], "import_id": seeded.key(5)})

    pages = math.ceil(ACCOUNT_MEMBERS / ACCOUNT_PAGE)
    rows = [
        row("create by id", emu, create_by_id, 2, "≤ 2"),
        row("create by email (1st account page)", emu, create_by_email(1), 3, "≤ 1 + 2 = 3"),
        row(
            f"create by email (last of {ACCOUNT_MEMBERS} account members)",
            emu,
            create_by_email(ACCOUNT_MEMBERS - 1),
            pages + 2,
            f"≤ ⌈{ACCOUNT_MEMBERS}/{ACCOUNT_PAGE}⌉ + 2 = {pages + 2}",
        ),
        row("read", emu, read, 1, "1"),
        row("delete", emu, delete, 1, "1"),
    ]
    emu.add_group_members(seeded.account_id, seeded.user_group_id, [seeded.member_ids[5]])
    rows.append(row("adopt-only import (import_id)", emu, adopt, 1, "1"))
    return rows


def refresh_bound(n: int) -> tuple[int, str]:
    bound = math.ceil(n / GROUP_PAGE) + 1
    return bound, f"≤ ⌈{n}/{GROUP_PAGE}⌉ + 1 = {bound}"


def refresh_rows(emu: Emulator, sizes: list[int]) -> list[Row]:
    """Refresh N memberships of one group: N sequential reads in one provider process."""
    rows = []
    for n in sizes:
        seeded = seed(emu, n, account_id=f"{n:032x}", group=f"refresh{n}", in_group=True)
        provider = member_provider(emu.base_url)

        def refresh(
            seeded: Seeded = seeded, n: int = n, provider: UserGroupMemberProvider = provider
        ) -> None:
            for i in range(n):
                assert provider.read(seeded.key(i), state_outputs(seeded, i)).id

        bound, shown = refresh_bound(n)
        rows.append(row(f"refresh N = {n:,} (sequential)", emu, refresh, bound, shown))
    return rows


def host_refresh_row(emu: Emulator, n: int) -> Row:
    """Refresh N memberships through the real provider host, with reads arriving concurrently."""
    seeded = seed(emu, n, account_id=f"{n + 1:032x}", group=f"hostrefresh{n}", in_group=True)
    blob = provider_blob(
        lambda: UserGroupMember(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
        )
    )
    work: queue.Queue[int] = queue.Queue()
    for i in range(n):
        work.put(i)
    failures: list[str] = []

    def client(host: ProviderHost) -> None:
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            outputs = {**state_outputs(seeded, i), "__provider": blob}
            inputs = {"account_id": seeded.account_id, "user_group_id": seeded.user_group_id}
            inputs.update(member_id=seeded.member_ids[i], __provider=blob)
            try:
                read_id, _, _ = host.read(urn(f"m{i}"), seeded.key(i), outputs, inputs)
            except Exception as error:  # reported after the run
                failures.append(f"{seeded.key(i)}: {error}")
                continue
            if not read_id:
                failures.append(f"{seeded.key(i)}: gone")

    with provider_host() as host:
        host.configure(settings(emu.base_url))

        def refresh() -> None:
            threads = [threading.Thread(target=client, args=(host,)) for _ in range(HOST_CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        bound, shown = refresh_bound(n)
        result = row(
            f"refresh N = {n:,} (provider host, {HOST_CLIENTS} concurrent reads)",
            emu,
            refresh,
            bound,
            shown,
        )
    assert not failures, failures
    return result


def members_rows(emu: Emulator, n: int) -> list[Row]:
    """Authoritative converge of UserGroupMembers: create a set of N, then converge after drift."""
    try:
        module = importlib.import_module("cloudflare_user_groups.members")
        provider_class = module.UserGroupMembersProvider
    except (ImportError, AttributeError):
        na = "n/a (not yet available)"
        return [
            (f"authoritative create, N = {n:,}", na, _converge_bound(n)[1], "n/a", ""),
            ("authoritative converge after drift", na, _converge_bound(n)[1], "n/a", ""),
        ]
    seeded = seed(emu, n + 2, account_id=f"{n + 2:032x}", group=f"set{n}")
    provider = provider_class()
    provider.configure(ConfigureRequest(Config(settings(emu.base_url), "bench")))
    declared = {
        "account_id": seeded.account_id,
        "user_group_id": seeded.user_group_id,
        "member_ids": list(seeded.member_ids[:n]),
    }
    created: dict[str, Any] = {}

    def create() -> None:
        result = provider.create(dict(declared))
        created.update(id=result.id, outs=result.outs)

    def converge() -> None:
        # As `pulumi up --refresh` does: read the drifted set, diff, and update back.
        read = provider.read(created["id"], created["outs"])
        assert provider.diff(created["id"], read.outs, declared).changes
        provider.update(created["id"], read.outs, dict(declared))

    bound, shown = _converge_bound(n)
    rows = [row(f"authoritative create, N = {n:,}", emu, create, bound, shown)]
    # Drift made by hand: one member added, one removed.
    emu.add_group_members(seeded.account_id, seeded.user_group_id, [seeded.member_ids[n]])
    emu.remove_group_member(seeded.account_id, seeded.user_group_id, seeded.member_ids[0])
    rows.append(row("authoritative converge after drift", emu, converge, bound, shown))
    members_now = emu.group_member_ids(seeded.account_id, seeded.user_group_id)
    assert members_now == set(seeded.member_ids[:n]), "the set did not converge"
    return rows


def _converge_bound(n: int) -> tuple[int, str]:
    bound = 1 + math.ceil(n / GROUP_PAGE)
    return bound, f"≤ 1 PUT + ⌈{n}/{GROUP_PAGE}⌉ = {bound}"


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    sizes = [10, 100, 200] if args.quick else [10, 500, 1000]
    with Emulator() as emu:
        rows = member_rows(emu)
        rows += refresh_rows(emu, sizes)
        rows.append(host_refresh_row(emu, sizes[1]))
        rows += members_rows(emu, sizes[1])
    over = [r[0] for r in rows if r[3] == "NO"]
    measured = [r for r in rows if r[3] != "n/a"]
    summary = (
        f"{len(measured)} operations measured, all within their expected bound"
        if not over
        else f"ABOVE the expected bound: {', '.join(over)}"
    )
    if len(measured) < len(rows):
        summary += "; UserGroupMembers n/a (not yet available)"
    report("API requests per operation", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
