"""The :class:`Emulator` facade: start and stop the server, seed state, script faults and limits."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType

from cloudflare_user_groups.emulator._app import (
    API_PREFIX,
    MAX_EMAIL_LENGTH,
    Dispatcher,
    RecordedRequest,
)
from cloudflare_user_groups.emulator._errors import ApiError
from cloudflare_user_groups.emulator._faults import Fault, FaultQueue
from cloudflare_user_groups.emulator._ratelimit import RateLimiter
from cloudflare_user_groups.emulator._server import EmulatorServer
from cloudflare_user_groups.emulator._state import MEMBER_STATUSES, State, is_identifier


def _identifier(value: object, name: str) -> str:
    if not is_identifier(value):
        raise ValueError(f"{name} must be a 32-character hex identifier, got {value!r}")
    return str(value).lower()


def _translate(error: ApiError) -> Exception:
    # Out-of-band helpers speak Python: missing things are KeyError, refused input ValueError.
    if error.status == 404:
        return KeyError(error.first_message)
    return ValueError(error.first_message)


class Emulator:
    """A local, in-memory Cloudflare API for IAM user groups, served over loopback HTTP."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Iterable[str] | None = None,
        latency: float = 0.0,
        *,
        api_keys: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(tokens, str):
            raise TypeError("tokens must be an iterable of token strings, not one string")
        self._host = host
        self._requested_port = port
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._state = State(self._lock)
        self._faults = FaultQueue(self._lock)
        self._limiter = RateLimiter(self._lock)
        self._dispatcher = Dispatcher(
            state=self._state,
            faults=self._faults,
            limiter=self._limiter,
            lock=self._lock,
            stop=self._stop_event,
            tokens=frozenset(tokens) if tokens is not None else None,
            api_keys=api_keys,
            latency=0.0,
        )
        self._dispatcher.set_latency(latency)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind the port and serve in a background thread; answers ``self``."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stop_event.clear()
        server = EmulatorServer(self._host, self._requested_port, self._dispatcher)
        thread = threading.Thread(
            target=server.serve_until_woken,
            name="cf-emulator",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stop_event.set()  # cut short any latency or "delay" sleeps
        server.wake()
        thread.join()
        server.close_connections()
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    @property
    def host(self) -> str:
        """The address the server is bound to."""
        return self._host

    @property
    def port(self) -> int:
        """The bound TCP port (the real one when started with port 0)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:PORT`` (the control API lives below it)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL to give a client, e.g. ``http://127.0.0.1:PORT/client/v4``."""
        return self.url + API_PREFIX

    # -- seeding and inspecting state (no request is recorded) -------------------------------

    def add_account_member(
        self,
        account_id: str,
        email: str,
        *,
        status: str = "accepted",
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, object]:
        """Add a member to the account and answer it as the API shows it."""
        if not isinstance(email, str) or not email or len(email) > MAX_EMAIL_LENGTH:
            raise ValueError("email must be a non-empty string of at most 90 characters")
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(MEMBER_STATUSES)}")
        try:
            return self._state.add_account_member(
                _identifier(account_id, "account_id"),
                email,
                status=status,
                first_name=first_name,
                last_name=last_name,
            )
        except ApiError as exc:
            raise _translate(exc) from None

    def remove_account_member(self, account_id: str, member_id: str) -> None:
        """Remove a member from the account and from all its groups (KeyError if unknown)."""
        try:
            self._state.delete_account_member(
                _identifier(account_id, "account_id"), _identifier(member_id, "member_id")
            )
        except ApiError as exc:
            raise _translate(exc) from None

    def create_user_group(self, account_id: str, name: str) -> dict[str, object]:
        """Create a user group and answer it as the API shows it."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name must be a non-empty string")
        try:
            return self._state.create_user_group(_identifier(account_id, "account_id"), name)
        except ApiError as exc:
            raise _translate(exc) from None

    def delete_user_group(self, account_id: str, user_group_id: str) -> None:
        """Delete a user group and its memberships (KeyError if unknown)."""
        try:
            self._state.delete_user_group(
                _identifier(account_id, "account_id"), _identifier(user_group_id, "user_group_id")
            )
        except ApiError as exc:
            raise _translate(exc) from None

    def group_member_ids(self, account_id: str, user_group_id: str) -> set[str]:
        """The member ids of a group (KeyError if there is no such group)."""
        try:
            return self._state.group_member_ids(
                _identifier(account_id, "account_id"), _identifier(user_group_id, "user_group_id")
            )
        except ApiError as exc:
            raise _translate(exc) from None

    def add_group_members(
        self, account_id: str, user_group_id: str, member_ids: Iterable[str]
    ) -> None:
        """Add account members to a group (KeyError: no group; ValueError: not a member)."""
        if isinstance(member_ids, str):
            raise TypeError("member_ids must be an iterable of ids, not one string")
        try:
            self._state.add_group_members(
                _identifier(account_id, "account_id"),
                _identifier(user_group_id, "user_group_id"),
                list(member_ids),
            )
        except ApiError as exc:
            raise _translate(exc) from None

    def remove_group_member(self, account_id: str, user_group_id: str, member_id: str) -> None:
        """Take a member out of a group; a member not in the group is ignored."""
        group_id = _identifier(user_group_id, "user_group_id")
        account = _identifier(account_id, "account_id")
        member = _identifier(member_id, "member_id")
        with self._lock:
            try:
                if member in self._state.group_member_ids(account, group_id):
                    self._state.remove_group_member(account, group_id, member)
            except ApiError as exc:
                raise _translate(exc) from None

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request answered since the last reset, oldest first."""
        return self._dispatcher.requests

    def request_count(self, method: str | None = None, path: str | None = None) -> int:
        """Count recorded requests by method (any case) and a regex searched in the raw path."""
        wanted = method.upper() if method is not None else None
        pattern = re.compile(path) if path is not None else None
        return sum(
            1
            for r in self._dispatcher.requests
            if (wanted is None or r.method == wanted)
            and (pattern is None or pattern.search(r.path) is not None)
        )

    def reset_requests(self) -> None:
        """Forget every recorded request."""
        self._dispatcher.reset_requests()

    # -- behaviour ---------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every API request waits before it is handled."""
        return self._dispatcher.latency

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds``."""
        self._dispatcher.set_latency(seconds)

    def set_rate_limit(
        self, limit: int | None, window: float = 300.0, block: float | None = None
    ) -> None:
        """Allow ``limit`` requests per ``window`` seconds, then refuse (429) for ``block`` s."""
        self._limiter.configure(limit, window, block)

    def inject(self, fault: Fault) -> None:
        """Queue a scripted failure; faults apply in injection order."""
        if not isinstance(fault, Fault):
            raise TypeError("inject() takes a Fault")
        self._faults.inject(fault)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    @property
    def pending_faults(self) -> list[tuple[Fault, int]]:
        """Each queued fault with the number of requests it still applies to."""
        return self._faults.pending()
