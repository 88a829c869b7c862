"""Spoken punctuation and editing while dictating, in the real main window.

The first tests emit the push-to-talk controller's `dictated` signal with what a recogniser writes
(Whisper's own punctuation included); the last ones go through espeak-ng speech and a real engine."""

from __future__ import annotations

from qt_support import speak_into_window
from speech_support import synthesize

from slm_desktop.engines.base import Transcript


def dictate(window, heard: str) -> None:
    window.speech.dictated.emit(heard)


def test_spoken_marks_act_and_each_utterance_is_one_undo_step(qtbot, window):
    dictate(window, "hello comma world full stop")
    dictate(window, "New line. How are you? Question mark.")
    assert window.editor.toPlainText() == "Hello, world.\nHow are you?"
    window.editor.undo()
    assert window.editor.toPlainText() == "Hello, world."
    window.editor.undo()
    assert window.editor.toPlainText() == ""
    window.editor.redo()
    window.editor.redo()
    dictate(window, "Question mark.")  # replaces the "?" before the cursor: still one step
    assert window.editor.toPlainText() == "Hello, world.\nHow are you?"
    dictate(window, "Exclamation mark")
    assert window.editor.toPlainText() == "Hello, world.\nHow are you!"
    window.editor.undo()
    assert window.editor.toPlainText() == "Hello, world.\nHow are you?"


def test_scratch_that_removes_the_last_dictated_utterance_and_undo_that_undoes(qtbot, window):
    qtbot.keyClicks(window.editor, "Typed by hand.")
    dictate(window, "first part comma")
    dictate(window, "second part.")
    assert window.editor.toPlainText() == "Typed by hand. First part, second part."
    dictate(window, "Scratch that.")
    assert window.editor.toPlainText() == "Typed by hand. First part,"
    assert window.statusBar().currentMessage() == "Scratched: second part."
    dictate(window, "delete that")
    assert window.editor.toPlainText() == "Typed by hand."
    dictate(window, "Scratch that!")  # only dictated text goes; what was typed stays
    assert window.editor.toPlainText() == "Typed by hand."
    assert window.statusBar().currentMessage() == "Nothing dictated to scratch"
    dictate(window, "Undo that.")
    assert window.editor.toPlainText() == "Typed by hand. First part,"


def test_scratch_that_inside_an_utterance_drops_a_sentence_or_the_last_utterance_then_dictates_on(qtbot, window):
    """People say the command and go on in one breath; Whisper writes it as a sentence of its own."""
    qtbot.keyClicks(window.editor, "Typed by hand.")
    dictate(window, "First part.")
    dictate(window, "Scratch that. Second part.")
    assert window.editor.toPlainText() == "Typed by hand. Second part."
    assert window.statusBar().currentMessage() == "Scratched: First part."
    dictate(window, "Meet at noon. Scratch that. Meet at one.")
    assert window.editor.toPlainText() == "Typed by hand. Second part. Meet at one."
    dictate(window, "Please delete that file.")
    assert window.editor.toPlainText().endswith("Meet at one. Please delete that file.")
    dictate(window, "Scratch that. Scratch that.")  # the file sentence, then "Meet at one."
    assert window.editor.toPlainText() == "Typed by hand. Second part."


def test_utterances_dictated_after_a_scratch_are_never_selected_or_replaced(qtbot, window):
    """The editor's cursor was a copy of the scratched record, which keeps its position on insert: the
    next utterance came out selected and the one after it replaced it."""
    qtbot.keyClicks(window.editor, "Typed by hand.")
    for heard in ("First part.", "Scratch that.", "Second part.", "Third part."):
        dictate(window, heard)
    assert window.editor.toPlainText() == "Typed by hand. Second part. Third part."
    assert not window.editor.textCursor().hasSelection()


def test_scratch_that_puts_back_the_mark_a_spoken_mark_replaced(qtbot, window):
    dictate(window, "Hello there.")
    dictate(window, "Question mark.")
    assert window.editor.toPlainText() == "Hello there?"
    dictate(window, "scratch that")
    assert window.editor.toPlainText() == "Hello there."


def test_scratch_that_leaves_an_utterance_the_user_has_edited_since(qtbot, window):
    dictate(window, "one two three")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(window.editor, " x")  # typed right after it: the dictated text is still as it was
    dictate(window, "scratch that")
    assert window.editor.toPlainText() == " x"
    dictate(window, "four five")
    cursor = window.editor.textCursor()
    cursor.setPosition(2)
    window.editor.setTextCursor(cursor)
    qtbot.keyClicks(window.editor, "!")  # typed inside it: it is no longer what was dictated
    dictate(window, "scratch that")
    assert window.editor.toPlainText() == "Fo!ur five x"


class ContextEngine:
    """Records the prompt each utterance starts with."""

    name, model, sample_rate = "context", "fake", 16000

    def __init__(self):
        self.contexts: list[str] = []

    def start(self, *, grammar=None, context=""):
        self.contexts.append(context)
        return self

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        return ""

    def finish(self) -> Transcript:
        return Transcript("", language="en")

    def close(self):
        pass


class Silence:
    def preroll(self, pressed_at=None):
        from slm_desktop.audio.capture import Chunk

        return Chunk(bytes(640), 0.0)

    def read(self, timeout: float = 0.05):
        return None

    def close(self):
        pass


def test_each_press_gives_the_engine_the_users_words_and_the_text_before_the_cursor(qtbot, window):
    engine = ContextEngine()
    window.speech.setEngine(lambda: engine, "speech:context")
    window.speech.source_factory = lambda capture: Silence()
    window.services.update_settings("speech", "custom_words", "Siobhan, kubectl")
    window.editor.setPlainText("Notes from the call with Siobhan about the cluster.")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    for mode in ("dictation", "command"):
        window.set_voice_mode(mode)
        window.speech.press()
        window.speech.release()
        qtbot.waitUntil(lambda: not window.speech.active, timeout=10_000)
    assert engine.contexts == [
        "Siobhan, kubectl. Notes from the call with Siobhan about the cluster.",
        "Siobhan, kubectl",  # a command is not a continuation of the document
    ]


# ---------------------------------------------------------------- real speech


def test_spoken_full_stop_and_scratch_that_through_pocketsphinx(qtbot, window, tmp_path):
    """espeak-ng → PocketSphinx in the window → the editor. PocketSphinx mishears most of espeak's words
    ("comma" → "ah", "new line" → "you are you"); it hears "full stop" in the default voice and "scratch
    that" in the en-us+m1 voice at 120, 140 and 160 words/min (its default voice gives "crotch rot"). The
    renderings are undithered (speech_support.synthesize), so every run hears the same audio: with sox's
    random dither this test passed only on some runs."""
    window.services.update_settings("speech", "engine", "pocketsphinx")
    window.settings_changed()
    qtbot.keyClicks(window.editor, "It works")
    heard = speak_into_window(qtbot, window, synthesize("full stop", tmp_path / "stop.wav"))
    assert heard == "full stop"
    assert window.editor.toPlainText() == "It works."
    heard = speak_into_window(qtbot, window, synthesize("scratch that", tmp_path / "scratch.wav", voice="en-us+m1"))
    assert heard == "scratch that"
    assert window.editor.toPlainText() == "It works"  # the dictated full stop went, the typed words stayed


def test_scratch_that_removes_a_dictated_utterance_holding_an_emoji_whole(qtbot, window):
    """Qt counts an emoji as two positions: the record of the utterance must still span all of it."""
    qtbot.keyClicks(window.editor, "Kept.")
    dictate(window, "Party at eight 🎉 bring snacks.")
    assert window.editor.toPlainText() == "Kept. Party at eight 🎉 bring snacks."
    dictate(window, "Scratch that.")
    assert window.editor.toPlainText() == "Kept."
    assert window.statusBar().currentMessage() == "Scratched: Party at eight 🎉 bring snacks."
