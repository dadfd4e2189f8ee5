"""The fault matrix, through the real provider host: create, read and delete of both resources.

Each case injects one kind of failure into the one request an operation depends on, either a few
times (transient) or for good (persistent), and drives the operation over gRPC as the engine does.
It then checks that the operation succeeded after bounded retries, or failed within its deadline
with an error that names the operation, the status and Cloudflare's codes; that the emulator and
the stack agree afterwards; and that running the operation again converges, keeping every member
that should stay.

The provider gets a 1 s retry deadline and a 0.15 s request timeout, so a whole case takes under a
second. Cases are independent (one group each), so they run in a few lanes side by side, each lane
an emulator with its own provider host running one case at a time: every timing is one operation's.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from cloudflare_user_groups import UserGroupMember
from cloudflare_user_groups.emulator import Emulator, Fault, FaultKind
from cloudflare_user_groups.members import UserGroupMembers
from tests.conftest import ACCOUNT_ID, TOKEN, seed_account
from tests.host.harness import HostError, ProviderHost, provider_blob, provider_host, urn

DEADLINE = 1.0  # cloudflare-user-groups:retryDeadline
REQUEST_TIMEOUT = 0.15  # cloudflare-user-groups:requestTimeout
DELAY = 0.4  # how long a "read timeout" fault holds the answer back: longer than REQUEST_TIMEOUT
RETRY_AFTER = "0.05"
MAX_ATTEMPTS = 5  # RetryPolicy.max_attempts
SLACK = 0.75  # gRPC and scheduling overhead allowed on top of the deadline
LANES = 6

MEMBER = "UserGroupMember"
MEMBERS = "UserGroupMembers"


@attrs.frozen
class FaultSpec:
    """One kind of failure and what the provider must make of it."""

    name: str
    kind: FaultKind
    status: int = 503
    retry_after: str | None = None
    # How many times the transient variant fails before the server answers normally.
    transient_times: int = 1
    # Whether the client retries it at all (success: false on a 200 is a definite answer).
    retried: bool = True
    # The most attempts a persistent fault may cost within DEADLINE.
    attempts: int = 2
    # What the error text must name besides the operation.
    names: tuple[str, ...] = ()

    def fault(self, method: str, path: str, times: int) -> Fault:
        return Fault(
            method=method,
            path=path,
            times=times,
            status=self.status,
            kind=self.kind,
            retry_after=self.retry_after,
            delay=DELAY if self.kind == "delay" else 0.0,
        )


FAULTS = [
    FaultSpec(
        "429 storm",
        "json",
        429,
        RETRY_AFTER,
        transient_times=3,
        attempts=MAX_ATTEMPTS,
        names=("HTTP 429", "[971]", "rate limited"),
    ),
    *(
        FaultSpec(f"{status}", "json", status, names=(f"HTTP {status}", "[1010]"))
        for status in (500, 502, 503, 504)
    ),
    FaultSpec("HTML 502 page", "html", 502, names=("HTTP 502", "text/html", "Bad Gateway")),
    FaultSpec("dropped before the write", "drop_before", names=("no response from",)),
    FaultSpec("dropped after the write", "drop_after", names=("no response from",)),
    FaultSpec("read timeout", "delay", names=("timed out waiting for",)),
    FaultSpec("truncated JSON", "truncated", names=("HTTP 200", "not valid JSON")),
    FaultSpec(
        "success false on a 200",
        "success_false",
        retried=False,
        attempts=1,
        names=("HTTP 200", "[1011]"),
    ),
]


@attrs.frozen
class Case:
    """One cell of the matrix."""

    resource: str
    operation: str
    fault: FaultSpec
    persistent: bool

    def __str__(self) -> str:
        how = "persistent" if self.persistent else "transient"
        return f"{self.resource}-{self.operation}-{self.fault.name}-{how}"


CASES = [
    Case(resource, operation, spec, persistent)
    for resource in (MEMBER, MEMBERS)
    for operation in ("create", "read", "delete")
    for spec in FAULTS
    for persistent in ((False, True) if spec.retried else (True,))
]


@attrs.define
class Outcome:
    """What happened in one case; member sets are the group's member ids in the emulator."""

    error: str | None = None  # the gRPC error text of the faulted operation
    elapsed: float = 0.0
    attempts: int = 0  # requests the faulted operation sent to the faulted endpoint
    before: frozenset[str] = frozenset()  # the group before the operation
    applied: frozenset[str] = frozenset()  # the group once the operation has done its work
    in_state: bool = False  # whether the stack holds the resource after the operation
    members_after: frozenset[str] = frozenset()  # the group once the faulted operation ended
    # After a failed delete: the members the stack shows once refreshed (the resource's view).
    refreshed: frozenset[str] | None = None
    rerun_error: str | None = None
    members_final: frozenset[str] = frozenset()  # the group after the rerun
    crash: str | None = None  # the scenario itself broke (a bug in this test)


_GROUPS = itertools.count()


class Lane:
    """An emulator and a provider host configured for it, running one case at a time."""

    def __init__(self, emulator: Emulator, host: ProviderHost, blobs: dict[str, str]) -> None:
        self.emu = emulator
        self.host = host
        self.blobs = blobs

    def run(self, case: Case) -> Outcome:
        try:
            scenario = _MEMBER_SCENARIO if case.resource == MEMBER else _MEMBERS_SCENARIO
            return scenario(self, case)
        except Exception:  # reported by the test of this case, with the traceback
            return Outcome(crash=traceback.format_exc())
        finally:
            self.emu.clear_faults()

    def faulted(
        self, case: Case, method: str, path: str, call: Callable[[], Any], outcome: Outcome
    ) -> Any:
        """Run ``call`` with the case's fault injected on ``method path``; fill in the outcome."""
        times = 1000 if case.persistent else case.fault.transient_times
        self.emu.clear_faults()
        self.emu.reset_requests()
        self.emu.inject(case.fault.fault(method, path, times))
        began = time.monotonic()
        result = None
        try:
            result = call()
        except HostError as error:
            outcome.error = error.details
        outcome.elapsed = time.monotonic() - began
        self.emu.clear_faults()
        if case.fault.kind == "delay":
            time.sleep(DELAY + 0.1)  # let the answers the client gave up on land first
        outcome.attempts = self.emu.request_count(method, path)
        return result


def _group_path(account_id: str, group_id: str) -> str:
    return f"^/accounts/{account_id}/iam/user_groups/{group_id}/members"


def _member_scenario(lane: Lane, case: Case) -> Outcome:
    """UserGroupMember: one member added to a group that already has two others."""
    emu, host = lane.emu, lane.host
    world = seed_account(emu, members=3, group=f"fault{next(_GROUPS)}")
    target, *others = world.member_ids
    emu.add_group_members(world.account_id, world.user_group_id, others)
    with_target = frozenset({target, *others})
    outcome = Outcome(before=frozenset(others), applied=with_target)
    name = urn(f"m-{target}")
    news = {
        "account_id": world.account_id,
        "user_group_id": world.user_group_id,
        "member_id": target,
        "__provider": lane.blobs[MEMBER],
    }
    checked, failures = host.check(name, {}, news)
    assert failures == []
    group = _group_path(world.account_id, world.user_group_id)
    one = f"{group}/{target}$"

    def members() -> frozenset[str]:
        return frozenset(emu.group_member_ids(world.account_id, world.user_group_id))

    if case.operation == "create":
        created = lane.faulted(
            case, "POST", f"{group}$", lambda: host.create(name, checked), outcome
        )
        outcome.in_state = created is not None
        outcome.members_after = members()
        try:
            id_, _ = host.create(name, checked)  # the rerun of `pulumi up`
            assert created is None or id_ == created[0]
        except HostError as error:
            outcome.rerun_error = error.details
        outcome.members_final = members()
        return outcome

    id_, outputs = host.create(name, checked)
    if case.operation == "read":
        outcome.before = with_target
        read = lane.faulted(
            case, "GET", one, lambda: host.read(name, id_, outputs, checked), outcome
        )
        outcome.in_state = True  # a failed refresh keeps the state as it was
        if read is not None:
            assert read[0] == id_
            assert read[1] == outputs
        outcome.members_after = members()
        try:
            again = host.read(name, id_, outputs, checked)
            assert (again[0], again[1]) == (id_, outputs)
        except HostError as error:
            outcome.rerun_error = error.details
        outcome.members_final = members()
        return outcome

    outcome.before, outcome.applied = with_target, frozenset(others)
    deleted = lane.faulted(
        case, "DELETE", one, lambda: host.delete(name, id_, outputs) or True, outcome
    )
    outcome.in_state = deleted is None  # a failed delete keeps the resource in state
    outcome.members_after = members()
    if deleted is None:
        found = host.read(name, id_, outputs, checked)[0] == id_
        outcome.refreshed = frozenset({target}) if found else frozenset()
    try:
        host.delete(name, id_, outputs)
    except HostError as error:
        outcome.rerun_error = error.details
    outcome.members_final = members()
    return outcome


def _members_scenario(lane: Lane, case: Case) -> Outcome:
    """UserGroupMembers: the group's whole set declared as two members (a third is extra)."""
    emu, host = lane.emu, lane.host
    world = seed_account(emu, members=3, group=f"faults{next(_GROUPS)}")
    first, second, extra = world.member_ids
    declared = frozenset({first, second})
    emu.add_group_members(world.account_id, world.user_group_id, [first, extra])
    outcome = Outcome(before=frozenset({first, extra}), applied=declared)
    type_ = "pulumi-python:dynamic/cloudflare:UserGroupMembers"
    name = urn(f"ms-{world.user_group_id}", type_)
    news = {
        "account_id": world.account_id,
        "user_group_id": world.user_group_id,
        "member_ids": sorted(declared),
        "__provider": lane.blobs[MEMBERS],
    }
    checked, failures = host.check(name, {}, news)
    assert failures == []
    group = _group_path(world.account_id, world.user_group_id) + "$"

    def members() -> frozenset[str]:
        return frozenset(emu.group_member_ids(world.account_id, world.user_group_id))

    if case.operation == "create":
        created = lane.faulted(case, "PUT", group, lambda: host.create(name, checked), outcome)
        outcome.in_state = created is not None
        outcome.members_after = members()
        try:
            host.create(name, checked)
        except HostError as error:
            outcome.rerun_error = error.details
        outcome.members_final = members()
        return outcome

    id_, outputs = host.create(name, checked)
    outcome.before = declared
    if case.operation == "read":
        read = lane.faulted(
            case, "GET", group, lambda: host.read(name, id_, outputs, checked), outcome
        )
        outcome.in_state = True
        if read is not None:
            assert read[0] == id_
            assert read[1] == outputs
        outcome.members_after = members()
        try:
            again = host.read(name, id_, outputs, checked)
            assert (again[0], again[1]) == (id_, outputs)
        except HostError as error:
            outcome.rerun_error = error.details
        outcome.members_final = members()
        return outcome

    outcome.applied = frozenset()
    deleted = lane.faulted(
        case, "PUT", group, lambda: host.delete(name, id_, outputs) or True, outcome
    )
    outcome.in_state = deleted is None
    outcome.members_after = members()
    if deleted is None:
        found_id, found, _ = host.read(name, id_, outputs, checked)
        assert found_id == id_  # the group is still there, with whatever members it has
        outcome.refreshed = frozenset(member["id"] for member in found["members"])
    try:
        host.delete(name, id_, outputs)
    except HostError as error:
        outcome.rerun_error = error.details
    outcome.members_final = members()
    return outcome


_MEMBER_SCENARIO = _member_scenario
_MEMBERS_SCENARIO = _members_scenario


def _run_lane(work: queue.Queue[Case], blobs: dict[str, str], results: dict[Case, Outcome]) -> None:
    with Emulator(tokens=[TOKEN]) as emu, provider_host() as host:
        host.configure(
            {
                "cloudflare:apiToken": TOKEN,
                "cloudflare:baseUrl": emu.base_url,
                "cloudflare-user-groups:retryDeadline": str(DEADLINE),
                "cloudflare-user-groups:requestTimeout": str(REQUEST_TIMEOUT),
                "cloudflare-user-groups:propagationTimeout": "0.5",
                "cloudflare-user-groups:readCacheSeconds": "0",
            }
        )
        lane = Lane(emu, host, blobs)
        while True:
            try:
                case = work.get_nowait()
            except queue.Empty:
                return
            results[case] = lane.run(case)


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> dict[Case, Outcome]:
    """Run every selected case of this module, in LANES lanes side by side."""
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    blobs = {
        MEMBER: provider_blob(
            lambda: UserGroupMember(
                "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_id=ACCOUNT_ID
            )
        ),
        MEMBERS: provider_blob(
            lambda: UserGroupMembers(
                "probe", account_id=ACCOUNT_ID, user_group_id=ACCOUNT_ID, member_ids=[]
            )
        ),
    }
    work: queue.Queue[Case] = queue.Queue()
    for case in selected:
        work.put(case)
    results: dict[Case, Outcome] = {}
    lanes = [
        threading.Thread(target=_run_lane, args=(work, blobs, results), name=f"lane-{n}")
        for n in range(min(LANES, len(selected)))
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    return results


OPERATION_NAMES = {
    (MEMBER, "create"): "add group members",
    (MEMBER, "read"): "get group member",
    (MEMBER, "delete"): "remove group member",
    (MEMBERS, "create"): "replace group members",
    (MEMBERS, "read"): "list group members",
    (MEMBERS, "delete"): "replace group members",
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fault(case: Case, outcomes: dict[Case, Outcome]) -> None:
    """Succeeds after bounded retries or fails in time with a named error, then converges."""
    outcome = outcomes[case]
    assert outcome.crash is None, outcome.crash
    spec = case.fault
    fails = case.persistent or not spec.retried

    # The faulted operation: success after bounded retries, or a named error within the deadline.
    assert outcome.elapsed <= DEADLINE + SLACK
    if fails:
        assert outcome.error is not None, "the operation should have failed"
        last_line = outcome.error.strip().splitlines()[-1]
        assert OPERATION_NAMES[case.resource, case.operation] in last_line
        for part in spec.names:
            assert part in last_line
        assert TOKEN not in outcome.error
        assert 1 <= outcome.attempts <= spec.attempts
        if spec.retried:
            assert outcome.attempts >= 2
    else:
        assert outcome.error is None, outcome.error
        assert outcome.attempts == spec.transient_times + 1

    # The group is as it was or as the operation makes it: nothing half-done, nothing that
    # should stay removed, no orphan that no rerun would adopt.
    assert outcome.members_after in (outcome.before, outcome.applied)
    if outcome.error is None:
        assert outcome.members_after == outcome.applied
    if case.operation == "read":
        assert outcome.in_state
        assert outcome.members_after == outcome.before

    # The stack and the emulator agree, directly or after the refresh `pulumi up` starts with.
    if case.operation == "create":
        assert outcome.in_state is (outcome.error is None)
    if case.operation == "delete":
        assert outcome.in_state is (outcome.error is not None)
        if outcome.in_state:
            tracked = outcome.before - outcome.applied if case.resource == MEMBER else None
            view = outcome.members_after if tracked is None else outcome.members_after & tracked
            assert outcome.refreshed == view

    # Running the operation again converges.
    assert outcome.rerun_error is None, outcome.rerun_error
    assert outcome.members_final == outcome.applied


def test_every_fault_kind_is_covered() -> None:
    """Covers every fault kind the emulator can script."""
    assert {spec.kind for spec in FAULTS} == set(typing.get_args(FaultKind))
