"""Spoken punctuation and editing while dictating (commands/dictation.py), with Whisper-style decoration."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slm_desktop.commands.dictation import INSERT, SCRATCH, UNDO, plan_dictation, speech_context


def typed(before: str, heard: str) -> str:
    """The editor's text after the utterance (the cursor at the end of `before`)."""
    step = plan_dictation(before, heard)
    assert step.action == INSERT
    return before[: len(before) - step.remove_before] + step.text


@pytest.mark.parametrize(
    "heard",
    [
        "hello comma world full stop new line how are you question mark",  # PocketSphinx: bare words
        "Hello, comma, world. Full stop. New line. How are you? Question mark.",  # Whisper's decoration
        "Hello comma world full-stop newline how are you question-mark",
        "HELLO COMMA WORLD FULL STOP NEW LINE HOW ARE YOU QUESTION MARK",
    ],
)
def test_spoken_marks_act_however_they_are_written(heard):
    assert typed("", heard).lower() == "hello, world.\nhow are you?"
    assert typed("", heard).startswith("H")


def test_whisper_punctuation_and_casing_stay_where_nothing_was_spoken():
    assert typed("", "Dr. Smith's results, in short, were fine.") == "Dr. Smith's results, in short, were fine."
    assert typed("Call ", "NASA at 5 p.m.") == "Call NASA at 5 p.m."


def test_a_spoken_mark_replaces_the_one_whisper_wrote_before_the_cursor():
    step = plan_dictation("Hello there.", "Question mark.")
    assert (step.text, step.remove_before) == ("?", 1)
    assert typed("Dear John", "Comma. New paragraph. Thanks for the letter.") == "Dear John,\n\nThanks for the letter."


def test_spacing_and_capitals_after_inserted_marks():
    assert typed("", "one comma two colon three semicolon four") == "One, two: three; four"
    assert typed("", "yes exclamation mark i am here") == "Yes! I am here"
    assert typed("", "first full stop second exclamation point third") == "First. Second! Third"
    assert typed("", "Apple colon. Maria said so.") == "Apple: Maria said so."  # Whisper's capitals stay
    assert typed("It was", "fine new paragraph next") == "It was fine\n\nNext"
    assert typed("Line one.", "New line. Line two.") == "Line one.\nLine two."


def test_period_is_a_mark_only_where_a_sentence_ends():
    assert typed("", "the period of time") == "The period of time"
    assert typed("", "In that period, we worked.") == "In that period, we worked."
    assert typed("", "It ended there period") == "It ended there."
    assert typed("", "Done period. Next one.") == "Done. Next one."
    assert typed("", "done period new line next") == "Done.\nNext"


@pytest.mark.parametrize(
    ("heard", "action"),
    [
        ("scratch that", SCRATCH),
        ("Scratch that.", SCRATCH),
        ("Delete that!", SCRATCH),
        ("  delete   that ", SCRATCH),
        ("Undo that.", UNDO),
        ("UNDO THAT", UNDO),
    ],
)
def test_editing_commands_are_whole_utterances(heard, action):
    assert plan_dictation("Some text.", heard).action == action


def test_editing_words_inside_a_sentence_are_typed():
    assert typed("", "Please delete that file.") == "Please delete that file."
    assert typed("", "I can't undo that now.") == "I can't undo that now."


def test_the_prompt_has_the_users_words_and_the_end_of_the_text():
    before = "word " * 100 + "Meeting with Siobhan about Kubernetes"
    context = speech_context(before, " Siobhan, kubectl ,, Anya ")
    assert context.startswith("Siobhan, kubectl, Anya. ")
    assert context.endswith("Meeting with Siobhan about Kubernetes")
    assert len(context) < 260 and " word word" in context and not context.split(". ", 1)[1].startswith("ord")
    assert speech_context("Some text", "Anya", mode="command") == "Anya"  # commands: no document text
    assert speech_context("", "") == ""


# ---------------------------------------------------------------- properties

COMMANDS = {
    "comma": ",",
    "full stop": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "colon": ":",
    "new line": "\n",
    "new paragraph": "\n\n",
}
# no determiner: after "a" / "the" a mark's name is a noun and is typed (tested below)
PROSE = st.sampled_from(["apple", "river", "we", "seven", "quietly", "Maria", "blue", "open", "then", "i"])
PREFIX = st.sampled_from(["", "", ",", "."])  # Whisper's mark on the word before the command
SUFFIX = st.sampled_from(["", ",", ".", "!", "?", ":"])  # and on the command itself
CASING = st.sampled_from([str.lower, str.upper, str.capitalize, str.title])


def spoken(words: list[str], command: str, casing=str.lower, prefix: str = "", suffix: str = "") -> str:
    """How a recogniser may write `words` followed by a spoken command. A mark Whisper puts before a
    line break stays (it ended a sentence), so the prefix is only tried on marks."""
    if COMMANDS[command].startswith("\n"):
        prefix = ""
    return " ".join(words) + prefix + " " + casing(command) + suffix


utterances = st.lists(
    st.tuples(st.lists(PROSE, min_size=1, max_size=4), st.sampled_from(sorted(COMMANDS)), CASING, PREFIX, SUFFIX),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(utterances, st.sampled_from(["", "Intro text", "Ends here. ", "Line\n"]))
def test_any_decoration_of_the_commands_gives_the_same_marks_and_keeps_every_word(parts, before):
    plain = " ".join(spoken(words, command) for words, command, *_ in parts)
    heard = " ".join(spoken(*part) for part in parts)
    out = typed(before, heard)
    assert out == typed(before, plain)  # case and Whisper's punctuation around commands change nothing
    new = out[len(before) - plan_dictation(before, heard).remove_before :]
    for command in COMMANDS:
        assert command not in new.lower().replace("\n", " ")  # acted on, never typed
    spoken_marks = "".join(COMMANDS[command] for _, command, *_ in parts)
    written_marks = re.sub(r"[^,.?!:\n]", "", new)
    assert written_marks == spoken_marks  # each spoken mark written once, in order
    words = [w.lower() for words, *_ in parts for w in words]
    assert re.findall(r"[a-z]+", new.lower()) == words  # every dictated word, in order


@settings(max_examples=300, deadline=None)
@given(utterances)
def test_marks_sit_on_the_word_before_them_and_sentences_start_with_capitals(parts):
    out = typed("", " ".join(spoken(*part) for part in parts))
    assert not re.search(r"[ \t][,.?!:]", out)  # no space before a mark
    assert not re.search(r"[,.?!:][^\s,.?!:]", out)  # a space or a line break after one
    assert not re.search(r"[ \t]\n|\n[ \t]", out)  # no stray spaces around line breaks
    for sentence in re.split(r"[.?!]\s+|\n", out):
        if sentence.strip():
            assert sentence.lstrip()[0].isupper(), out


WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=8), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), WORDS)
def test_without_spoken_commands_it_types_what_plain_dictation_typed(before, words):
    from hypothesis import assume

    from slm_desktop.engines.textops import dictation_insertion

    text = " ".join(words)
    assume(not re.search(r"\b(comma|colon|semicolon|period|newline|fullstop)\b", text))
    assert plan_dictation(before, text).text == dictation_insertion(before, text)


@pytest.mark.parametrize(
    ("heard", "text"),
    [
        ("Meet me at noon, full stop. Scratch that.", ""),
        ("I'll be late. Meet at noon. Scratch that. Meet at one.", "I'll be late. Meet at one."),
        ("Meet at noon, scratch that, meet at one.", "Meet at one."),
        ("One. Two. Delete that. Delete that. Three.", "Three."),
        ("Hello comma world. Undo that! New line. Next", "\nNext"),
    ],
)
def test_an_editing_command_said_as_its_own_sentence_drops_the_sentence_before_it(heard, text):
    step = plan_dictation("", heard)
    assert step.action == INSERT and step.text == text


@pytest.mark.parametrize(
    ("heard", "action", "rest"),
    [
        ("Scratch that. Meet at one.", SCRATCH, "Meet at one."),
        ("Undo that, then type this.", UNDO, "then type this."),
        ("Scratch that. Scratch that.", SCRATCH, "Scratch that."),  # planned again: a second scratch
    ],
)
def test_an_editing_command_that_opens_an_utterance_acts_then_the_rest_is_dictated(heard, action, rest):
    step = plan_dictation("Earlier text.", heard)
    assert (step.action, step.rest) == (action, rest)


@pytest.mark.parametrize(
    "heard", ["I had to scratch that.", "Delete that file.", "first bit scratch that", "Could you undo that now?"]
)
def test_editing_words_that_are_not_a_sentence_of_their_own_are_typed(heard):
    step = plan_dictation("", heard)
    assert step.action == INSERT and "that" in step.text


@pytest.mark.parametrize(
    ("heard", "text"),
    [
        ("We launched a new line of products.", "We launched a new line of products."),
        ("Start a new paragraph here.", "Start a new paragraph here."),
        ("The question mark is missing", "The question mark is missing"),
        ("Add a colon after their full stop", "Add a colon after their full stop"),
        ("Buy milk new line buy bread", "Buy milk\nBuy bread"),
        ("Thanks for that comma it helps", "Thanks for that, it helps"),  # "that" may end a clause
        ("The end. New paragraph. Next", "The end.\n\nNext"),
    ],
)
def test_a_marks_name_after_an_article_or_possessive_is_a_noun_and_is_typed(heard, text):
    assert typed("", heard) == text
