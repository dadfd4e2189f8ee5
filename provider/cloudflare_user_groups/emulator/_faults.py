"""Scripted failures: what a :class:`Fault` describes and the queue that hands them out."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, fields
from typing import Literal, get_args

FaultKind = Literal[
    "json", "html", "truncated", "success_false", "drop_before", "drop_after", "delay"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class Fault:
    """A scripted failure for the next ``times`` requests whose method and raw path match."""

    method: str | None = None
    path: str = ""
    times: int = 1
    status: int = 503
    kind: FaultKind = "json"
    retry_after: str | None = None
    delay: float = 0.0
    # Extensions beyond the contract: override the envelope error of "json"/"success_false".
    code: int | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.method is not None:
            if not isinstance(self.method, str) or not self.method.strip():
                raise ValueError("Fault.method must be a non-empty string or None")
            object.__setattr__(self, "method", self.method.strip().upper())
        if not isinstance(self.path, str):
            raise ValueError("Fault.path must be a regular expression string")
        try:
            re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"Fault.path is not a valid regular expression: {exc}") from exc
        if not _is_int(self.times) or self.times < 1:
            raise ValueError("Fault.times must be an integer >= 1")
        if not _is_int(self.status) or not 100 <= self.status <= 599:
            raise ValueError("Fault.status must be an HTTP status between 100 and 599")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault.kind must be one of {', '.join(FAULT_KINDS)}")
        if self.retry_after is not None and (
            not isinstance(self.retry_after, str) or not _is_header_value(self.retry_after)
        ):
            raise ValueError("Fault.retry_after must be a printable header value or None")
        if isinstance(self.delay, bool) or not isinstance(self.delay, int | float):
            raise ValueError("Fault.delay must be a number of seconds")
        if not 0 <= self.delay < 3600:
            raise ValueError("Fault.delay must be between 0 and 3600 seconds")
        if self.code is not None and not _is_int(self.code):
            raise ValueError("Fault.code must be an integer or None")
        if self.message is not None and not isinstance(self.message, str):
            raise ValueError("Fault.message must be a string or None")

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request."""
        if self.method is not None and self.method != method.upper():
            return False
        return re.search(self.path, path) is not None

    def to_json(self) -> dict[str, object]:
        """The fault's fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Build a fault from a JSON object of its field names, rejecting unknown keys."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_header_value(value: str) -> bool:
    return all(" " <= ch <= "~" for ch in value)


class FaultQueue:
    """Faults in injection order, each consumed by the requests it matches."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._pending: list[tuple[Fault, int]] = []

    def inject(self, fault: Fault) -> None:
        """Queue ``fault`` behind any earlier ones."""
        with self._lock:
            self._pending.append((fault, fault.times))

    def clear(self) -> int:
        """Drop every pending fault and say how many there were."""
        with self._lock:
            count = len(self._pending)
            self._pending.clear()
            return count

    def pending(self) -> list[tuple[Fault, int]]:
        """Each pending fault with the number of requests it still applies to."""
        with self._lock:
            return list(self._pending)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching the request, if any."""
        with self._lock:
            for index, (fault, remaining) in enumerate(self._pending):
                if fault.matches(method, path):
                    if remaining <= 1:
                        del self._pending[index]
                    else:
                        self._pending[index] = (fault, remaining - 1)
                    return fault
            return None
