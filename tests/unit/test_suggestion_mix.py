"""Chips: the LLM's words mixed with the personal model and the word list (a scripted engine)."""

from slm_desktop.engines.base import WordChoice
from slm_desktop.lexicon import Lexicon
from slm_desktop.personal import PersonalModel
from slm_desktop.suggestions import chips


class _Engine:
    name = "scripted"

    def __init__(self, words):
        self.words = words
        self.asked = []

    def next_words(self, before, *, count=3, cancel=None):
        self.asked.append(count)
        return [WordChoice(w, p) for w, p in self.words][:count]


def test_without_personal_model_or_word_list_the_llm_words_come_through():
    engine = _Engine([("the", 0.5), ("a", 0.2), ("my", 0.1)])
    assert [c.word for c in chips(engine, "Thanks for ")] == ["the", "a", "my"]
    assert engine.asked == [3]


def test_the_personal_model_brings_in_the_user_s_own_word():
    personal = PersonalModel()
    personal.learn("Best wishes,\nNadia\n" * 4)
    engine = _Engine([("The", 0.3), ("A", 0.02), ("Lena", 0.01), ("I", 0.01), ("Hi", 0.01)])
    assert "Nadia" not in [c.word for c in chips(engine, "Best wishes,\n")]
    assert "Nadia" in [c.word for c in chips(engine, "Best wishes,\n", personal=personal)]


def test_the_word_list_finishes_a_rare_word_the_llm_misspells():
    lexicon = Lexicon({"chrysanthemum": 1e-6, "chrysanthemums": 5e-7, "the": 0.05})
    engine = _Engine([("chrysanthemites", 1.0)])
    words = [c.word for c in chips(engine, "a vase of chrysanth", lexicon=lexicon)]
    assert "chrysanthemum" in words


def test_the_typed_word_itself_is_never_a_chip():
    lexicon = Lexicon({"order": 1e-4, "orders": 1e-5})
    engine = _Engine([("order", 0.6), ("orders", 0.3)])
    words = [c.word for c in chips(engine, "the order", lexicon=lexicon)]
    assert "order" not in words
    assert "orders" in words
