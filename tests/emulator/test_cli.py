"""The command line: ``python -m cloudflare_user_groups.emulator`` as a real subprocess."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from cloudflare_user_groups.emulator.__main__ import main
from tests.emulator.conftest import new_id


@pytest.fixture
def account_id() -> str:
    """A fresh account id."""
    return new_id()


@pytest.fixture
def process(account_id: str) -> Iterator[subprocess.Popen[str]]:
    """The emulator CLI on a free port with one token and one seeded member."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudflare_user_groups.emulator",
            "--port",
            "0",
            "--token",
            "cli-token",
            "--account-member",
            f"{account_id}:cli@example.com",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


class TestMain:
    def test_prints_base_url_first_and_serves(
        self, process: subprocess.Popen[str], account_id: str
    ) -> None:
        """Prints the base URL as its first line, serves requests, and exits 0 on SIGTERM."""
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/client/v4")
        seeded = process.stdout.readline().split()
        assert seeded[:2] == ["account-member", account_id]
        with requests.get(
            f"{base_url}/accounts/{account_id}/members",
            headers={"Authorization": "Bearer cli-token"},
            timeout=10,
        ) as response:
            assert response.status_code == 200
            assert [m["id"] for m in response.json()["result"]] == [seeded[2]]
        with requests.get(
            f"{base_url}/accounts/{account_id}/members",
            headers={"Authorization": "Bearer other"},
            timeout=10,
        ) as refused:
            assert refused.status_code == 403
        process.terminate()
        assert process.wait(timeout=10) == 0

    def test_sigint_stops_cleanly(self, process: subprocess.Popen[str]) -> None:
        """Exits 0 on SIGINT without a traceback."""
        assert process.stdout is not None
        process.stdout.readline()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "Traceback" not in stderr

    @pytest.mark.parametrize(
        "options", [["--rate-limit", "0"], ["--rate-limit", "1", "--rate-window", "0"]]
    )
    def test_invalid_rate_limit_exits_2(
        self, capsys: pytest.CaptureFixture[str], options: list[str]
    ) -> None:
        """Returns 2 and explains a rate limit it cannot use."""
        assert main(["--port", "0", *options]) == 2
        assert "error:" in capsys.readouterr().err

    def test_invalid_seed_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Returns 2 for a seeded member with a malformed account id, after printing the URL."""
        assert main(["--port", "0", "--account-member", "short:a@example.com"]) == 2
        captured = capsys.readouterr()
        assert captured.out.startswith("http://127.0.0.1:")
        assert "account_id" in captured.err

    def test_malformed_pair_is_a_usage_error(self) -> None:
        """Exits with argparse's usage error for an option without its colon."""
        with pytest.raises(SystemExit) as exc_info:
            main(["--api-key", "no-colon"])
        assert exc_info.value.code == 2
