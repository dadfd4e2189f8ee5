"""Command line entry point: ``python -m cloudflare_user_groups.emulator`` serves until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from cloudflare_user_groups.emulator._emulator import Emulator

DEFAULT_PORT = 8977


def _pair(value: str) -> tuple[str, str]:
    left, sep, right = value.partition(":")
    if not sep or not left or not right:
        raise argparse.ArgumentTypeError(f"expected LEFT:RIGHT, got {value!r}")
    return left, right


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from exc
    if not number >= 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return number


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cloudflare_user_groups.emulator",
        description="Serve an in-memory Cloudflare API for IAM user groups on this machine. "
        "The first line printed is the base URL to use as CLOUDFLARE_BASE_URL.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"0 picks a free port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--token",
        action="append",
        metavar="T",
        help="accept this API token (repeatable); without --token/--api-key any is accepted",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        type=_pair,
        metavar="EMAIL:KEY",
        help="accept this global API key for EMAIL (repeatable)",
    )
    parser.add_argument("--latency", type=_non_negative, default=0.0, metavar="S")
    parser.add_argument(
        "--rate-limit", type=int, metavar="N", help="requests allowed per window (default: off)"
    )
    parser.add_argument("--rate-window", type=_non_negative, default=300.0, metavar="S")
    parser.add_argument(
        "--rate-block",
        type=_non_negative,
        metavar="S",
        help="429 period once spent (default: window)",
    )
    parser.add_argument(
        "--account-member",
        action="append",
        type=_pair,
        default=[],
        metavar="ACCOUNT_ID:EMAIL",
        help="seed an accepted account member (repeatable)",
    )
    parser.add_argument(
        "--user-group",
        action="append",
        type=_pair,
        default=[],
        metavar="ACCOUNT_ID:NAME",
        help="seed a user group (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM; answers the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    api_keys = dict(args.api_key) if args.api_key else None
    emulator = Emulator(args.host, args.port, args.token, args.latency, api_keys=api_keys)
    try:
        if args.rate_limit is not None:
            emulator.set_rate_limit(args.rate_limit, args.rate_window, args.rate_block)
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopped = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(emulator.base_url, flush=True)
        try:
            for account_id, email in args.account_member:
                member = emulator.add_account_member(account_id, email)
                print(f"account-member {account_id} {member['id']} {email}", flush=True)
            for account_id, name in args.user_group:
                group = emulator.create_user_group(account_id, name)
                print(f"user-group {account_id} {group['id']} {name}", flush=True)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        # wait() with a timeout keeps the main thread responsive to signals on every platform.
        while not stopped.wait(0.5):
            pass
        return 0
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    raise SystemExit(main())
