"""Slot rules: target/source language and inline text for translate / set_target_language."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slm_desktop.commands.slots import (
    LANGUAGES,
    inline_text,
    language_code,
    language_name,
    parse_slots,
    source_language,
    target_language,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("translate this into Spanish", "es"),
        ("into german", "de"),
        ("to French", "fr"),
        ("Spanish", "es"),
        ("en español", "es"),
        ("translate it auf Deutsch", "de"),
        ("set the target language to Portuguese please", "pt"),
        ("use dutch as the target language", "nl"),
        ("translate the whole document to de", "de"),
        ("translate from english to german", "de"),
        ("translate to german from english", "de"),
        ("how do you say I speak English in French", "fr"),
        ("TRANSLATE INTO JAPANESE", "ja"),
        ("in mandarin chinese please", "zh"),
    ],
)
def test_target_language(text, code):
    assert target_language(text) == code


@pytest.mark.parametrize(
    "text",
    ["translate this", "translate it to it", "save the document", "", "   ", "in it"],
)
def test_no_target_language(text):
    assert target_language(text) is None


def test_source_language():
    assert source_language("translate hello from English into German") == "en"
    assert source_language("translate hello into German") is None


@pytest.mark.parametrize(
    ("text", "inline"),
    [
        ("how do you say good morning in Italian", "good morning"),
        ("How would you say Excuse me in German?", "Excuse me"),
        ("hey computer how do i say thank you very much in japanese please", "thank you very much"),
        ("what is thank you in japanese", "thank you"),
        ("what's the French word for cheese", "cheese"),
        ("in spanish how do you say good night", "good night"),
        ("say happy birthday in Korean", "happy birthday"),
        ('translate "see you soon" into Korean', "see you soon"),
        ("translate the meeting is at noon into dutch", "the meeting is at noon"),
        ("translate hello from english to german", "hello"),
        ("how do you say welcome home", "welcome home"),
        ("translate bonjour", "bonjour"),
    ],
)
def test_inline_text(text, inline):
    assert inline_text(text) == inline


@pytest.mark.parametrize(
    "text",
    [
        "translate this into Spanish",
        "translate to French please",
        "translate it",
        "translate my selection into German",
        "translate the whole document to de",
        "what's this in german",
        "translate what i wrote",
        "translate",
        "put this in japanese",
    ],
)
def test_no_inline_text_when_pointing_at_the_editor(text):
    assert inline_text(text) is None


def test_parse_slots_per_intent():
    expected = {"target": "it", "text": "good morning"}
    assert parse_slots("translate", "how do you say good morning in Italian") == expected
    assert parse_slots("set_target_language", "switch the target language to Swedish") == {"target": "sv"}
    assert parse_slots("set_target_language", "say hello in French") == {"target": "fr"}  # no text slot here
    assert parse_slots("save_document", "save this in French") == {}
    assert parse_slots("translate", "translate from English") == {"source": "en"}


def test_language_names_and_codes():
    assert language_code("Deutsch") == "de"
    assert language_code("  ES ") == "es"
    assert language_code("klingon") is None
    assert language_name("it") == "Italian"
    assert language_name("xx") == "xx"


_WORDS = st.sampled_from(
    [
        "translate",
        "into",
        "to",
        "in",
        "from",
        "how",
        "do",
        "you",
        "say",
        "this",
        "it",
        "the",
        "good",
        "morning",
        "please",
        "what's",
        "en",
        "de",
        "it",
        "spanish",
        "German",
        "español",
        "日本語",
        "\u0000",
        "\n",
        '"',
        "…",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_WORDS, max_size=14).map(" ".join)))
def test_fuzz_parse_slots_never_raises_and_stays_consistent(text):
    for intent in ("translate", "set_target_language", "undo"):
        slots = parse_slots(intent, text)
        assert set(slots) <= {"target", "source", "text"}
        for key in ("target", "source"):
            if key in slots:
                assert slots[key] in LANGUAGES
        if "text" in slots:
            assert slots["text"].strip()
            assert slots["text"].lower() in " ".join(text.split()).lower()
