"""Fixtures of the provider-host tests: one emulator and one host per module."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from cloudflare_user_groups.emulator import Emulator
from tests.conftest import TOKEN, Account, seed_account
from tests.host.harness import ProviderHost, provider_host

_GROUPS = itertools.count()


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[Emulator]:
    """An emulator shared by the tests of one module."""
    with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def host(module_emulator: Emulator) -> Iterator[ProviderHost]:
    """A provider host configured, as a stack would, for the module's emulator."""
    with provider_host() as running:
        running.configure(
            {
                "cloudflare:apiToken": TOKEN,
                "cloudflare:baseUrl": module_emulator.base_url,
                "cloudflare-user-groups:propagationTimeout": "1",
            }
        )
        yield running


@pytest.fixture
def world(module_emulator: Emulator) -> Account:
    """A fresh group and fresh members in the shared emulator."""
    module_emulator.reset_requests()
    return seed_account(module_emulator, members=4, group=f"group{next(_GROUPS)}")
