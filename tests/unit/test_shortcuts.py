"""Keyboard shortcuts said aloud become the intent their key does in the window."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slm_desktop.commands.intents import INTENT_LABELS, parse_command, parse_heard
from slm_desktop.commands.shortcuts import shortcut_intent
from slm_desktop.engines.base import IntentResult


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("control C", "copy"),
        ("Control-V.", "paste"),
        ("Ctrl+S", "save_document"),
        ("press control z", "undo"),
        ("hit control shift z", "redo"),
        ("control y", "redo"),
        ("ctrl a please", "select_all"),
        ("Control, N.", "new_document"),
        ("control o", "open_document"),
        ("control plus", "zoom_in"),
        ("ctrl -", "zoom_out"),
        ("control comma", "open_settings"),
        ("command see", "copy"),
        ("Press F1.", "show_help"),
        ("hit the escape key", "cancel"),
    ],
)
def test_a_spoken_shortcut_is_the_intent_of_its_key(said, intent):
    assert shortcut_intent(said) == intent


@pytest.mark.parametrize(
    "said",
    [
        "control the costs",
        "Please put Ctrl+C in the list of shortcuts",
        "shift a",
        "control x",  # cut: no intent of the window's
        "escape the room",
        "the control panel",
        "",
    ],
)
def test_text_that_only_mentions_keys_is_no_shortcut(said):
    assert shortcut_intent(said) is None


@given(st.text(max_size=60))
def test_any_text_gives_a_known_intent_or_none(text):
    assert shortcut_intent(text) in (None, *INTENT_LABELS)


class _NeverAsked:
    """An intent engine that fails the test if the model is consulted."""

    labels = INTENT_LABELS
    threshold = 0.5

    def classify(self, text: str) -> IntentResult:
        raise AssertionError(f"the model was asked about {text!r}")


def test_parse_command_answers_a_shortcut_without_the_model():
    command = parse_command(_NeverAsked(), "Control Z.")
    assert (command.intent, command.confidence, command.text) == ("undo", 1.0, "Control Z.")


def test_a_spoken_shortcut_heard_best_is_taken_whatever_the_other_readings():
    command = parse_heard(_NeverAsked(), "control c", [("control c", -0.2), ("control see", -0.5)])
    assert command.intent == "copy"
