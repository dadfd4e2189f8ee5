"""The program `cf-user-groups import` generates adopts every member through the provider host
without a single add request."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudflare_user_groups.cli import main
from cloudflare_user_groups.emulator import Emulator
from tests.conftest import TOKEN, Account, seed_account
from tests.host.harness import ProviderHost, provider_host, run_program, urn


@pytest.fixture
def world(emu: Emulator) -> Account:
    account = seed_account(emu, members=6)
    emu.add_group_members(account.account_id, account.user_group_id, account.member_ids)
    return account


@pytest.fixture
def host(world: Account) -> Iterator[ProviderHost]:
    with provider_host() as running:
        running.configure({"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": world.base_url})
        yield running


@pytest.mark.parametrize("by", ["id", "email"])
def test_generated_program_adopts_every_member(
    by: str,
    world: Account,
    host: ProviderHost,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Adopts each member with one GET, adds nobody and leaves the group as it was."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    program = tmp_path / "__main__.py"
    argv = [
        "import",
        "--quiet",
        "--base-url",
        world.base_url,
        "--account-id",
        world.account_id,
        "--group-id",
        world.user_group_id,
        "--by",
        by,
        "--output",
        str(program),
    ]
    assert main(argv) == 0
    registrations = run_program(lambda: runpy.run_path(str(program)))
    assert len(registrations) == len(world.member_ids)

    world.emulator.reset_requests()
    adopted = set()
    for registration in registrations:
        checked, failures = host.check(urn(registration.name), {}, registration.inputs)
        assert failures == []
        id_, outputs = host.create(urn(registration.name), checked)
        assert id_ == registration.inputs["import_id"]
        adopted.add(outputs["member_id"])

    assert adopted == set(world.member_ids)
    assert world.emulator.request_count(method="POST") == 0
    assert world.emulator.request_count(method="PUT") == 0
    assert world.emulator.request_count() == len(world.member_ids)
    assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == set(
        world.member_ids
    )


def test_generated_authoritative_program_adopts_the_set(
    world: Account, host: ProviderHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adopts the whole set as one UserGroupMembers with one listing and no write."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    program = tmp_path / "__main__.py"
    argv = ["import", "--quiet", "--base-url", world.base_url, "--authoritative"]
    argv += ["--account-id", world.account_id, "--group-id", world.user_group_id]
    assert main([*argv, "--output", str(program)]) == 0
    (registration,) = run_program(lambda: runpy.run_path(str(program)))
    assert registration.typ == "pulumi-python:dynamic/cloudflare:UserGroupMembers"

    world.emulator.reset_requests()
    name = urn(registration.name, "pulumi-python:dynamic/cloudflare:UserGroupMembers")
    checked, failures = host.check(name, {}, registration.inputs)
    assert failures == []
    id_, outputs = host.create(name, checked)
    assert id_ == f"{world.account_id}/{world.user_group_id}"
    assert outputs["member_count"] == len(world.member_ids)
    assert world.emulator.request_count(method="PUT") == 0
    assert world.emulator.request_count(method="POST") == 0
    assert world.emulator.group_member_ids(world.account_id, world.user_group_id) == set(
        world.member_ids
    )
