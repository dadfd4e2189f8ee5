"""State written by version 1 of each resource still works: its pickled provider loads in the real
provider host and drives read, diff and delete against the emulator.

``tests/golden/*_v1.json`` hold a ``__provider`` value and a state entry (inputs and outputs as
stored after a create) produced by this version, with the ids replaced by placeholders. A change
that can no longer read them fails here: keep the files, and add a ``_v2`` beside them when the
format changes on purpose. To regenerate the files (only for a new version, never to make this
test pass)::

    .venv/bin/python -m tests.host.test_golden_state
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.proto import provider_pb2

from cloudflare_user_groups import UserGroupMember, __version__
from cloudflare_user_groups.emulator import Emulator
from cloudflare_user_groups.members import UserGroupMembers
from tests.conftest import ACCOUNT_ID, TOKEN
from tests.host.harness import ProviderHost, captured_registration, provider_host, urn

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MEMBER_FILE = GOLDEN / "user_group_member_v1.json"
MEMBERS_FILE = GOLDEN / "user_group_members_v1.json"
MEMBER_TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMember"
MEMBERS_TYPE = "pulumi-python:dynamic/cloudflare:UserGroupMembers"
PROVIDER = "__provider"

# Placeholders that stand for the ids of the emulator that produced the files.
PLACEHOLDERS = {
    "account": ACCOUNT_ID,
    "group": "a" * 32,
    "member": "b" * 32,
    "member_user": "c" * 32,
    "second": "d" * 32,
    "second_user": "e" * 32,
}
EMAILS = {"member": "ada@example.com", "second": "grace@example.com"}
NAMES = {"member": ("Ada", "Lovelace"), "second": ("Grace", "Hopper")}


def substitute(value: Any, mapping: dict[str, str]) -> Any:
    """Replace ids inside every string of ``value`` except the pickled provider."""
    if isinstance(value, dict):
        return {
            key: item if key == PROVIDER else substitute(item, mapping)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [substitute(item, mapping) for item in value]
    if isinstance(value, str):
        for old, new in mapping.items():
            value = value.replace(old, new)
    return value


def seed(emu: Emulator) -> tuple[dict[str, str], str]:
    """Two account members and a group; placeholder -> real id, and the group's id."""
    real: dict[str, str] = {"account": ACCOUNT_ID}
    for name in ("member", "second"):
        first, last = NAMES[name]
        member = emu.add_account_member(ACCOUNT_ID, EMAILS[name], first_name=first, last_name=last)
        real[name] = str(member["id"])
        user = member["user"]
        assert isinstance(user, dict)
        real[f"{name}_user"] = str(user["id"])
    real["group"] = str(emu.create_user_group(ACCOUNT_ID, "golden")["id"])
    return real, real["group"]


def load(path: Path, real: dict[str, str]) -> dict[str, Any]:
    """A golden file with its placeholders turned into the seeded emulator's ids."""
    golden = json.loads(path.read_text())
    to_real = {PLACEHOLDERS[name]: real[name] for name in PLACEHOLDERS}
    return {
        **golden,
        "id": substitute(golden["id"], to_real),
        "inputs": substitute(golden["inputs"], to_real),
        "outputs": substitute(golden["outputs"], to_real),
    }


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=[TOKEN]) as emu:
        yield emu


@pytest.fixture
def host(emulator: Emulator) -> Iterator[ProviderHost]:
    with provider_host() as running:
        running.configure({"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": emulator.base_url})
        yield running


class TestUserGroupMemberV1:
    def test_read_diff_and_delete_from_v1_state(
        self, host: ProviderHost, emulator: Emulator
    ) -> None:
        """Reads, diffs and deletes a membership from the state version 1 wrote."""
        real, group = seed(emulator)
        emulator.add_group_members(ACCOUNT_ID, group, [real["member"], real["second"]])
        entry = load(MEMBER_FILE, real)
        outputs, inputs = entry["outputs"], entry["inputs"]
        assert outputs[PROVIDER] == inputs[PROVIDER]

        read_id, refreshed, read_inputs = host.read(urn("golden"), entry["id"], outputs, inputs)
        assert read_id == entry["id"]
        assert set(outputs) <= set(refreshed)  # no recorded output went missing
        for key in ("account_id", "user_group_id", "member_id", "email", "identified_by"):
            assert refreshed[key] == outputs[key]
        assert refreshed["user"] == outputs["user"]
        assert read_inputs["email"] == EMAILS["member"]  # declared by email, and kept so

        diff = host.diff(urn("golden"), entry["id"], outputs, inputs)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
        assert list(diff.replaces) == []

        host.delete(urn("golden"), entry["id"], outputs)
        assert emulator.group_member_ids(ACCOUNT_ID, group) == {real["second"]}


class TestUserGroupMembersV1:
    def test_read_diff_and_delete_from_v1_state(
        self, host: ProviderHost, emulator: Emulator
    ) -> None:
        """Reads, diffs and empties a group from the state version 1 wrote."""
        real, group = seed(emulator)
        emulator.add_group_members(ACCOUNT_ID, group, [real["member"], real["second"]])
        entry = load(MEMBERS_FILE, real)
        outputs, inputs = entry["outputs"], entry["inputs"]
        assert outputs[PROVIDER] == inputs[PROVIDER]

        read_id, refreshed, _ = host.read(urn("golden", MEMBERS_TYPE), entry["id"], outputs, inputs)
        assert read_id == entry["id"]
        assert set(outputs) <= set(refreshed)
        for key in ("account_id", "user_group_id", "member_ids", "emails"):
            assert refreshed[key] == outputs[key]
        by_id = sorted(outputs["members"], key=lambda member: member["id"])
        assert refreshed["members"] == by_id  # the placeholders sorted differently
        assert refreshed["drift"] == {"extra": [], "missing": []}

        diff = host.diff(urn("golden", MEMBERS_TYPE), entry["id"], outputs, inputs)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

        host.delete(urn("golden", MEMBERS_TYPE), entry["id"], outputs)
        assert emulator.group_member_ids(ACCOUNT_ID, group) == set()


class TestGoldenFiles:
    @pytest.mark.parametrize("path", [MEMBER_FILE, MEMBERS_FILE], ids=lambda path: path.name)
    def test_files_record_version_1(self, path: Path) -> None:
        """Holds a state entry of format version 1, with placeholder ids only."""
        golden = json.loads(path.read_text())
        assert golden["state_version"] == 1
        assert golden["outputs"][PROVIDER] == golden["inputs"][PROVIDER]
        assert ACCOUNT_ID in golden["id"]


# Regeneration: only when a new format version is introduced, as a new _vN file.


def _record(
    host: ProviderHost, build: Callable[[], pulumi.Resource], type_: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check and create a resource as `pulumi up` does; its id, checked inputs and outputs."""
    news = captured_registration(build).inputs
    checked, failures = host.check(urn("golden", type_), {}, news)
    assert failures == []
    id_, outputs = host.create(urn("golden", type_), checked)
    return id_, checked, outputs


def regenerate(directory: Path = GOLDEN, version: int = 1) -> list[Path]:
    """Write ``user_group_member_vN.json`` and ``user_group_members_vN.json`` from this code."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with Emulator(tokens=[TOKEN]) as emu, provider_host() as host:
        host.configure({"cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": emu.base_url})
        real, group = seed(emu)
        to_placeholder = {real[name]: PLACEHOLDERS[name] for name in PLACEHOLDERS}
        recorded = {
            "user_group_member": _record(
                host,
                lambda: UserGroupMember(
                    "golden", account_id=ACCOUNT_ID, user_group_id=group, email=EMAILS["member"]
                ),
                MEMBER_TYPE,
            ),
            "user_group_members": _record(
                host,
                lambda: UserGroupMembers(
                    "golden",
                    account_id=ACCOUNT_ID,
                    user_group_id=group,
                    member_ids=[real["member"]],
                    emails=[EMAILS["second"]],
                ),
                MEMBERS_TYPE,
            ),
        }
        for name, (id_, inputs, outputs) in recorded.items():
            golden = {
                "description": (
                    f"A {name} state entry written by pulumi-cloudflare-user-groups {__version__}: "
                    "the checked inputs and the outputs stored after create. Ids are placeholders "
                    "(see tests/host/test_golden_state.py). Never edit; add a new version instead."
                ),
                "state_version": version,
                "produced_by": {
                    "package": __version__,
                    "pulumi": importlib.metadata.version("pulumi"),
                    "python": platform.python_version(),
                },
                "id": substitute(id_, to_placeholder),
                "inputs": substitute(inputs, to_placeholder),
                "outputs": substitute(outputs, to_placeholder),
            }
            path = directory / f"{name}_v{version}.json"
            path.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in regenerate():
        print(written_path)
