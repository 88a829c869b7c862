"""Command, parse_command and the label set, with a fake engine (plumbing only; real model in integration)."""

from pathlib import Path

import pytest

from slm_desktop.commands.intents import (
    DESTRUCTIVE,
    DISPLAY,
    INTENT_LABELS,
    OUT_OF_SCOPE,
    Command,
    help_lines,
    locate_model,
    parse_command,
)
from slm_desktop.engines.base import IntentEngine, IntentResult
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths

ISSUE_LABELS = [
    "dictate_start",
    "dictate_stop",
    "translate",
    "set_target_language",
    "accept_suggestion",
    "new_document",
    "open_document",
    "save_document",
    "undo",
    "redo",
    "select_all",
    "copy",
    "paste",
    "clear_text",
    "insert_date",
    "insert_time",
    "zoom_in",
    "zoom_out",
    "show_help",
    "open_settings",
    "cancel",
    "out_of_scope",
]


class FakeEngine:
    labels = INTENT_LABELS

    def __init__(self, intent: str, confidence: float) -> None:
        self.result = IntentResult(intent, confidence, ((intent, confidence), ("undo", 0.01)), ms=1.5)

    def classify(self, text: str) -> IntentResult:
        return self.result

    def close(self) -> None:
        pass


def test_labels_are_exactly_the_issue_set():
    assert list(INTENT_LABELS) == ISSUE_LABELS
    assert set(DISPLAY) == set(INTENT_LABELS)
    assert isinstance(FakeEngine("undo", 1.0), IntentEngine)


def test_parse_command_adds_slots_and_summary():
    command = parse_command(FakeEngine("translate", 0.94), "translate this into Spanish")
    assert command.slots == {"target": "es"}
    assert command.summary() == "Translate → Spanish, 94%"
    assert command.understood and not command.destructive
    assert command.to_json() == {
        "intent": "translate",
        "confidence": 0.94,
        "slots": {"target": "es"},
        "alternatives": [["translate", 0.94], ["undo", 0.01]],
        "ms": 1.5,
    }


def test_out_of_scope_has_no_slots_but_keeps_alternatives():
    command = parse_command(FakeEngine(OUT_OF_SCOPE, 0.2), "translate the weather into French")
    assert command.slots == {}
    assert not command.understood
    assert command.alternatives[1] == ("undo", 0.01)


def test_command_is_frozen_and_slots_read_only():
    command = parse_command(FakeEngine("translate", 0.9), "into German")
    with pytest.raises(AttributeError):
        command.intent = "undo"
    with pytest.raises(TypeError):
        command.slots["target"] = "fr"


def test_destructive_intents():
    assert {"clear_text", "new_document"} == DESTRUCTIVE
    assert Command("clear_text", 0.9).destructive


def test_help_lists_every_command():
    lines = help_lines()
    assert len(lines) == len(INTENT_LABELS) - 1
    assert any("Translate" in line for line in lines)


def test_locate_model_missing_is_one_clear_error(tmp_path: Path):
    paths = AppPaths(config_dir=tmp_path / "c", data_dir=tmp_path / "d")
    with pytest.raises(ModelError, match="intent model 'nope' not found"):
        locate_model(paths, "nope")
