"""The stall probe's culprit watch: what was running while the heartbeat was late."""

from __future__ import annotations

import re
import threading

from slm_desktop.probe import StallProbe, _frames


def _spin(stop: threading.Event, inside: threading.Event) -> None:
    inside.set()
    while not stop.is_set():
        sum(range(100))


def test_a_working_thread_is_named_with_its_frame_and_a_waiting_one_is_not():
    stop, inside = threading.Event(), threading.Event()
    worker = threading.Thread(target=_spin, args=(stop, inside), name="busy-lane")
    idle = threading.Thread(target=stop.wait, name="idle-lane")  # parked in threading.py
    worker.start(), idle.start()
    try:
        assert inside.wait(10)
        named = _frames(threading.main_thread().ident)
    finally:
        stop.set()
        worker.join(), idle.join()
    assert "busy-lane in test_stall_probe.py:" in named and "_spin" in named, named
    assert "idle-lane" not in named, named


def test_a_stall_of_the_gui_thread_itself_is_caught_in_the_act(qtbot):
    probe = StallProbe(culprits=True)
    probe.start()
    qtbot.waitUntil(lambda: probe.beats >= 3, timeout=5000)
    while not probe._watch.worst:  # the GUI thread works without returning to the event loop
        sum(range(100))
    qtbot.waitUntil(lambda: probe.beats >= 6, timeout=5000)
    probe.stop()
    assert probe.worst_ms > 0
    late = re.match(r"(\d+) ms late: ", probe.worst_culprit)
    assert late and int(late.group(1)) >= 10, probe.worst_culprit
    assert "GUI in test_stall_probe.py:" in probe.worst_culprit, probe.worst_culprit
