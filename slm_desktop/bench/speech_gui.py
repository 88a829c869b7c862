"""`bench speech` → `gui`: the worst GUI event-loop stall while Whisper decodes push-to-talk in the real
window (F9 held while a WAV plays in real time as the microphone, Whisper in its child process as the
app runs it), with the release → text-in-the-editor time beside it.

The window gets throwaway config and data folders (the user's settings are never touched) and the
suggestions are off, so the stall measured is the speech path's own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from slm_desktop.bench import percentile

GUI_PASSES = 3  # each short clip this many times


def gui_stall(args, model: Path, clips: list[Path]) -> dict:
    from slm_desktop.bench.complete import _qt_app
    from slm_desktop.paths import AppPaths

    _qt_app()
    with tempfile.TemporaryDirectory() as folder:
        paths = AppPaths(Path(folder) / "config", Path(folder) / "data", models_env=args.paths.models_env)
        paths.config_dir.mkdir(parents=True)
        paths.settings_file.write_text(
            f'[completion]\nenabled = false\n[speech]\nengine = "whisper"\nwhisper_model = "{model}"\n',
            encoding="utf-8",
        )
        return _measure(paths, model, clips * GUI_PASSES)


def _measure(paths, model: Path, clips: list[Path]) -> dict:
    from PySide6.QtGui import QGuiApplication

    from slm_desktop.app import create_window
    from slm_desktop.audio.ptt import WavSource
    from slm_desktop.bench.complete import _wait
    from slm_desktop.bench.qt_waits import JobWaiter
    from slm_desktop.probe import StallProbe

    window = create_window(paths)
    window.show()
    window.activateWindow()
    window.editor.setFocus()  # push-to-talk ends when the window loses focus
    window.speech.source_factory = lambda capture: WavSource(clips[0], realtime=True)  # no microphone here
    try:
        _wait(lambda: QGuiApplication.focusWindow() is window.windowHandle(), 5)
        JobWaiter(window.services.worker, "speech-prepare", timeout_ms=120_000).run(window.start_background)
        window.speech.closeMicrophone()
        probe = StallProbe(parent=window, culprits=True)
        probe.start()
        shown = [_dictate(window, wav) for wav in clips]
        stall = probe.stop()
    finally:
        window.editor.document().setModified(False)
        window.close()
        window.services.worker.shutdown()
    return {
        "model": model.name,
        "utterances": len(clips),
        "worst_gui_stall_ms": round(stall, 1),
        "worst_stall_during": probe.worst_culprit,
        "heartbeats": probe.beats,
        "release_to_text_p50_ms": percentile(shown, 50),
        "release_to_text_p95_ms": percentile(shown, 95),
        "target": "worst stall <= 20 ms",
    }


def _dictate(window, wav: Path) -> float:
    """F9 down, the clip plays in real time, F9 up as it ends; ms from the release to the text."""
    import time

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from slm_desktop.audio.ptt import WavSource
    from slm_desktop.bench.complete import _wait

    source = WavSource(wav, realtime=True)
    window.speech.source_factory = lambda capture: source
    heard: list[float] = []

    def note(_text: str) -> None:
        heard.append(time.perf_counter())

    window.speech.dictated.connect(note)
    try:
        QTest.keyPress(window.editor, Qt.Key.Key_F9)
        _wait(lambda: source.exhausted, 60)
        released = time.perf_counter()
        QTest.keyRelease(window.editor, Qt.Key.Key_F9)
        _wait(lambda: bool(heard), 60)
    finally:
        window.speech.dictated.disconnect(note)
        window.speech.closeMicrophone()  # the next press opens the next clip
    if not heard:
        raise RuntimeError(f"no text in the window for {wav.name} within 60 s")
    return (heard[0] - released) * 1000
