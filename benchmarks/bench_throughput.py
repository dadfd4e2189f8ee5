"""Throughput: N creates, then N deletes, through the real provider host at a simulated API latency.

The host (``python -u -m pulumi.dynamic``, which serves with 4 worker threads) is driven over gRPC
by 8 client threads, as the engine drives it: Check then Create for each new membership, Delete
with the outputs in state for each one removed. Every API request waits 50 ms in the emulator.
The ideal is ``N x requests per operation x latency / 4 workers``; efficiency is ideal / elapsed.
Creates and deletes run in separate host processes, as ``pulumi up`` and ``pulumi destroy`` would,
each with the provider's default request budget (1,200 per 5 minutes). The same work is then
repeated without latency, to show what each operation costs besides waiting for the API.

Run: ``.venv/bin/python benchmarks/bench_throughput.py [--quick]``
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from _common import (
    ACCOUNT_ID,
    ProviderHost,
    arguments,
    provider_blob,
    provider_host,
    report,
    seed,
    settings,
    urn,
)
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.member import UserGroupMember

LATENCY = 0.05
WORKERS = 4  # the host's thread pool (pulumi/dynamic/__main__.py)
CLIENTS = 8
HEADERS = (
    "Phase",
    "API latency",
    "Operations",
    "Requests",
    "Requests / op",
    "Elapsed (s)",
    "Ideal (s)",
    "Efficiency",
    "Ops / s",
    "Worker ms / op beyond latency",
    "Host CPU ms / op",
)


def drive(count: int, one: Callable[[ProviderHost, int], None], host: ProviderHost) -> float:
    """Run ``one(host, i)`` for every i from CLIENTS threads; return the elapsed seconds."""
    work: queue.Queue[int] = queue.Queue()
    for i in range(count):
        work.put(i)
    errors: list[BaseException] = []

    def client() -> None:
        while not errors:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            try:
                one(host, i)
            except Exception as error:  # reported after the run, which then stops
                errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of proc(5), counted after the command name: utime and stime in ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    n = 100 if args.quick else 500
    blob = provider_blob(
        lambda: UserGroupMember(
            "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
        )
    )
    rows = []
    with Emulator() as emu:
        seeded = seed(emu, n, group="throughput")
        state: dict[int, tuple[str, dict[str, Any]]] = {}

        def create(host: ProviderHost, i: int) -> None:
            news = {
                "account_id": seeded.account_id,
                "user_group_id": seeded.user_group_id,
                "member_id": seeded.member_ids[i],
                "__provider": blob,
            }
            checked, failures = host.check(urn(f"m{i}"), {}, news)
            assert not failures, failures
            state[i] = host.create(urn(f"m{i}"), checked)

        def delete(host: ProviderHost, i: int) -> None:
            id_, outputs = state[i]
            host.delete(urn(f"m{i}"), id_, outputs)

        phases = [
            (LATENCY, "create (Check + Create)", create, 2),
            (LATENCY, "delete", delete, 1),
            # The same work without latency: what each operation costs besides waiting.
            (0.0, "create (Check + Create)", create, 2),
            (0.0, "delete", delete, 1),
        ]
        for latency, phase, one, per_op in phases:
            with provider_host() as host:
                host.configure(settings(emu.base_url))
                emu.reset_requests()
                emu.set_latency(latency)
                cpu_before = cpu_seconds(host.process.pid)
                elapsed = drive(n, one, host)
                cpu_after = cpu_seconds(host.process.pid)
                emu.set_latency(0.0)
            requests = len(emu.requests)
            ideal = n * per_op * latency / WORKERS
            # Worker time per operation that the latency does not explain.
            beyond = (elapsed * WORKERS / n - per_op * latency) * 1000
            rows.append(
                (
                    phase,
                    f"{latency * 1000:.0f} ms",
                    n,
                    requests,
                    f"{requests / n:.2f} (expected {per_op})",
                    f"{elapsed:.2f}",
                    f"{ideal:.2f}" if latency else "-",
                    f"{ideal / elapsed:.0%}" if latency else "-",
                    f"{n / elapsed:.1f}",
                    f"{beyond:.1f}",
                    "-"
                    if cpu_before is None or cpu_after is None
                    else f"{(cpu_after - cpu_before) * 1000 / n:.1f}",
                )
            )
        remaining = emu.group_member_ids(seeded.account_id, seeded.user_group_id)
        assert not remaining, f"{len(remaining)} memberships left after the deletes"
    summary = (
        f"{n} creates and {n} deletes at {LATENCY * 1000:.0f} ms latency, {WORKERS} host workers, "
        f"{CLIENTS} clients: efficiency {rows[0][7]} (create) and {rows[1][7]} (delete) of "
        f"N x requests x latency / {WORKERS}; without latency {rows[2][8]} creates/s and "
        f"{rows[3][8]} deletes/s"
    )
    report("Throughput through the provider host", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
