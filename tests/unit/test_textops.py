"""Pure suggestion text rules shared by the engine and the editor."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slm_desktop.engines import textops


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("Hello wor", "wor"),
        ("Hello ", ""),
        ("Hello.", ""),
        ("", ""),
        ("naïve café", "café"),
        ("1. Milk\n2. Bread\n", ""),  # a line break ends the word ("$" matched before it)
    ],
)
def test_partial_word(before, expected):
    assert textops.partial_word(before) == expected


def test_inside_word_only_between_letters():
    assert textops.inside_word("Hel", "lo")
    assert not textops.inside_word("Hello", " world")
    assert not textops.inside_word("Hello ", "world")
    assert not textops.inside_word("Hello", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" world!", "world"), ("going to", "going"), (" don't", "don't"), (", and", ""), ("", ""), ("\nNext", "Next")],
)
def test_leading_word(text, expected):
    assert textops.leading_word(text) == expected


@pytest.mark.parametrize(
    ("before", "word", "inserted"),
    [
        ("Hello wor", "world", "ld "),
        ("Hello ", "world", "world "),
        ("Hello", "there", " there "),
        ("", "Hi", "Hi "),
        ("The end.", "Then", " Then "),
    ],
)
def test_chip_insertion(before, word, inserted):
    assert textops.chip_insertion(before, word) == inserted


@pytest.mark.parametrize(
    ("ghost", "chunk"), [(" to the park.", " to"), ("ld is big", "ld"), ("word", "word"), ("", ""), ("  x", "  x")]
)
def test_next_chunk(ghost, chunk):
    assert textops.next_chunk(ghost) == chunk


def test_repeats_context_flags_loops_not_short_words():
    before = "We went to the market and bought some apples. Then"
    assert textops.repeats_context(before, " We went to the market and bought")
    assert not textops.repeats_context(before, " the")
    assert not textops.repeats_context(before, " we went home after lunch")


def test_repeats_context_lets_a_ghost_copy_a_phrase_from_an_earlier_paragraph():
    before = "Please send it before the end of the month.\n\nBook the car in before "
    assert not textops.repeats_context(before, "the end of the month.")
    assert textops.repeats_context(before + "the end of the month. Or ", "Book the car in before")


@pytest.mark.parametrize(
    ("before", "tail"),
    [("next wee", " wee"), ("next ", " "), ("next.", ""), ("wee", "wee"), ("a\tb", "\tb"), ("Bread\n", "")],
)
def test_word_tail(before, tail):
    assert textops.word_tail(before) == tail


@pytest.mark.parametrize(
    ("before", "text", "inserted"),
    [
        ("", "hello there", "Hello there"),
        ("Dear team,", "i would like to", " I would like to"),
        ("It rained. ", "we stayed in", "We stayed in"),
        ("Really?", "yes", " Yes"),
        ("First line\n", "second line", "Second line"),
        ("and then", "i'm sure i'll go", " I'm sure I'll go"),
        ("the", "iris is in italy", " iris is in italy"),
        ("Hi ", "", ""),
    ],
)
def test_dictation_insertion(before, text, inserted):
    assert textops.dictation_insertion(before, text) == inserted


@given(st.text(max_size=40), st.text(alphabet="abcdefghijklmnopqrstuvwxyz' ", min_size=1, max_size=40))
def test_dictation_keeps_the_words_apart_from_capitals(before, text):
    inserted = textops.dictation_insertion(before, text)
    spacer = " " if before and not before[-1].isspace() else ""
    assert inserted.startswith(spacer) and inserted[len(spacer) :].lower() == text.lower()  # only capitals change


@pytest.mark.parametrize(
    ("phrase", "sentence"),
    [
        ("he was not an illness those young man", "He was not an illness those young man."),
        ("  is it i ", "Is it I."),
        ("really?", "Really?"),
        ("", ""),
        ("안녕하세요", "안녕하세요."),
    ],
)
def test_spoken_sentence(phrase, sentence):
    assert textops.spoken_sentence(phrase) == sentence


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("Hi Tomasz,\n\n", False),
        ("Please book the car in before ", False),
        ("The meeting is on the 1", True),
        ("Counting: 1, 2, 3,", True),
        ("Shopping list:\n1. Milk\n2. Bread\n", True),
        ("1. Milk\nThen the bread\n", False),
    ],
)
def test_number_expected_only_where_a_number_is_typed_counted_or_listed(before, expected):
    assert textops.number_expected(before) is expected


@pytest.mark.parametrize(
    "word", ["done.", "Ready?", "Stop!", "so…", '"Go."', "(really.)", "終わり。", "本当？", "etc."]
)
def test_a_word_with_a_full_stop_ends_its_sentence(word):
    assert textops.ends_sentence(word)


@pytest.mark.parametrize("word", ["Mr.", "dr.", "e.g.", "F.", "word", "well,", "3.5", ""])
def test_titles_initials_and_words_without_a_full_stop_do_not_end_a_sentence(word):
    assert not textops.ends_sentence(word)
