"""Fixtures shared by every test folder: a loopback emulator and a seeded account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import attrs
import pytest

from cloudflare_user_groups.emulator import Emulator

TOKEN = "test-token-0123456789"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own Cloudflare credentials and proxies out of every test."""
    for name in list(os.environ):
        if name.startswith("CLOUDFLARE_") or name.lower() in {
            "http_proxy",
            "https_proxy",
            "all_proxy",
        }:
            monkeypatch.delenv(name)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator on loopback that accepts only ``TOKEN``."""
    with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


@attrs.frozen
class Account:
    """An account seeded in the emulator: one user group and a few accepted members."""

    emulator: Emulator
    account_id: str
    user_group_id: str
    member_ids: tuple[str, ...]
    emails: tuple[str, ...]

    @property
    def base_url(self) -> str:
        """The emulator's base URL."""
        return self.emulator.base_url


def seed_account(emulator: Emulator, members: int = 3, group: str = "operators") -> Account:
    """Create a user group and ``members`` accepted account members, out of band.

    Emails carry the group's name, so one emulator can hold several seeded groups.
    """
    prefix = "" if group == "operators" else f"{group}."
    emails = tuple(f"{prefix}user{i:04d}@example.com" for i in range(members))
    ids = tuple(
        emulator.add_account_member(ACCOUNT_ID, email, first_name=f"User{i}", last_name="Test")[
            "id"
        ]
        for i, email in enumerate(emails)
    )
    group_id = emulator.create_user_group(ACCOUNT_ID, group)["id"]
    return Account(emulator, ACCOUNT_ID, group_id, ids, emails)


@pytest.fixture
def account(emu: Emulator) -> Account:
    """An account with one empty user group and three accepted members."""
    return seed_account(emu)
