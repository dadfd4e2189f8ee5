"""Pacing: many reads against the emulator's rate limit, with the provider's pacing on and off.

Cloudflare allows 1,200 requests per 300 s and then refuses every call for a while. Here the limit
is scaled down so a run takes seconds: the emulator allows 120 requests per 1 s window (and blocks
for 1 s once they are spent), and the provider is told the same budget
(``cloudflare-user-groups:rateLimit = "120/1"``). Each run reads memberships through one
``UserGroupMemberProvider`` from 4 threads (the host's workers) with the read cache off, so every
read is one GET; every run uses a fresh emulator and a fresh budget. The lower bound is
``operations / limit x window``. The four runs separate the pacer's two mechanisms: its own budget
and its following of the server's ``Ratelimit`` headers; the last run has neither, so only 429s
and their ``Retry-After`` hold it back.

Run: ``.venv/bin/python benchmarks/bench_pacing.py [--quick]``
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from _common import TOKEN, arguments, member_provider, report, seed, state_outputs
from cloudflare_user_groups import pacing
from cloudflare_user_groups.client import CloudflareClient, Credentials
from cloudflare_user_groups.emulator import Emulator

LIMIT = 120
WINDOW = 1.0
MEMBERS = 100
THREADS = 4
HEADERS = (
    "Provider budget",
    "Operations",
    "Succeeded",
    "Requests sent",
    "429 responses",
    "Elapsed (s)",
    "Lower bound (s)",
    "Elapsed / bound",
)


class _Deaf(pacing.Pacer):
    """A pacer that ignores the server's ``Ratelimit`` headers: no pacing but after a 429."""

    def observe(self, headers: Mapping[str, str], slot: pacing.Slot | None = None) -> None:
        pass


def run(
    operations: int, budget: str, *, deaf: bool = False
) -> tuple[str, int, int, int, int, str, str, str]:
    """Read ``operations`` memberships against a fresh emulator with the scaled limit."""
    # A fresh emulator per run: its port is part of the pacer's key, so the runs share no budget.
    with Emulator() as emu:
        seeded = seed(emu, MEMBERS, group="pacing", in_group=True)
        provider = member_provider(emu.base_url, rateLimit=budget, readCacheSeconds="0")
        if deaf:
            limit, window = pacing.parse_rate_limit(budget)
            client = CloudflareClient(
                Credentials("api_token", TOKEN), base_url=emu.base_url, pacer=_Deaf(limit, window)
            )
            provider.use_client(client)
        emu.set_rate_limit(LIMIT, window=WINDOW)
        emu.reset_requests()

        def read(i: int) -> bool:
            index = i % MEMBERS
            return bool(provider.read(seeded.key(index), state_outputs(seeded, index)).id)

        start = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            succeeded = sum(pool.map(read, range(operations)))
        elapsed = time.perf_counter() - start
        recorded = emu.requests
    refused = sum(1 for r in recorded if r.status == 429)
    bound = operations / LIMIT * WINDOW
    shown = f'"{budget}", Ratelimit headers ignored' if deaf else f'"{budget}"'
    return (
        shown,
        operations,
        succeeded,
        len(recorded),
        refused,
        f"{elapsed:.1f}",
        f"{bound:.1f}",
        f"{elapsed / bound:.2f}",
    )


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    operations = 300 if args.quick else 1500
    matching, huge = f"{LIMIT}/{WINDOW:g}", f"{LIMIT * 1000}/{WINDOW:g}"
    rows = [
        run(operations, matching),
        run(operations, matching, deaf=True),
        run(operations, huge),
        run(operations, huge, deaf=True),
    ]
    paced, _, _, off = rows
    summary = (
        f"{operations} reads against {LIMIT} requests per {WINDOW:g} s (lower bound {paced[6]} s): "
        f"paced {paced[4]} x 429 in {paced[5]} s, unpaced {off[4]} x 429 in {off[5]} s; "
        f"succeeded: {', '.join(str(r[2]) for r in rows)} of {operations}"
    )
    report("Pacing under the rate limit (scaled window)", HEADERS, rows, summary)


if __name__ == "__main__":
    main()
