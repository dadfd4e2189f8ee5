"""Provider overhead: each UserGroupMember operation against the same calls made with bare requests.

Both sides talk to one emulator on loopback without latency and keep one connection alive (the
client's thread-local ``requests.Session``, and one ``requests.Session`` for the bare calls). The
bare side makes exactly the calls the operation makes (create: POST add + GET member; read: GET
member; delete: DELETE member), sends the same headers and decodes the JSON body. The two sides
alternate, with the order swapped on every repetition, so that drift in machine load hits both
alike; the figure is the ratio of their medians. No absolute time is asserted anywhere.

Run: ``.venv/bin/python benchmarks/bench_overhead.py [--quick]``
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import requests

from _common import TOKEN, UNPACED, arguments, member_provider, report, seed
from cloudflare_user_groups.client import USER_AGENT
from cloudflare_user_groups.emulator import Emulator

WARMUP = 10
HEADERS = (
    "Operation",
    "HTTP calls",
    "Provider median (ms)",
    "Bare requests median (ms)",
    "Ratio of medians",
    "Overhead (ms)",
)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    repetitions = 50 if args.quick else 1000
    with Emulator() as emu:
        seeded = seed(emu, 2, group="overhead")
        # The read cache would turn some reads into listings and pacing is not measured here.
        provider = member_provider(emu.base_url, readCacheSeconds="0", rateLimit=UNPACED)
        members = f"{emu.base_url}/accounts/{seeded.account_id}/iam/user_groups/"
        members += f"{seeded.user_group_id}/members"
        mine, theirs = seeded.member_ids
        props = {
            "account_id": seeded.account_id,
            "user_group_id": seeded.user_group_id,
            "member_id": mine,
        }
        state: dict[str, object] = {}
        session = requests.Session()
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

        def call(method: str, url: str, body: object = None) -> object:
            extra = {"Content-Type": "application/json"} if body is not None else {}
            with session.request(
                method, url, json=body, headers={**headers, **extra}, timeout=(5, 60)
            ) as response:
                response.raise_for_status()
                return response.json()

        def provider_create() -> None:
            result = provider.create(dict(props))
            state.update(id=result.id, outs=result.outs)

        def provider_read() -> None:
            assert provider.read(str(state["id"]), dict(state["outs"])).id  # type: ignore[call-overload]

        def provider_delete() -> None:
            provider.delete(str(state["id"]), dict(state["outs"]))  # type: ignore[call-overload]

        def bare_create() -> None:
            call("POST", members, [{"id": theirs}])
            call("GET", f"{members}/{theirs}")

        def bare_read() -> None:
            call("GET", f"{members}/{theirs}")

        def bare_delete() -> None:
            call("DELETE", f"{members}/{theirs}")

        operations = [
            ("create (by id)", provider_create, bare_create, "POST + GET"),
            ("read", provider_read, bare_read, "GET"),
            ("delete", provider_delete, bare_delete, "DELETE"),
        ]
        samples: dict[str, tuple[list[float], list[float]]] = {
            name: ([], []) for name, *_ in operations
        }
        emu.reset_requests()
        for repetition in range(WARMUP + repetitions):
            for name, ours, bare, _ in operations:
                if repetition % 2:
                    bare_time, our_time = timed(bare), timed(ours)
                else:
                    our_time, bare_time = timed(ours), timed(bare)
                if repetition >= WARMUP:
                    samples[name][0].append(our_time)
                    samples[name][1].append(bare_time)
        session.close()
        total_requests = len(emu.requests)

    expected_requests = (WARMUP + repetitions) * 2 * 4
    assert total_requests == expected_requests, (total_requests, expected_requests)
    rows = []
    ratios = []
    for name, _, _, calls in operations:
        ours_median, bare_median = (statistics.median(values) for values in samples[name])
        ratio = ours_median / bare_median
        ratios.append((name, ratio))
        rows.append(
            (
                name,
                calls,
                f"{ours_median * 1000:.2f}",
                f"{bare_median * 1000:.2f}",
                f"{ratio:.2f}",
                f"{(ours_median - bare_median) * 1000:+.2f}",
            )
        )
    summary = (
        f"{repetitions} interleaved repetitions per operation after {WARMUP} warm-up; provider / "
        "bare requests = " + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios)
    )
    report("Provider overhead against bare requests", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
