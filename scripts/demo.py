"""``make demo``: the basic example stack, end to end, against the bundled emulator.

Starts the emulator, creates an account member and a user group through the API, then runs
``pulumi up``, prints the stack outputs, and runs ``pulumi refresh`` and ``pulumi destroy`` with a
local file backend in a temporary folder. Needs the Pulumi CLI; says how to get it when missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "basic"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "demo-token-not-a-secret"
STACK = "demo"

INSTALL_HINT = """\
The demo runs the Pulumi CLI, and `pulumi` is not on PATH.
Install it, then run `make demo` again:
  curl -fsSL https://get.pulumi.com | sh     (Linux, macOS)
  brew install pulumi/tap/pulumi              (macOS)
  choco install pulumi                        (Windows)
See https://www.pulumi.com/docs/install/"""


@contextmanager
def emulator() -> Iterator[str]:
    """Run the emulator in a child process; yield its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudflare_user_groups.emulator", "--port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {base_url!r}")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def seed(base_url: str) -> tuple[str, str]:
    """Invite an account member and create a user group through the API; return their ids."""
    import requests  # from the project's venv; the CLI check in main() runs without it

    headers = {"Authorization": f"Bearer {TOKEN}"}
    with requests.Session() as session:
        session.headers.update(headers)
        member = session.post(
            f"{base_url}/accounts/{ACCOUNT_ID}/members",
            json={"email": "alice@example.com", "roles": []},
            timeout=10,
        )
        member.raise_for_status()
        group = session.post(
            f"{base_url}/accounts/{ACCOUNT_ID}/iam/user_groups",
            json={"name": "demo-operators", "policies": []},
            timeout=10,
        )
        group.raise_for_status()
    return member.json()["result"]["id"], group.json()["result"]["id"]


def pulumi(pulumi_bin: str, args: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """Run one Pulumi command, echoing it; return its standard output."""
    print(f"\n$ pulumi {' '.join(args)}", flush=True)
    result = subprocess.run(
        [pulumi_bin, *args], cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    print(result.stdout, end="", flush=True)
    return result.stdout


def run_demo(pulumi_bin: str, workdir: Path) -> dict[str, object]:
    """Run the whole demo in ``workdir``; return the stack outputs after ``pulumi up``."""
    project = workdir / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = (project / "Pulumi.yaml").read_text()
    venv = Path(sys.prefix)
    (project / "Pulumi.yaml").write_text(manifest.replace("../../.venv", str(venv)))
    (workdir / "state").mkdir()
    env = dict(os.environ)
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "demo",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
    )
    with emulator() as base_url:
        member_id, group_id = seed(base_url)
        print(f"emulator at {base_url}: account member {member_id}, user group {group_id}")
        pulumi(pulumi_bin, ["stack", "init", STACK], project, env)
        for key, value in (
            ("accountId", ACCOUNT_ID),
            ("userGroupId", group_id),
            ("memberId", member_id),
            ("cloudflare:baseUrl", base_url),
        ):
            pulumi(pulumi_bin, ["config", "set", key, value], project, env)
        pulumi(
            pulumi_bin, ["config", "set", "--secret", "cloudflare:apiToken", TOKEN], project, env
        )
        pulumi(pulumi_bin, ["up", "--yes", "--non-interactive"], project, env)
        outputs: dict[str, object] = json.loads(
            pulumi(pulumi_bin, ["stack", "output", "--json"], project, env)
        )
        pulumi(pulumi_bin, ["refresh", "--yes", "--non-interactive"], project, env)
        pulumi(pulumi_bin, ["destroy", "--yes", "--non-interactive"], project, env)
        pulumi(pulumi_bin, ["stack", "rm", "--yes", STACK], project, env)
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; exit non-zero with instructions when the Pulumi CLI is missing."""
    args = sys.argv[1:] if argv is None else argv
    pulumi_bin = shutil.which("pulumi")
    if pulumi_bin is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    if args == ["--check-cli"]:
        return 0
    with tempfile.TemporaryDirectory(prefix="cf-user-groups-demo-") as tmp:
        outputs = run_demo(pulumi_bin, Path(tmp))
    print("\nStack outputs after `pulumi up`:")
    print(json.dumps(outputs, indent=2))
    print("\nThe demo created, refreshed and destroyed the membership. Done.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
