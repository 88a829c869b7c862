"""Inline suggestions in the editor: grey ghost text, three word chips, and the controller that feeds them.

The controller debounces keystrokes, submits one latest-wins "suggest" job per pause on the
"completion" lane (a newer keystroke cancels the running generation between tokens), and only
ever shows a result computed for the text that is in the editor now.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter, QPalette, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QWidget

from slm_desktop.config import CompletionSettings
from slm_desktop.engines.base import Completion, CompletionEngine, WordChoice
from slm_desktop.engines.textops import chip_insertion, next_chunk
from slm_desktop.lexicon import Lexicon
from slm_desktop.personal import PersonalModel
from slm_desktop.suggestions import chips as mixed_chips
from slm_desktop.threads import ThreadPolicy
from slm_desktop.ui.plain_text import text_between
from slm_desktop.worker import Job, JobContext, Worker

log = logging.getLogger(__name__)

_MODIFIER_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr}
SUGGEST_KIND = "suggest"
COMPLETION_LANE = "completion"
LEXICON_KEY = "lexicon"
OTHER_INFERENCE_LANES = ("speech", "translation", "live", "intent")  # compete with llama.cpp for cores
# the text around the cursor a request carries: more than any engine's prompt reads (8192 tokens x 6 characters)
CONTEXT_BEFORE, CONTEXT_AFTER, CONTEXT_ALIGN = 65_536, 4_096, 4_096


def wrap_words(text: str, first_width: int, width: int, advance: Callable[[str], int]) -> list[str]:
    """Greedy word wrap. The first line starts at the cursor (less room, maybe none: then it stays empty);
    a word wider than a whole line overflows its own line."""
    lines, current, room = [], "", first_width
    for word in re.findall(r"\S+\s*|\s+", text):
        full = advance((current + word).rstrip()) > room
        if full and (current or not lines):
            lines.append(current.rstrip())
            current, room = word.lstrip(), width
        else:
            current += word
    lines.append(current)
    return lines


class GhostEditor(QPlainTextEdit):
    """A plain-text editor that paints a suggestion in grey after the cursor.

    Tab accepts it all, Ctrl+Right the next word, Esc dismisses; typing the ghost's next
    character keeps the rest; any other key or a cursor move dismisses it.
    """

    ghostChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._ghost = ""
        self._anchor = -1
        self._typing_through = False
        self.cursorPositionChanged.connect(self._on_cursor_moved)

    # ------------------------------------------------------------ ghost state

    def ghost(self) -> str:
        return self._ghost

    def context(self) -> tuple[str, str]:
        """(text before the cursor, text after it), as much as any engine reads: every suggestion request
        asks for it, and copying the whole document each time stalled the window on long documents
        (toPlainText: 121 ms for 22 MB). The start moves in steps of CONTEXT_ALIGN, a multiple of the
        engine's own trimming block, so the model's cached prompt stays valid while the user types."""
        position = self.textCursor().position()
        start = max(0, position - CONTEXT_BEFORE)
        start -= start % CONTEXT_ALIGN
        document = self.document()
        return text_between(document, start, position), text_between(document, position, position + CONTEXT_AFTER)

    def set_ghost(self, text: str) -> None:
        if self.textCursor().hasSelection():
            text = ""
        self._ghost, self._anchor = text, self.textCursor().position()
        self.viewport().update()
        self.ghostChanged.emit(text)

    def clear_ghost(self) -> None:
        if self._ghost:
            self.set_ghost("")

    def accept_ghost(self, part: str | None = None) -> None:
        """Insert the whole ghost (or `part` of its start) as one undo step."""
        text = self._ghost if part is None else part
        rest = self._ghost[len(text) :]
        self.insert_as_one_step(text)
        self.set_ghost(rest)

    def insert_as_one_step(self, text: str) -> None:
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        self._typing_through = True
        try:
            self.setTextCursor(cursor)
        finally:
            self._typing_through = False

    # ------------------------------------------------------------ Qt overrides

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._ghost and self._handle_ghost_key(event):
            event.accept()
            return
        if event.key() in _MODIFIER_KEYS:
            super().keyPressEvent(event)
            return
        typed, ghost = event.text(), self._ghost
        keeps = bool(typed) and typed.isprintable() and ghost.startswith(typed) and ghost != typed
        self._typing_through = keeps
        try:
            super().keyPressEvent(event)
        finally:
            self._typing_through = False
        if keeps:
            self.set_ghost(ghost[len(typed) :])
        else:
            self.clear_ghost()

    def _handle_ghost_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.NoModifier:
            self.accept_ghost()
        elif key == Qt.Key.Key_Right and mods == Qt.KeyboardModifier.ControlModifier:
            self.accept_ghost(next_chunk(self._ghost))
        elif key == Qt.Key.Key_Escape:
            self.clear_ghost()
        else:
            return False
        return True

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._ghost or self.textCursor().position() != self._anchor:
            return
        rect, metrics, left = self.cursorRect(), self.fontMetrics(), self._text_left()
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.setFont(self.font())
        for row, line in enumerate(self.ghost_lines()):
            x = rect.right() + 1 if row == 0 else left
            painter.drawText(x, rect.top() + row * metrics.lineSpacing() + metrics.ascent(), line)
        painter.end()

    def ghost_lines(self) -> list[str]:
        """The ghost as painted: wrapped at word boundaries onto the lines below when the cursor ends the
        text (nothing there to cover), else one line cut short with an ellipsis (Tab still takes it all)."""
        metrics = self.fontMetrics()
        right = self.viewport().width() - int(self.document().documentMargin())
        first = max(0, right - self.cursorRect().right() - 1)
        if not self.textCursor().atEnd():
            return [metrics.elidedText(self._ghost, Qt.TextElideMode.ElideRight, first)]
        return wrap_words(self._ghost, first, right - self._text_left(), metrics.horizontalAdvance)

    def _text_left(self) -> int:
        """Where a line of text starts in the viewport: the document margin, scrolled."""
        return int(self.document().documentMargin() + self.contentOffset().x())

    @Slot()
    def _on_cursor_moved(self) -> None:
        if not self._typing_through and self.textCursor().position() != self._anchor:
            self.clear_ghost()


class WordChips(QWidget):
    """Three next-word buttons, like a phone keyboard's suggestion strip; Alt+1/2/3 pick them."""

    wordChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, count: int = 3):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: list[QPushButton] = []
        for i in range(count):
            button = QPushButton(self)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the editor
            button.setToolTip(f"Alt+{i + 1}")
            button.clicked.connect(self._on_clicked)
            layout.addWidget(button)
            self.buttons.append(button)
            # a QShortcut fires at once; a button's own shortcut animates a click for 100 ms first
            shortcut = QShortcut(QKeySequence(f"Alt+{i + 1}"), self)
            shortcut.setProperty("index", i)
            shortcut.activated.connect(self._on_shortcut)
        self.set_words([])

    def words(self) -> list[str]:
        return [b.property("word") for b in self.buttons if b.isEnabled()]

    def set_words(self, words: list[str]) -> None:
        for i, button in enumerate(self.buttons):
            word = words[i] if i < len(words) else ""
            button.setProperty("word", word)
            button.setText(word)
            button.setEnabled(bool(word))

    def choose(self, index: int) -> None:
        word = self.buttons[index].property("word") if index < len(self.buttons) else ""
        if word:
            self.wordChosen.emit(word)

    @Slot()
    def _on_clicked(self) -> None:
        self.choose(self.buttons.index(self.sender()))

    @Slot()
    def _on_shortcut(self) -> None:
        self.choose(self.sender().property("index"))


@dataclass(frozen=True)
class SuggestRequest:
    seq: int
    before: str
    after: str
    busy_lanes: int = 0  # other inference lanes running when it was made (for the thread policy)


@dataclass(frozen=True)
class SuggestResult:
    request: SuggestRequest
    completion: Completion | None = None
    words: tuple[WordChoice, ...] = ()
    final: bool = True  # False: the whole words generated so far, streamed while the model runs


class _Streamer:
    """Sends the ghost text as it grows, whole words only, so the first words show after two or three tokens."""

    def __init__(self, ctx: JobContext, request: SuggestRequest, model: str):
        self._ctx, self._request, self._model = ctx, request, model
        self._text, self._sent, self._tokens = "", "", 0
        self._start = time.perf_counter()

    def __call__(self, piece: str) -> None:
        self._text += piece
        self._tokens += 1
        cut = max(self._text.rfind(" "), self._text.rfind("\t"))
        visible = self._text[:cut] if cut > 0 else ""
        if visible.strip() and visible != self._sent:
            self._sent = visible
            ms = (time.perf_counter() - self._start) * 1000
            partial = Completion(visible, self._tokens, ms, self._model)
            self._ctx.progress(SuggestResult(self._request, partial, final=False))


def run_suggestion(
    ctx: JobContext,
    request: SuggestRequest,
    *,
    engine_key: str,
    factory: Callable[[], CompletionEngine],
    max_tokens: int,
    with_words: bool,
    personal: PersonalModel | None = None,
    word_list: bool = True,
    threads: ThreadPolicy | None = None,
) -> SuggestResult:
    """The job: ghost text first (streamed as progress so it shows at once), then the word chips
    (the LLM's words mixed with the personal model and the word list: slm_desktop.suggestions)."""
    engine = ctx.engine(engine_key, factory)
    if threads is not None:
        threads.apply(engine, busy_lanes=request.busy_lanes)
    stream = _Streamer(ctx, request, getattr(engine, "name", ""))
    completion = engine.complete(
        request.before, after=request.after, max_tokens=max_tokens, cancel=ctx.token, on_token=stream
    )
    ctx.token.raise_if_cancelled()
    ctx.progress(SuggestResult(request, completion))
    if not with_words:
        return SuggestResult(request, completion)
    lexicon = ctx.engine(LEXICON_KEY, Lexicon.load) if word_list else None
    words = mixed_chips(engine, request.before, personal=personal, lexicon=lexicon, cancel=ctx.token)
    return SuggestResult(request, completion, tuple(words))


def _dropper(key: str) -> Callable[[JobContext], None]:
    def drop(ctx: JobContext) -> None:
        ctx.drop_engine(key)

    return drop


class SuggestionController(QObject):
    """Feeds a GhostEditor and WordChips from a completion engine running in the worker."""

    suggestionShown = Signal(str, str)  # the text before the cursor it was computed for, the ghost text
    suggestionCompleted = Signal(str, str)  # the same, once the whole suggestion is there
    wordsShown = Signal(list)
    statusChanged = Signal(str)  # one line for the status bar: speed, or what went wrong
    errorOccurred = Signal(str)
    modelLoaded = Signal(str)

    def __init__(
        self,
        editor: GhostEditor,
        chips: WordChips | None,
        worker: Worker,
        settings: CompletionSettings,
        engine_factory: Callable[[], CompletionEngine],
        *,
        engine_key: str = "completion",
        personal: PersonalModel | None = None,
        thread_policy: ThreadPolicy | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.editor, self.chips, self.worker = editor, chips, worker
        self.settings = settings
        self.personal = personal  # read in the lane, learned from on the GUI thread (it has its own lock)
        self._threads = thread_policy or ThreadPolicy(configured=settings.threads)
        self._factory, self._engine_key = engine_factory, engine_key
        self._seq = 0
        self._latest: SuggestRequest | None = None
        self._running: Job | None = None
        self.last_completion: Completion | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5% late
        self._timer.timeout.connect(self.request_now)
        self._apply_interval()
        editor.textChanged.connect(self._on_edit)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.engineLoaded.connect(self._on_engine_loaded)
        if chips is not None:
            chips.wordChosen.connect(self._on_word_chosen)

    def set_settings(self, settings: CompletionSettings) -> None:
        self.settings = settings
        self._apply_interval()
        if not settings.enabled:
            self._timer.stop()
            self._latest = None
            if self._running is not None:
                self.worker.cancel(self._running)
                self._running = None
            self.editor.clear_ghost()
            if self.chips is not None:
                self.chips.set_words([])

    def set_engine(self, engine_factory: Callable[[], CompletionEngine], engine_key: str) -> None:
        """Switch models: the old engine is closed in its lane, the next request loads the new one."""
        old_key = self._engine_key
        self._factory, self._engine_key = engine_factory, engine_key
        if old_key != engine_key:
            self.worker.submit("suggest-unload", _dropper(old_key), lane=COMPLETION_LANE)

    def _apply_interval(self) -> None:
        self._timer.setInterval(max(0, self.settings.debounce_ms))

    @Slot()
    def _on_edit(self) -> None:
        """Each keystroke stops the generation for the older text at once, not only after the debounce, and
        clears the chips: Alt+N must never insert a word computed for older text (the next result refills them)."""
        self._latest = None
        if self._running is not None:
            self.worker.cancel(self._running)
            self._running = None
        if self.chips is not None:
            self.chips.set_words([])
        if self.settings.enabled:
            self._timer.start()

    @Slot()
    def request_now(self) -> None:
        before, after = self.editor.context()
        self._seq += 1
        busy = sum(self.worker.busy(lane) for lane in OTHER_INFERENCE_LANES)
        request = SuggestRequest(self._seq, before, after, busy)
        self._latest = request
        self._running = self.worker.submit(SUGGEST_KIND, self._job(request), lane=COMPLETION_LANE, latest_wins=True)

    def _job(self, request: SuggestRequest) -> Callable[[JobContext], SuggestResult]:
        key, factory = self._engine_key, self._factory
        max_tokens, with_words = self.settings.max_tokens, self.chips is not None
        personal = self.personal if self.settings.learn_my_words else None
        word_list, threads = self.settings.word_list, self._threads

        def job(ctx: JobContext) -> SuggestResult:
            return run_suggestion(
                ctx,
                request,
                engine_key=key,
                factory=factory,
                max_tokens=max_tokens,
                with_words=with_words,
                personal=personal,
                word_list=word_list,
                threads=threads,
            )

        return job

    def _is_current(self, kind: str, result: Any) -> bool:
        """Only a result for the latest request, and only while the editor still holds its text."""
        return (
            kind == SUGGEST_KIND
            and isinstance(result, SuggestResult)
            and result.request == self._latest
            and self.editor.context() == (result.request.before, result.request.after)
        )

    @Slot(int, str, object)
    def _on_progress(self, _job_id: int, kind: str, result: Any) -> None:
        if self._is_current(kind, result):
            self._show_completion(result)

    @Slot(int, str, object)
    def _on_finished(self, _job_id: int, kind: str, result: Any) -> None:
        if not self._is_current(kind, result):
            return
        if self.chips is not None:
            words = [w.word for w in result.words]
            self.chips.set_words(words)
            self.wordsShown.emit(words)

    def _show_completion(self, result: SuggestResult) -> None:
        completion = result.completion
        self.editor.set_ghost(completion.text)
        self.suggestionShown.emit(result.request.before, completion.text)
        if not result.final:
            return
        self.last_completion = completion
        self.suggestionCompleted.emit(result.request.before, completion.text)
        if completion.tokens and completion.ms > 0:
            rate = completion.tokens / (completion.ms / 1000)
            self.statusChanged.emit(f"suggestion: {completion.tokens} tokens in {completion.ms:.0f} ms ({rate:.0f}/s)")

    @Slot(int, str, str)
    def _on_failed(self, _job_id: int, kind: str, message: str) -> None:
        if kind == SUGGEST_KIND:
            self.errorOccurred.emit(message)
            self.statusChanged.emit(message)

    @Slot(str, str)
    def _on_engine_loaded(self, lane: str, key: str) -> None:
        if lane == COMPLETION_LANE and key == self._engine_key:
            self.modelLoaded.emit(key)
            self.statusChanged.emit(f"completion model loaded: {key.rsplit('/', 1)[-1]}")

    @Slot(str)
    def _on_word_chosen(self, word: str) -> None:
        before, _after = self.editor.context()
        if self.personal is not None and self.settings.learn_my_words:
            self.personal.learn_accepted(before, word)
        self.editor.clear_ghost()
        self.editor.insert_as_one_step(chip_insertion(before, word))
        self.editor.setFocus()
