"""A short-lived, process-wide view of group member lists, so that a refresh of many memberships
of one group costs one paged listing instead of one request per membership.

The first read of a group in a window goes its own way (one single-member GET, the cheapest for a
lone resource); the second read of the same group within the window fetches the group's member
list, and every read of that group in the rest of the window uses it. Concurrent reads wait for
the one fetch in flight. Any write this process makes to a group forgets that group's list, so a
read never sees an answer older than the process's own writes; changes made elsewhere show up
at most ``window`` seconds late.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import attrs

from cloudflare_user_groups.models import GroupMember

GroupKey = tuple[str, str, str]
"""(base URL, account id, user group id)."""

Members = Mapping[str, GroupMember] | None
"""The group's members by id, or None when the group does not exist (what ``fetch`` returns)."""


@attrs.define
class _Listing:
    done: threading.Event = attrs.Factory(threading.Event)
    fetched_at: float = 0.0
    members: Members = None
    error: BaseException | None = None


@attrs.define
class _Group:
    first_read_at: float
    listing: _Listing | None = None


class GroupListCache:
    """Share one member listing per group among the reads of a short window."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: dict[GroupKey, _Group] = {}

    def members(
        self, key: GroupKey, fetch: Callable[[], Members]
    ) -> Mapping[str, GroupMember] | None:
        """The group's members from a shared listing (empty for a group that is gone), or None:
        "read this one on your own".

        ``fetch`` runs at most once per group and window; an error it raises reaches every read
        that waited for it, and the next read fetches again.
        """
        if self.window <= 0:
            return None
        now = self._clock()
        with self._lock:
            self._expire(now)
            group = self._groups.get(key)
            if group is None:
                self._groups[key] = _Group(first_read_at=now)
                return None
            listing = group.listing
            owner = listing is None
            if listing is None:
                listing = group.listing = _Listing()
        if owner:
            try:
                listing.members = fetch()
            except BaseException as error:  # handed to the waiting reads, then re-raised
                listing.error = error
                with self._lock:
                    if self._groups.get(key) is group:
                        group.listing = None
                raise
            finally:
                listing.fetched_at = self._clock()
                listing.done.set()
        listing.done.wait()
        if listing.error is not None:
            raise listing.error
        return listing.members if listing.members is not None else {}

    def forget(self, key: GroupKey) -> None:
        """Drop the group's listing after a write, so that later reads see the write."""
        with self._lock:
            self._groups.pop(key, None)

    def _expire(self, now: float) -> None:
        stale = [
            key
            for key, group in self._groups.items()
            if now - group.first_read_at > self.window
            and (group.listing is None or group.listing.done.is_set())
        ]
        for key in stale:
            del self._groups[key]


_shared: dict[float, GroupListCache] = {}
_shared_lock = threading.Lock()


def shared_cache(window: float) -> GroupListCache:
    """The process-wide cache for this window length, shared by every provider instance."""
    with _shared_lock:
        cache = _shared.get(window)
        if cache is None:
            cache = _shared[window] = GroupListCache(window)
        return cache


def forget_everywhere(key: GroupKey) -> None:
    """Forget the group in every shared cache (after a write by any resource)."""
    with _shared_lock:
        caches = list(_shared.values())
    for cache in caches:
        cache.forget(key)
