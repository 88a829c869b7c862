"""Live translate in the real main window, fed by a WAV file instead of the microphone (real
PocketSphinx + Apertium en→es), and the subtitle window and the panel's partial/final styling."""

from __future__ import annotations

import shutil

import pytest
import speech_support
from live_support import join_clips
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from slm_desktop.audio.ptt import WavSource
from slm_desktop.bench.live import write_wav
from slm_desktop.ui.live import HOLD, SubtitleWindow

virtual_mic = speech_support.virtual_mic  # the PulseAudio virtual-microphone fixture
needs_apertium = pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")


def feed_file(window, wav) -> None:
    window.services.update_settings("speech", "engine", "pocketsphinx")  # these tests are about the window
    window.live_mode.controller.source_factory = lambda capture: WavSource(wav)  # fast: as quickly as the engines go
    window.live_mode.controller.source_key = f"wav:{wav}"
    window.translation_panel.set_target("es")


@needs_apertium
def test_live_mode_fills_the_panel_and_the_subtitles_from_speech(qtbot, window, tmp_path):
    wav = write_wav(join_clips(3).pcm, tmp_path / "three.wav")
    feed_file(window, wav)
    window.services.update_settings("ui", "low_power", "on")
    partials, translated = [], []
    window.live_mode.controller.partial.connect(partials.append)
    window.live_mode.controller.translated.connect(lambda index, text: translated.append((index, text)))
    with qtbot.waitSignal(window.live_mode.controller.runningChanged, timeout=10_000):
        window.action("live_translate").trigger()
    assert window.live_mode.bar.liveButton.isChecked()
    assert window.suggestions is None or window.suggestions.settings.enabled is False  # paused in low power
    qtbot.waitUntil(lambda: not window.live_mode.controller.running, timeout=90_000)
    panel = window.translation_panel
    target_lines = panel.translation().splitlines()
    source_lines = panel.source_edit.toPlainText().splitlines()
    assert [i for i, _ in translated] == [0, 1, 2]  # each phrase once, in order
    assert target_lines == [text for _, text in translated] and len(source_lines) == 3
    assert any(w in panel.translation().split() for w in ("y", "de", "el", "la", "en", "para")), target_lines
    assert "joven" in target_lines[1]  # "... young man"
    assert partials and window.live_mode.writer.partial_text() == ""  # partials shown, then replaced by finals
    assert window.live_mode.subtitles.lines() == target_lines[-2:]
    assert not window.action("live_translate").isChecked()  # the file ended: the toggle turned off
    if window.suggestions is not None:
        assert window.suggestions.settings.enabled is window.services.settings.completion.enabled


@needs_apertium
def test_hold_mode_routes_f9_to_live_translation(qtbot, window, tmp_path):
    wav = write_wav(join_clips(pick=(1,)).pcm, tmp_path / "one.wav")
    feed_file(window, wav)
    window.live_mode.bar.modeBox.setCurrentIndex(window.live_mode.bar.modeBox.findData(HOLD))
    window.action("live_translate").trigger()
    assert window.ptt_key.controller is window.live_mode.controller and not window.live_mode.controller.running
    window.editor.setFocus()
    with qtbot.waitSignal(window.live_mode.controller.translated, timeout=60_000):
        qtbot.keyPress(window.editor, Qt.Key.Key_F9)
    qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: not window.live_mode.controller.running, timeout=30_000)
    assert len(window.translation_panel.translation().splitlines()) == 1
    window.action("live_translate").trigger()
    assert window.ptt_key.controller is window.speech


def test_partials_are_grey_italic_and_finals_normal(qtbot, window):
    writer = window.live_mode.writer
    writer.add_phrase(0, "hello there")
    writer.show_partial("how are")
    writer.show_partial("how are you")
    document = window.translation_panel.source_edit.document()
    assert document.toPlainText() == "hello there\nhow are you"

    def format_at(position: int):
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        return cursor.charFormat()

    assert format_at(len("hello there\nhow")).fontItalic()
    assert not format_at(len("hello")).fontItalic()
    writer.add_phrase(1, "how are you today")
    assert document.toPlainText() == "hello there\nhow are you today\n"
    assert not format_at(len("hello there\nhow")).fontItalic()
    assert window.translation_panel.translation() == ""  # live text is never translated as typed text


def test_subtitle_window_shows_the_last_two_lines_large_and_on_top(qtbot):
    subtitles = SubtitleWindow()
    qtbot.addWidget(subtitles)
    for i, line in enumerate(["uno", "dos", "tres"]):
        subtitles.add_translation(i, line)
    subtitles.show()
    qtbot.waitExposed(subtitles)
    assert subtitles.lines() == ["dos", "tres"]
    flags = subtitles.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint and flags & Qt.WindowType.WindowStaysOnTopHint
    assert min(label.font().pointSize() for label in subtitles._labels) >= 24
    subtitles.resize(1200, 300)
    assert subtitles.width() == 1200


@needs_apertium
def test_live_mode_through_the_virtual_microphone(qtbot, window, tmp_path, virtual_mic):
    from slm_desktop.audio.capture import CaptureConfig, Microphone

    wav = write_wav(join_clips(pick=(1, 4), pause_s=1.0).pcm, tmp_path / "two.wav")
    window.services.update_settings("speech", "engine", "pocketsphinx")  # the window's path, as with a file
    window.live_mode.controller.source_factory = lambda capture: Microphone(CaptureConfig(device="pulse"))
    window.live_mode.controller.source_key = "microphone:pulse"
    window.translation_panel.set_target("es")
    with qtbot.waitSignal(window.live_mode.controller.runningChanged, timeout=10_000):
        window.action("live_translate").trigger()
    player = virtual_mic.play(wav)
    qtbot.waitUntil(lambda: len(window.translation_panel.translation().splitlines()) >= 2, timeout=60_000)
    assert player.wait(30) == 0
    with qtbot.waitSignal(window.live_mode.controller.runningChanged, timeout=10_000):
        window.action("live_translate").trigger()  # off: the lane stops listening
    assert len(window.translation_panel.translation().splitlines()) == 2
    assert window.live_mode.subtitles.lines() == window.translation_panel.translation().splitlines()


def test_closing_the_window_closes_the_subtitles(qtbot, window):
    window.live_mode.bar.subtitlesButton.setChecked(True)
    assert window.live_mode.subtitles.isVisible()
    window.close()
    assert not window.live_mode.subtitles.isVisible()


def test_live_translate_with_an_unknown_spoken_language_asks_for_it(qtbot, window):
    """Detect language in the panel and speech language 'auto': no route from 'auto', so one clear line
    instead of "No model for auto→es", and nothing starts listening."""
    window.translation_panel.source_combo.setCurrentIndex(window.translation_panel.source_combo.findData("auto"))
    window.services.update_settings("speech", "language", "auto")
    errors = []
    window.live_mode.controller.error.connect(errors.append)
    window.live_mode.controller.set_languages("auto", "es")
    window.live_mode.controller.start()
    assert errors == [
        "Live translate: the spoken language is unknown; pick the source language in the translation panel"
        " (or the speech language in Settings)"
    ]
    assert not window.live_mode.controller.running
