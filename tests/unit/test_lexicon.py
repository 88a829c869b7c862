"""The shipped English word list: completions of a typed prefix by frequency."""

import pytest

from slm_desktop.lexicon import Lexicon


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.load()


def test_the_shipped_list_loads_with_tens_of_thousands_of_words(lexicon):
    assert len(lexicon) >= 50_000
    assert "because" in lexicon and "chrysanthemum" in lexicon


def test_completions_are_the_likeliest_longer_words_in_the_typed_case(lexicon):
    words = [c.word for c in lexicon.completions("Becau", limit=3)]
    assert words[0] == "Because"
    assert all(w.startswith("Becau") and w != "Becau" for w in words)
    probabilities = [c.probability for c in lexicon.completions("th", limit=5)]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1


def test_conditional_probability_is_zero_for_words_without_the_prefix(lexicon):
    probs = lexicon.conditional("acc", ["account", "Accounts", "invoice"])
    assert probs["account"] > probs["Accounts"] > 0
    assert probs["invoice"] == 0.0


def test_nothing_for_an_empty_or_unknown_prefix(lexicon):
    assert lexicon.completions("") == []
    assert lexicon.completions("qzxv") == []
