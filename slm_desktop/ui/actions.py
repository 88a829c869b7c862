"""What each intent does in the real window. One small function per intent, looked up by label."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QTextCursor

from slm_desktop.commands.intents import Command, help_lines


def selection_or_document(window) -> str:
    cursor = window.editor.textCursor()
    return cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else window.editor.toPlainText()


def clear_undoably(window) -> None:
    """Select everything and delete it through the cursor, so one Undo brings it back."""
    cursor = window.editor.textCursor()
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.removeSelectedText()
    window.editor.setTextCursor(cursor)


def _translate(window, command: Command) -> None:
    text = command.slots.get("text") or selection_or_document(window)
    window.translate_text(text, command.slots.get("target"))


def _set_target(window, command: Command) -> None:
    target = command.slots.get("target")
    if target:
        window.set_translation_target(target)
    else:
        window.show_message("Which language? Say for example “set the target language to German”.")


def _new_document(window, command: Command) -> None:
    """Confirmed already when it mattered; cleared through the undo stack rather than dropped."""
    clear_undoably(window)
    window.forget_document_path()


def _show_help(window, command: Command) -> None:
    shortcuts = "Keyboard shortcuts, said on their own: “control z”, “control shift z”, “press F1”"
    window.show_help_text("You can say or type:\n" + "\n".join([*help_lines(), shortcuts]))


ACTIONS: dict[str, Callable[[object, Command], None]] = {
    "dictate_start": lambda w, c: w.set_voice_mode("dictation"),
    "dictate_stop": lambda w, c: w.stop_dictation(),
    "translate": _translate,
    "set_target_language": _set_target,
    "accept_suggestion": lambda w, c: w.accept_suggestion(),
    "new_document": _new_document,
    "open_document": lambda w, c: w.open_document(),
    "save_document": lambda w, c: w.save_document(),
    "undo": lambda w, c: w.editor.undo(),
    "redo": lambda w, c: w.editor.redo(),
    "select_all": lambda w, c: w.editor.selectAll(),
    "copy": lambda w, c: w.editor.copy(),
    "paste": lambda w, c: w.editor.paste(),
    "clear_text": lambda w, c: clear_undoably(w),
    "insert_date": lambda w, c: w.insert_date(),
    "insert_time": lambda w, c: w.insert_time(),
    "zoom_in": lambda w, c: w.zoom_in(),
    "zoom_out": lambda w, c: w.zoom_out(),
    "show_help": _show_help,
    "open_settings": lambda w, c: w.open_settings(),
    "cancel": lambda w, c: w.cancel_activity(),
}


def perform(window, command: Command) -> None:
    action = ACTIONS.get(command.intent)
    if action is not None:
        action(window, command)
