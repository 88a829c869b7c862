"""Soak: the real window typing, push-to-talk and voice commands for a few minutes.

Asserts that memory settles (RSS growth after warm-up under a bound) and that no worker lane
thread died. The microphone is a recorded LibriVox WAV replayed at every press (real
PocketSphinx decoding); commands go through the real int8 intent model.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from qt_support import WorkerEvents
from speech_support import librivox_references

from slm_desktop import app as app_module
from slm_desktop.audio.ptt import WavSource
from slm_desktop.document import Document
from slm_desktop.ui import main_window
from slm_desktop.ui.voice import PushToTalkController

SOAK_SECONDS = 150
# Every command twice: the translation command's engine load and first results land a cycle or two after
# it is given (an +11 MB step seen at cycle 6); then Qt caches and allocator arenas.
WARMUP_CYCLES = 8
# Bound: after warm-up nothing should accumulate. Measured on the 2-core dev machine: +1.9 MB over
# 141 cycles, later +3.8-4.0 MB over 109-112 cycles in 150 s (allocator noise, Qt caches, the undo stack up to
# the 20k-character reset). 16 MB is 4-8x that; it catches a leaked decoder or engine per cycle (MBs
# each) and any steady leak over ~115-140 KB per cycle at that pace -- about one utterance's audio kept
# per press (the replayed recording: 3 s at 16 kHz int16 = 96 KB).
RSS_GROWTH_BOUND_MB = 16
COMMANDS = ["make the text bigger", "make the text smaller", "insert the date", "translate this into spanish"]
SENTENCE = "The quick brown fox jumps over the lazy dog while the kettle boils. "


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class ReplayingWav:
    """An AudioSource replaying one recording from the start at every press."""

    def __init__(self, path: Path):
        self.path = path
        self.source = WavSource(path)
        self.presses = 0

    @property
    def exhausted(self) -> bool:
        return self.source.exhausted

    def preroll(self, pressed_at: float | None = None):
        self.source = WavSource(self.path)
        self.presses += 1  # after the new source is in place: the test polls both from the GUI thread
        return self.source.preroll(pressed_at)

    def read(self, timeout: float = 0.05):
        return self.source.read(timeout)


@pytest.fixture
def soak_window(qtbot, app_paths, monkeypatch):
    wav = next(w for w in librivox_references() if w.name.endswith("0880.wav"))
    mic = ReplayingWav(wav)

    class ReplayController(PushToTalkController):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, source_factory=lambda _config: mic, **kwargs)

    monkeypatch.setattr(main_window, "PushToTalkController", ReplayController)
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    win.mic = mic
    yield win
    win.editor.document().setModified(False)
    win.close()
    win.services.worker.shutdown()


def _lanes() -> dict[str, threading.Thread]:
    return {t.name: t for t in threading.enumerate() if t.name.startswith("slm-lane-")}


def _cycle(qtbot, window, events: WorkerEvents, n: int) -> None:
    qtbot.keyClicks(window.editor, SENTENCE)
    with qtbot.waitSignal(window.speech.recordingStarted, timeout=10000):
        window.speech.press()
    qtbot.waitUntil(lambda: window.mic.exhausted and window.mic.presses == n + 1, timeout=30000)
    with qtbot.waitSignal(window.speech.dictated, timeout=30000) as dictated:
        window.speech.release()
    assert dictated.args[0], "the replayed recording decoded to nothing"
    with events.waiting("finished", kind="intent", timeout=30000):
        window.commands.submit(COMMANDS[n % len(COMMANDS)])
    window.autosave_now()
    if len(window.editor.toPlainText()) > 20_000:
        window.set_document(Document(""))  # a fresh document: the undo stack would otherwise grow by design


@pytest.mark.slow
def test_soak_typing_push_to_talk_and_commands(qtbot, soak_window):
    window = soak_window
    events = WorkerEvents(qtbot, window.services.worker, kinds={"intent"})
    cycles, samples = 0, []
    deadline = time.monotonic() + SOAK_SECONDS
    baseline = 0.0
    while time.monotonic() < deadline or cycles <= WARMUP_CYCLES:
        _cycle(qtbot, window, events, cycles)
        cycles += 1
        samples.append(round(rss_mb(), 1))
        if cycles == WARMUP_CYCLES:
            baseline = samples[-1]
            lanes_after_warmup = _lanes()
    growth = samples[-1] - baseline
    print(f"soak: {cycles} cycles in {SOAK_SECONDS} s, RSS {baseline:.1f} -> {samples[-1]:.1f} MB; {samples[::10]}")
    failures = [f"{kind}: {message}" for _id, kind, message in events.args("failed")]
    assert failures == [] or all("microphone" in f for f in failures), failures
    assert growth < RSS_GROWTH_BOUND_MB, samples
    dead = [name for name, thread in lanes_after_warmup.items() if not thread.is_alive()]
    assert not dead, f"worker lanes died: {dead}"
    assert set(lanes_after_warmup) <= set(_lanes())
    assert window.mic.presses == cycles
    assert len(window.editor.toPlainText()) > 0
