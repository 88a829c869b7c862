"""SuggestionController plumbing with a fake engine: debounce, toggle, latest-wins, stale results."""

import threading

import pytest
from qt_support import WorkerEvents

from slm_desktop.config import CompletionSettings
from slm_desktop.engines.base import Completion, WordChoice
from slm_desktop.ui.suggest import GhostEditor, SuggestionController, WordChips
from slm_desktop.worker import Worker


class FakeEngine:
    """Echoes a marker of the text it was asked about; can be held mid-generation."""

    name = "fake.gguf"

    def __init__(self):
        self.calls = []
        self.release = threading.Event()
        self.release.set()

    def complete(self, before, *, after="", max_tokens=12, stop=(), cancel=None, on_token=None):
        self.calls.append(before)
        while not self.release.wait(0.005):
            cancel.raise_if_cancelled()
        cancel.raise_if_cancelled()
        return Completion(f" <{len(before)}>", 1, 1.0, self.name)

    def next_words(self, before, *, count=3, cancel=None):
        return [WordChoice(w, 0.3) for w in ("one", "two", "three")[:count]]

    def close(self):
        pass


@pytest.fixture
def setup(qtbot):
    editor, chips, worker, engine = GhostEditor(), WordChips(), Worker(), FakeEngine()
    qtbot.addWidget(editor)
    qtbot.addWidget(chips)
    controller = SuggestionController(editor, chips, worker, CompletionSettings(debounce_ms=50), lambda: engine)
    yield editor, chips, controller, engine
    engine.release.set()
    worker.shutdown()


def test_one_request_per_pause(qtbot, setup):
    editor, chips, controller, engine = setup
    with qtbot.waitSignal(controller.wordsShown, timeout=5000):
        for ch in "abc":
            editor.insertPlainText(ch)
    assert engine.calls == ["abc"]
    assert editor.ghost() == " <3>"
    assert chips.words() == ["one", "two", "three"]


def test_disabled_sends_nothing_and_clears(qtbot, setup):
    editor, chips, controller, engine = setup
    with qtbot.waitSignal(controller.wordsShown, timeout=5000):
        editor.insertPlainText("abc")
    controller.set_settings(CompletionSettings(enabled=False))
    assert editor.ghost() == "" and chips.words() == []
    editor.insertPlainText("d")
    assert not controller._timer.isActive(), "a request was scheduled while suggestions are off"
    assert engine.calls == ["abc"]


def test_a_result_for_older_text_is_never_shown(qtbot, setup):
    editor, _chips, controller, engine = setup
    shown = []
    controller.suggestionShown.connect(lambda before, text: shown.append(before))
    engine.release.clear()
    editor.insertPlainText("old")
    qtbot.waitUntil(lambda: engine.calls == ["old"], timeout=5000)
    editor.insertPlainText(" text")  # the running job is now stale
    engine.release.set()
    qtbot.waitUntil(lambda: shown == ["old text"], timeout=5000)
    assert editor.ghost() == " <8>"


def test_engine_errors_become_one_status_line(qtbot):
    editor, worker = GhostEditor(), Worker()
    qtbot.addWidget(editor)

    def broken():
        from slm_desktop.errors import ModelError

        raise ModelError("x.gguf is not a GGUF model file")

    controller = SuggestionController(editor, None, worker, CompletionSettings(debounce_ms=0), broken)
    with qtbot.waitSignal(controller.statusChanged, timeout=5000) as blocker:
        editor.insertPlainText("hi")
    worker.shutdown()
    assert blocker.args == ["x.gguf is not a GGUF model file"]


def test_a_keystroke_cancels_the_running_generation_before_the_debounce(qtbot, setup):
    editor, _chips, controller, engine = setup
    controller.set_settings(CompletionSettings(debounce_ms=5000))
    engine.release.clear()
    controller.request_now()
    qtbot.waitUntil(lambda: len(engine.calls) == 1, timeout=5000)
    with WorkerEvents(qtbot, controller.worker).waiting("cancelled", timeout=2000):
        editor.insertPlainText("x")
    assert engine.calls == [""]


def test_switching_models_closes_the_old_engine(qtbot, setup):
    editor, _chips, controller, engine = setup
    closed = []
    engine.close = lambda: closed.append("old")
    with qtbot.waitSignal(controller.wordsShown, timeout=5000):
        editor.insertPlainText("abc")
    other = FakeEngine()
    with WorkerEvents(qtbot, controller.worker).waiting("finished", timeout=5000):
        controller.set_engine(lambda: other, "completion:other.gguf")
    assert closed == ["old"]
    with qtbot.waitSignal(controller.wordsShown, timeout=5000):
        editor.insertPlainText("d")
    assert other.calls == ["abcd"]
