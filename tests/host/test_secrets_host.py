"""Credentials through the real provider host: refusals name the credential kind and the fix over
gRPC, and nothing the host says or logs (stderr, or every logger at DEBUG) holds a secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from cloudflare_user_groups import UserGroupMember
from cloudflare_user_groups.emulator import Emulator, Fault
from cloudflare_user_groups.members import UserGroupMembers
from tests.conftest import ACCOUNT_ID, seed_account
from tests.host.harness import HostError, ProviderHost, provider_blob, provider_host, urn

SECRET_TOKEN = "tok-Hs7dK2pQ9wE4rT6yU8iO0aS3dF5gJ1lZ"
SECRET_KEY = "0c7e9a2b4d6f8e1a3c5b7d9f2e4a6c8b0d1"
KEY_EMAIL = "admin@example.com"
MEMBERS_TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMembers"

# Loaded by the host's interpreter at start-up: every logger, at DEBUG, into a file.
SITECUSTOMIZE = """\
import logging, os
logging.basicConfig(
    level=logging.DEBUG,
    filename=os.environ["CUG_TEST_LOG"],
    format="%(levelname)s %(name)s %(message)s",
)
"""


def leaks(text: str) -> list[str]:
    """The secrets, or 12-character pieces of them, found in ``text``."""
    found = []
    for secret in (SECRET_TOKEN, SECRET_KEY):
        found += [secret[i : i + 12] for i in range(len(secret) - 11) if secret[i : i + 12] in text]
    return found


@attrs.frozen
class Credential:
    """One way to configure the host, and how its refusals must read."""

    name: str
    config: dict[str, str]
    hint: str
    debug_log: bool  # capture every logger at DEBUG (else: the host's stderr as the CLI shows)


CREDENTIALS = [
    Credential(
        "api_token",
        {"cloudflare:apiToken": SECRET_TOKEN},
        "using an API token: check that the token is valid and not expired, and that it grants "
        '"Account Settings Read"',
        debug_log=True,
    ),
    Credential(
        "api_key",
        {"cloudflare:apiKey": SECRET_KEY, "cloudflare:email": KEY_EMAIL},
        "using a Global API key: check the key and its email",
        debug_log=False,
    ),
]


@pytest.fixture(scope="module")
def blobs() -> dict[str, str]:
    return {
        "member": provider_blob(
            lambda: UserGroupMember(
                "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
            )
        ),
        "members": provider_blob(
            lambda: UserGroupMembers(
                "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_ids=[]
            )
        ),
    }


@attrs.define
class Run:
    """What the host said and logged."""

    errors: list[str] = attrs.Factory(list)
    stderr: str = ""
    log: str = ""


def lifecycle(host: ProviderHost, emu: Emulator, blobs: dict[str, str], run: Run) -> None:
    """Both resources' check, create, read, diff and delete, a retried 503, then refusals."""
    world = seed_account(emu, members=3)
    ids = {"account_id": world.account_id, "user_group_id": world.user_group_id}

    news: dict[str, Any] = {**ids, "email": world.emails[0], "__provider": blobs["member"]}
    checked, failures = host.check(urn("one"), {}, news)
    assert failures == []
    emu.inject(Fault(method="POST", status=503))  # retried once, with a warning
    id_, outputs = host.create(urn("one"), checked)
    host.read(urn("one"), id_, outputs, checked)
    host.delete(urn("one"), id_, outputs)

    news = {**ids, "member_ids": list(world.member_ids[:2]), "__provider": blobs["members"]}
    checked, failures = host.check(urn("all", MEMBERS_TYPE), {}, news)
    assert failures == []
    group_id, group = host.create(urn("all", MEMBERS_TYPE), checked)
    host.diff(urn("all", MEMBERS_TYPE), group_id, group, {**checked, "member_ids": []})
    host.read(urn("all", MEMBERS_TYPE), group_id, group, checked)
    host.delete(urn("all", MEMBERS_TYPE), group_id, group)

    for status, code in ((401, 10000), (403, 9109)):
        emu.inject(Fault(status=status, code=code, times=9))
        news = {**ids, "member_id": world.member_ids[2], "__provider": blobs["member"]}
        checked, _ = host.check(urn("refused"), {}, news)
        with pytest.raises(HostError) as info:
            host.create(urn("refused"), checked)
        run.errors.append(info.value.details)
        emu.clear_faults()


@pytest.fixture(scope="module", params=CREDENTIALS, ids=lambda credential: credential.name)
def run(
    request: pytest.FixtureRequest,
    blobs: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Run]:
    """Run the lifecycle in a fresh host configured with one kind of credential."""
    credential: Credential = request.param
    tmp_path = tmp_path_factory.mktemp(credential.name)
    env: dict[str, str] = {}
    log = tmp_path / "host.log"
    if credential.debug_log:
        (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = {"PYTHONPATH": str(tmp_path), "CUG_TEST_LOG": str(log)}
    result = Run()
    with (
        Emulator(tokens=[SECRET_TOKEN], api_keys={KEY_EMAIL: SECRET_KEY}) as emu,
        provider_host(env) as host,
    ):
        host.configure(
            {
                **credential.config,
                "cloudflare:baseUrl": emu.base_url,
                "cloudflare-user-groups:retryDeadline": "5",
            }
        )
        lifecycle(host, emu, blobs, result)
        result.stderr = host.stop()
    result.log = log.read_text() if log.exists() else ""
    yield result


@pytest.mark.parametrize("index", [0, 1], ids=["401", "403"])
def test_refusal_names_the_kind_and_the_fix(run: Run, index: int, request: Any) -> None:
    """Answers a refused credential with a gRPC error naming its kind and the fix, not its value."""
    credential: Credential = request.node.callspec.params["run"]
    details = run.errors[index]
    last_line = details.strip().splitlines()[-1]
    assert f"HTTP {401 if index == 0 else 403}" in last_line
    assert credential.hint in last_line
    assert leaks(details) == []


def test_nothing_said_or_logged_holds_a_secret(run: Run, request: Any) -> None:
    """Keeps secrets out of the host's stderr and out of every log record at DEBUG."""
    credential: Credential = request.node.callspec.params["run"]
    if credential.debug_log:
        assert "urllib3.connectionpool" in run.log  # the capture saw the traffic
        assert "attempt 1 of 5 failed" in run.log
    else:
        assert "attempt 1 of 5 failed" in run.stderr  # the retry warning reaches the CLI
    assert leaks(run.stderr) == []
    assert leaks(run.log) == []
