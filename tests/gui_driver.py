"""Test-only driver: runs the real CLI (`slm-desktop gui ...`) in this process and drives it with QTest.

Used by tests/reliability/test_kill.py as a subprocess, so the app can be SIGKILLed or crash for real.
The mode comes from the SLM_TEST_DRIVE environment variable, which only this script reads:
  type     type "w0 w1 w2 ..." forever, printing "typed N" after each word
  keep     click "Keep for later" in the recovery prompt, then type "k0 k1 k2 ..." like type
  crash    type until the recovery file exists, then abort() inside a worker job (a native crash)
  save     alternate two large versions of the open file, printing "saving K" / "saved K" around each save;
           with SLM_TEST_STALL=PHASE:K the K-th save stops inside slm_desktop.atomic at PHASE (fsync: the
           temp file written, not yet synced; replace: synced, not yet renamed; replaced: renamed, the
           folder not yet synced), prints "stalled PHASE TEMP-PATH" and waits there to be killed
  restore  click Restore on row $SLM_TEST_RESTORE_ROW (default 0) of the recovery prompt, print the listed
           texts and the editor's text as JSON, quit
  idle     type a word, print "ready PID" once the speech and completion lanes have run dry, and wait
           (for socket inspection)
  privacy  type until a suggestion shows, hold F9 while paplay plays $SLM_TEST_WAV into the virtual
           microphone, release, wait for the dictated text, translate the text with the "translate this
           into spanish" command, print each step ("suggested", "dictated ...", "translated ..."), quit
"""

from __future__ import annotations

import json
import os
import sys
import threading

from PySide6.QtCore import QObject, QProcess, Qt, QTimer, Slot
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from slm_desktop import cli

SAVE_LINES = 16000


def version_text(k: int) -> str:
    """One saved version: every line names the version, so a mix of two is easy to spot."""
    return "".join(f"version {k:04d} line {i:05d} lorem ipsum dolor sit amet\n" for i in range(SAVE_LINES))


def say(line: str) -> None:
    print(line, flush=True)


class StallingOs:
    """Stands in for `os` inside slm_desktop.atomic only: at the chosen phase of the chosen save it reports
    the temp file and blocks the saving thread, so the test can look at the disk and then SIGKILL."""

    def __init__(self, real, phase: str):
        self._real, self.phase, self.armed = real, phase, False

    def __getattr__(self, name):
        return getattr(self._real, name)

    def _stall(self, phase: str, temp: str) -> None:
        if self.armed and phase == self.phase:
            say(f"stalled {phase} {temp}")
            threading.Event().wait()  # until SIGKILL

    def fsync(self, fd: int) -> None:
        if self.armed:
            self._stall("fsync", self._real.readlink(f"/proc/self/fd/{fd}"))
        self._real.fsync(fd)

    def replace(self, src, dst) -> None:
        self._stall("replace", str(src))
        self._real.replace(src, dst)
        self._stall("replaced", str(src))


def install_save_stall(spec: str) -> tuple[StallingOs, int] | None:
    """SLM_TEST_STALL=PHASE:K, read only here."""
    if not spec:
        return None
    from slm_desktop import atomic

    phase, save = spec.split(":")
    atomic.os = StallingOs(os, phase)
    return atomic.os, int(save)


def abort_job(_ctx) -> None:
    os.abort()  # what a segfault/assert in a native library does to the process


class Driver(QObject):
    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.count = 0
        self.stall = install_save_stall(os.environ.get("SLM_TEST_STALL", "")) if mode == "save" else None
        self.word = "k" if mode == "keep" else "w"
        self.listed: list[str] = []
        self.unsettled: set[str] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(15)

    def window(self):
        from slm_desktop.ui.main_window import MainWindow

        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)

    @Slot()
    def start(self) -> None:
        step = {"type": self.type_word, "crash": self.type_then_crash, "save": self.save_next}.get(self.mode)
        if self.mode == "keep":
            QTimer.singleShot(50, self.keep_for_later)
        elif step is not None:
            self.timer.timeout.connect(step)
            self.timer.start()
        elif self.mode == "restore":
            QTimer.singleShot(50, self.restore)
        elif self.mode == "privacy":
            QTimer.singleShot(50, self.privacy_type)
        elif self.mode == "idle":
            QTimer.singleShot(0, self.settle)

    @Slot()
    def privacy_type(self) -> None:
        window = self.window()
        if window is None:
            QTimer.singleShot(50, self.privacy_type)
            return
        self.privacy = PrivacyRun(self, window)
        self.privacy.start()

    @Slot()
    def settle(self) -> None:
        """Type a word, then say "ready" once the speech lane (engine warm-up, microphone) and the completion
        lane (the model's load and the suggestion for the word) have both run dry."""
        window = self.window()
        if window is None:
            QTimer.singleShot(50, self.settle)
            return
        worker = window.services.worker
        self.unsettled = {"completion"} | ({"speech"} if worker.busy("speech") else set())
        worker.idle.connect(self.lane_idle)
        say(f"settling {' '.join(sorted(self.unsettled))}")
        self.type_word()

    @Slot(str)
    def lane_idle(self, lane: str) -> None:
        self.unsettled.discard(lane)
        if not self.unsettled:
            self.window().services.worker.idle.disconnect(self.lane_idle)
            say(f"ready {os.getpid()}")

    @Slot()
    def type_word(self) -> None:
        window = self.window()
        if window is None:
            return
        QTest.keyClicks(window.editor, f"{self.word}{self.count} ")
        say(f"typed {self.count}")
        self.count += 1

    @Slot()
    def type_then_crash(self) -> None:
        window = self.window()
        if window is None:
            return
        if window.recovery.file.exists():
            self.timer.stop()
            say("aborting")
            window.services.worker.submit("completion", abort_job)
            return
        self.type_word()

    @Slot()
    def save_next(self) -> None:
        window = self.window()
        if window is None:
            return
        self.count += 1
        window.editor.setPlainText(version_text(self.count))
        if self.stall is not None:
            stalling, at_save = self.stall
            stalling.armed = self.count == at_save
        say(f"saving {self.count}")
        if not window.save_document():
            say("save failed")
        say(f"saved {self.count}")

    @Slot()
    def keep_for_later(self) -> None:
        """Answer the recovery prompt with "Keep for later", then type like the type mode."""
        prompt = self.prompt()
        if prompt is None:
            QTimer.singleShot(50, self.keep_for_later)
            return
        say(f"listed {len(prompt.snapshots)}")
        next(b for b in prompt.findChildren(QPushButton) if b.text() == "Keep for later").click()
        self.timer.timeout.connect(self.type_word)
        self.timer.start()

    def prompt(self):
        from slm_desktop.ui.recovery_prompt import RecoveryPrompt

        box = QApplication.activeModalWidget()
        return box if isinstance(box, RecoveryPrompt) else None

    @Slot()
    def restore(self) -> None:
        prompt = self.prompt()
        if prompt is not None:
            self.listed = [s.text for s in prompt.snapshots]
            prompt.list.setCurrentRow(int(os.environ.get("SLM_TEST_RESTORE_ROW", "0")))
            prompt.restore_button.click()
            QTimer.singleShot(50, self.restore)
            return
        window = self.window()
        if window is None:
            QTimer.singleShot(50, self.restore)
            return
        state = {"text": window.editor.toPlainText(), "modified": window.editor.document().isModified()}
        say(json.dumps({**state, "listed": self.listed}))
        QApplication.exit(0)  # quit() would close the window and ask about unsaved changes


class PrivacyRun(QObject):
    """Everything the privacy test watches under strace: suggestions, dictation, translation."""

    def __init__(self, driver: Driver, window):
        super().__init__(driver)
        self.window = window
        self.player = QProcess(self)
        self.player.finished.connect(self.played)
        self.poll = QTimer(self)
        self.poll.setInterval(50)
        self.poll.timeout.connect(self.check)
        self.stage = "suggest"
        self.dictated = ""
        window.speech.dictated.connect(self.on_dictated)

    def start(self) -> None:
        self.window.editor.setFocus()
        QTest.keyClicks(self.window.editor, "Thank you for the ")
        self.poll.start()

    @Slot()
    def check(self) -> None:
        window = self.window
        if self.stage == "suggest" and window.editor.ghost():
            say("suggested")
            self.stage = "ptt"
            QTest.keyPress(window.editor, Qt.Key.Key_F9)
            self.player.start("paplay", ["--device=vmic", os.environ["SLM_TEST_WAV"]])
        elif self.stage == "translate" and window.translation_panel.target_edit.toPlainText().strip():
            say(f"translated {window.translation_panel.target_edit.toPlainText().strip()[:60]}")
            self.poll.stop()
            QApplication.exit(0)  # quit() would ask about the unsaved text

    @Slot(int, QProcess.ExitStatus)
    def played(self, code: int, _status) -> None:
        say(f"played {code}")
        QTest.keyRelease(self.window.editor, Qt.Key.Key_F9)

    @Slot(str)
    def on_dictated(self, text: str) -> None:
        say(f"dictated {text.strip()[:60]}")
        self.window.translation_panel.target_edit.clear()
        self.window.editor.selectAll()
        self.stage = "translate"
        self.window.commands.submit("translate this into spanish")


def main() -> int:
    app = QApplication([sys.argv[0]])
    driver = Driver(os.environ["SLM_TEST_DRIVE"])
    QTimer.singleShot(0, driver.start)
    code = cli.main(sys.argv[1:])
    del app
    return code


if __name__ == "__main__":
    sys.exit(main())
