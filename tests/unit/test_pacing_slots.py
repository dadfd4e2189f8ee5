"""The pacer's per-request slots: answers ordered by request, windows counted from the answer."""

from __future__ import annotations

import threading

import pytest

from cloudflare_user_groups.pacing import Pacer, Slot
from tests.fakes import FakeClock


def fake_pacer(limit: int = 100, window: float = 60.0) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(limit, window, clock=clock, sleep=clock.sleep), clock


def ratelimit(remaining: int, reset: int) -> dict[str, str]:
    return {"Ratelimit": f'"default";r={remaining};t={reset}'}


def reserve(pacer: Pacer) -> Slot:
    slot = pacer.reserve()
    assert slot is not None
    return slot


class TestReserve:
    def test_slots_are_numbered_in_order(self) -> None:
        """Numbers the reservations 1, 2, 3 and gives each its start time."""
        pacer, clock = fake_pacer()
        slots = [reserve(pacer) for _ in range(3)]
        assert [slot.seq for slot in slots] == [1, 2, 3]
        assert all(slot.start == clock.now for slot in slots)

    def test_timeout_gives_none(self) -> None:
        """Returns None, like acquire's False, when the wait would pass the timeout."""
        pacer, _ = fake_pacer(limit=1)
        reserve(pacer)
        assert pacer.reserve(timeout=1) is None


class TestFinish:
    def test_window_counts_from_the_answer(self) -> None:
        """Lets the next request go a window after the answer came back, not after the send."""
        pacer, clock = fake_pacer(limit=2, window=10)
        first, second = reserve(pacer), reserve(pacer)
        clock.now += 3  # the server took 3 s to answer both
        pacer.finish(first)
        pacer.finish(second)
        assert pacer.delay() == pytest.approx(10)

    def test_unanswered_requests_count_from_their_start(self) -> None:
        """Counts a request whose answer is still awaited from its start."""
        pacer, clock = fake_pacer(limit=1, window=10)
        reserve(pacer)
        clock.now += 4
        assert pacer.delay() == pytest.approx(6)

    def test_finish_without_a_slot_uses_this_threads_request(self) -> None:
        """Finishes the calling thread's request when no slot is given; twice is harmless."""
        pacer, clock = fake_pacer(limit=1, window=10)
        reserve(pacer)
        clock.now += 5
        pacer.finish()
        pacer.finish()
        assert pacer.delay() == pytest.approx(10)

    def test_a_request_longer_than_the_window_is_still_counted(self) -> None:
        """Counts an answer that came after its start left the window, from the answer."""
        pacer, clock = fake_pacer(limit=1, window=10)
        slot = reserve(pacer)
        clock.now += 30
        assert pacer.delay() == 0  # its start has left the window meanwhile
        pacer.finish(slot)
        assert pacer.delay() == pytest.approx(10)


class TestObserveWithSlots:
    def test_an_older_answer_is_ignored(self) -> None:
        """Keeps the numbers of the later request when an earlier one's answer comes last."""
        pacer, _ = fake_pacer()
        early, late = reserve(pacer), reserve(pacer)
        pacer.observe(ratelimit(0, 30), late)
        pacer.observe(ratelimit(50, 30), early)
        assert pacer.delay() == pytest.approx(30)

    def test_requests_sent_since_are_deducted(self) -> None:
        """Deducts the requests sent after the answered one, which the server had not seen."""
        pacer, _ = fake_pacer()
        answered = reserve(pacer)
        for _ in range(3):
            reserve(pacer)
        pacer.observe(ratelimit(3, 30), answered)
        assert pacer.delay() == pytest.approx(30)

    def test_a_new_window_replaces_a_spent_one(self) -> None:
        """Sends again at once when a later request's answer shows a fresh window."""
        pacer, clock = fake_pacer()
        first = reserve(pacer)
        pacer.observe(ratelimit(0, 1), first)
        clock.now += 0.5  # the whole-second reset was rounded up: the window is already new
        second = reserve(pacer)
        pacer.observe(ratelimit(19, 1), second)
        assert pacer.delay() == 0

    def test_the_earliest_reset_of_a_window_is_kept(self) -> None:
        """Keeps the closest reset estimate of one window, as resets are rounded up."""
        pacer, clock = fake_pacer()
        first = reserve(pacer)
        pacer.observe(ratelimit(5, 10), first)  # resets at 1010
        clock.now += 4.5
        second = reserve(pacer)
        pacer.observe(ratelimit(0, 6), second)  # 5.5 s rounded up to 6: 1010.5
        assert pacer.delay() == pytest.approx(5.5)

    def test_observe_finds_the_slot_of_the_calling_thread(self) -> None:
        """Orders answers by request without being given the slot, per thread."""
        pacer, _ = fake_pacer()
        reserve(pacer)  # this thread's request, sent first
        other_done = threading.Event()

        def other() -> None:
            reserve(pacer)
            pacer.observe(ratelimit(0, 30))  # the later request's answer arrives first
            other_done.set()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert other_done.is_set()
        pacer.observe(ratelimit(50, 30))  # this thread's older answer
        assert pacer.delay() == pytest.approx(30)
