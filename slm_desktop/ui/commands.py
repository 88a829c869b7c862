"""Typed (Ctrl+K) and spoken commands: classify on the "intent" lane, then act in the window.

Low-confidence results show "Sorry, I didn't catch that" with the top alternatives as buttons;
destructive commands wait for a spoken or clicked yes/no, and only briefly: any other command, or no
answer within the confirmation timeout, drops the question, so a later "ok" cannot run it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from slm_desktop.commands.intents import DISPLAY, Command, parse_heard
from slm_desktop.engines.base import Transcript
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

LANE = "intent"
YES = {"yes", "yeah", "yep", "sure", "ok", "okay", "do it", "confirm", "yes please"}
NO = {"no", "nope", "cancel", "stop", "don't", "never mind", "no thanks"}
CONFIRM_TIMEOUT_MS = 15_000  # UiSettings.confirm_seconds overrides it


def _answer(text: str) -> bool | None:
    cleaned = text.lower().strip(" .!?,")
    if cleaned in YES:
        return True
    if cleaned in NO:
        return False
    return None


class CommandController(QObject):
    """Turns text into a Command off the GUI thread; emits it for the window to perform."""

    understood = Signal(object)  # Command to perform
    notUnderstood = Signal(object)  # Command with alternatives
    confirmNeeded = Signal(object)  # destructive Command awaiting yes/no
    expired = Signal(object, str)  # the destructive Command no longer awaits an answer, and why
    error = Signal(str)

    def __init__(
        self,
        worker: Worker,
        engine_factory: Callable[[], Any],
        parent: QObject | None = None,
        *,
        confirm_timeout_ms: int = CONFIRM_TIMEOUT_MS,
    ):
        super().__init__(parent)
        self._worker = worker
        self._factory = engine_factory
        self._job_id = 0
        self.pending: Command | None = None
        self.needs_confirmation: Callable[[Command], bool] = lambda command: command.destructive
        self.confirm_timeout_ms = confirm_timeout_ms
        self.confirm_timer = QTimer(self)
        self.confirm_timer.setSingleShot(True)
        self.confirm_timer.timeout.connect(self._on_confirm_timeout)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)

    @Slot(str)
    def submit(self, text: str) -> None:
        """A typed command (Ctrl+K)."""
        self._submit(text, ())

    @Slot(object)
    def submit_heard(self, transcript: Transcript) -> None:
        """A spoken command: the recogniser's readings are weighed, not just its best one."""
        self._submit(transcript.text, transcript.hypotheses)

    def _submit(self, text: str, readings: Sequence[tuple[str, float]]) -> None:
        if self.pending is not None:
            answer = _answer(text)
            if answer is not None:
                self.resolve(answer)
                return
            self.expire("another command came first")
        job = self._worker.submit("intent", self._classify(text, readings), lane=LANE, latest_wins=True)
        self._job_id = job.id

    def _classify(self, text: str, readings: Sequence[tuple[str, float]] = ()) -> Callable[[JobContext], Command]:
        def run(ctx: JobContext) -> Command:
            return parse_heard(ctx.engine("intent", self._factory), text, readings)

        return run

    def perform_alternative(self, label: str, command: Command) -> None:
        self.expire("another command came first")
        chosen = Command(label, 1.0, command.slots, (), command.text, command.ms)
        self._dispatch(chosen)

    @Slot(bool)
    def resolve(self, confirmed: bool) -> None:
        self.confirm_timer.stop()
        command, self.pending = self.pending, None
        if command is not None and confirmed:
            self.understood.emit(command)

    def expire(self, reason: str) -> None:
        """Drop the question without running the command; a later yes is then just a word."""
        self.confirm_timer.stop()
        command, self.pending = self.pending, None
        if command is not None:
            self.expired.emit(command, reason)

    @Slot()
    def _on_confirm_timeout(self) -> None:
        self.expire(f"no answer within {self.confirm_timeout_ms / 1000:g} s")

    def _dispatch(self, command: Command) -> None:
        if self.needs_confirmation(command):
            self.pending = command
            self.confirm_timer.start(self.confirm_timeout_ms)
            self.confirmNeeded.emit(command)
        else:
            self.understood.emit(command)

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, _kind: str, result: object) -> None:
        if job_id != self._job_id:
            return
        if result.understood:
            self._dispatch(result)
        else:
            self.notUnderstood.emit(result)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, _kind: str, message: str) -> None:
        if job_id == self._job_id:
            self.error.emit(message)


class CommandBar(QWidget):
    """A command line (Ctrl+K), what was understood, alternatives and yes/no buttons."""

    def __init__(self, controller: CommandController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.input = QLineEdit()
        self.input.setPlaceholderText("Type a command (Ctrl+K): “translate this into German”, “make the text bigger”…")
        self.input.setAccessibleName("Command box")
        self.input.returnPressed.connect(self._on_return)
        self.feedback = QLabel("")
        self.feedback.setAccessibleName("Command feedback")
        self._buttons: list[QPushButton] = []
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addWidget(self.input, 2)
        self._row.addWidget(self.feedback, 1)
        controller.understood.connect(self._on_understood)
        controller.notUnderstood.connect(self._on_not_understood)
        controller.confirmNeeded.connect(self._on_confirm)
        controller.expired.connect(self._on_expired)
        controller.error.connect(self._on_error)

    @Slot()
    def _on_return(self) -> None:
        text = self.input.text().strip()
        if text:
            self.feedback.setText("…")
            self.controller.submit(text)
            self.input.clear()

    def _clear_buttons(self) -> None:
        for button in self._buttons:
            button.deleteLater()
        self._buttons = []

    def _add_button(self, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        self._row.addWidget(button)
        self._buttons.append(button)
        return button

    @Slot(object)
    def _on_understood(self, command: Command) -> None:
        self._clear_buttons()
        self.feedback.setText(command.summary())

    @Slot(object)
    def _on_not_understood(self, command: Command) -> None:
        self._clear_buttons()
        self.feedback.setText("Sorry, I didn't catch that. Did you mean:")
        for label, confidence in command.alternatives[:3]:
            if label == "out_of_scope":
                continue
            title = DISPLAY.get(label, (label, ""))[0]
            button = self._add_button(f"{title} ({round(confidence * 100)}%)", f"Alternative: {title}", self._on_alt)
            button.setProperty("intent", label)
            button.setProperty("command", command)

    @Slot()
    def _on_alt(self) -> None:
        button = self.sender()
        self._clear_buttons()
        self.controller.perform_alternative(button.property("intent"), button.property("command"))

    @Slot(object)
    def _on_confirm(self, command: Command) -> None:
        self._clear_buttons()
        self.feedback.setText(f"{command.summary()} — are you sure? Say or click yes / no")
        self._add_button("Yes", "Confirm command", self._on_yes)
        self._add_button("No", "Reject command", self._on_no)

    @Slot(object, str)
    def _on_expired(self, command: Command, reason: str) -> None:
        self._clear_buttons()
        self.feedback.setText(f"Not done: {command.summary()} ({reason})")

    @Slot()
    def _on_yes(self) -> None:
        self._clear_buttons()
        self.controller.resolve(True)

    @Slot()
    def _on_no(self) -> None:
        self._clear_buttons()
        self.feedback.setText("Cancelled")
        self.controller.resolve(False)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self.feedback.setText(message)
