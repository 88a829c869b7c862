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
    parse_heard,
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
    threshold = 0.37

    def __init__(self, intent: str, confidence: float) -> None:
        self.result = IntentResult(intent, confidence, ((intent, confidence), ("undo", 0.01)), ms=1.5)

    def classify(self, text: str) -> IntentResult:
        return self.result

    def close(self) -> None:
        pass


class ByText:
    """A fake engine that answers per text: {text: (label, probability), ...} per reading."""

    labels = INTENT_LABELS
    threshold = 0.37

    def __init__(self, answers: dict[str, dict[str, float]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def classify(self, text: str) -> IntentResult:
        self.asked.append(text)
        probs = sorted(self.answers[text].items(), key=lambda item: item[1], reverse=True)
        best, confidence = probs[0]
        return IntentResult(best if confidence >= self.threshold else OUT_OF_SCOPE, confidence, tuple(probs), ms=1.0)

    def close(self) -> None:
        pass


def test_parse_heard_lets_a_close_second_reading_carry_the_command():
    engine = ByText(
        {
            "mark out text": {"select_all": 0.30, "out_of_scope": 0.25, "copy": 0.2},
            "mark all text": {"select_all": 0.95, "copy": 0.03},
        }
    )
    readings = (("mark out text", -0.80), ("mark all text", -0.85))
    assert parse_command(engine, "mark out text").intent == OUT_OF_SCOPE
    command = parse_heard(engine, "mark out text", readings)
    assert command.intent == "select_all"
    assert command.text == "mark all text"  # the reading that speaks for it
    assert 0.37 <= command.confidence < 0.95
    assert engine.asked[-2:] == ["mark out text", "mark all text"]


def test_parse_heard_ignores_a_far_less_likely_reading():
    engine = ByText({"play some music": {"out_of_scope": 0.9, "paste": 0.05}, "paste some music": {"paste": 0.9}})
    command = parse_heard(engine, "play some music", (("play some music", -0.3), ("paste some music", -2.5)))
    assert command.intent == OUT_OF_SCOPE
    assert command.text == "play some music"


def test_parse_heard_keeps_a_surely_understood_best_reading_whatever_the_misreadings_say():
    """Averaging over "set mac for me" and "set max for me" diluted "step back for me" (undo, 0.75) under
    the threshold; a best reading understood at TRUSTED_READING or above is the command."""
    engine = ByText(
        {
            "step back for me": {"undo": 0.75, "out_of_scope": 0.2},
            "set mac for me": {"out_of_scope": 0.9},
            "set max for me": {"out_of_scope": 0.9},
        }
    )
    readings = (("step back for me", -0.80), ("set mac for me", -0.83), ("set max for me", -0.95))
    command = parse_heard(engine, "step back for me", readings)
    assert command.intent == "undo" and command.confidence == 0.75
    assert engine.asked[-1] == "step back for me"  # the other readings were not needed
    # understood less surely, it is weighed with the others, which speak against it
    engine = ByText({**engine.answers, "step back for me": {"undo": 0.6, "out_of_scope": 0.3}})
    assert parse_heard(engine, "step back for me", readings).intent == OUT_OF_SCOPE


def test_parse_heard_takes_slots_from_the_chosen_reading():
    engine = ByText(
        {
            "translate this into spanish": {"translate": 0.9},
            "translate this into spinach": {"translate": 0.6, "out_of_scope": 0.3},
        }
    )
    readings = (("translate this into spinach", -0.50), ("translate this into spanish", -0.55))
    command = parse_heard(engine, "translate this into spinach", readings)
    assert command.intent == "translate"
    assert command.slots == {"target": "es"}


def test_parse_heard_with_one_reading_is_parse_command():
    engine = ByText({"undo that": {"undo": 0.97}})
    assert parse_heard(engine, "undo that", ()) == parse_command(engine, "undo that")
    assert parse_heard(engine, "ignored", (("undo that", -0.2),)).intent == "undo"


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
