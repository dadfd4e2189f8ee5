"""Fixtures for the emulator's own tests: a live loopback emulator and HTTP helpers around it."""

from __future__ import annotations

import http.client
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
import requests

from cloudflare_user_groups.emulator import Emulator

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def new_id() -> str:
    """A fresh 32-hex identifier."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class RawResponse:
    """What a raw http.client exchange answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


def raw_request(
    emu: Emulator,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> RawResponse:
    """Send ``path`` byte-for-byte (no normalisation or escaping) on a fresh connection."""
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=dict(AUTH if headers is None else headers))
        response = conn.getresponse()
        data = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A running emulator that accepts any well-formed credentials."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def http_session() -> Iterator[requests.Session]:
    """A requests session that sends a bearer token."""
    with requests.Session() as session:
        session.headers.update(AUTH)
        yield session


@pytest.fixture
def account_id() -> str:
    """A fresh account id (accounts exist on first use)."""
    return new_id()
