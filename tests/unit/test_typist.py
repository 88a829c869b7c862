"""The simulated typist of `bench suggest`: keystroke accounting with scripted suggestions."""

from slm_desktop.bench.typist import Suggestion, best_action, chip_action, ghost_action, walk, word_spans

TEXT = "Hi Tomasz, thanks for the update on the order."


def _fixed(table: dict[str, Suggestion]):
    return lambda before: table.get(before, Suggestion("", ()))


def test_no_suggestions_means_every_character_is_typed():
    spans = word_spans(TEXT, 3)
    result = walk("both", TEXT, spans, _fixed({}))
    assert result.keys == result.chars == len(TEXT) - 3 - 1  # from "Tomasz" to "order" (the final "." is not a word)
    assert result.savings == 0.0


def test_a_right_chip_at_a_word_start_costs_one_key_for_the_word_and_space():
    before = "Hi Tomasz, thanks for "
    assert chip_action(before, "the update", "the").keys == 1
    assert chip_action(before, "the update", "the").text == "the "


def test_a_chip_before_punctuation_needs_a_backspace_and_saves_less():
    action = chip_action("Hi ", "Tomasz, thanks", "Tomasz")
    assert (action.keys, action.text) == (2, "Tomasz")


def test_a_wrong_chip_is_never_taken():
    assert chip_action("Hi ", "Tomasz, thanks", "Tom") is None
    assert best_action("chips", "Hi ", "Tomasz,", Suggestion("", ("There", "Sarah"))) is None


def test_tab_takes_a_ghost_that_is_right_to_its_end():
    assert ghost_action("the update on the order.", "the update") == ghost_action("the update", "the update")
    assert ghost_action("the update on", "the update").keys == 1


def test_ctrl_right_takes_only_the_leading_words_that_are_right():
    action = ghost_action("the update on the order.", "the update about")
    assert (action.keys, action.text) == (2, "the update")


def test_chips_walk_counts_keys_and_accepts():
    start = TEXT.index("thanks")
    spans = word_spans(TEXT, start, 2)  # "thanks for"
    table = {TEXT[:start]: Suggestion("", ("thanks", "thank", "Thanks"))}
    result = walk("chips", TEXT, spans, _fixed(table))
    # "thanks " by one chip (7 characters, 1 key), then "for" typed (3 keys)
    assert result.chars == len("thanks for")
    assert (result.keys, result.chip_accepts, result.ghost_accepts) == (1 + 3, 1, 0)
    assert 0 <= result.savings <= 1


def test_the_typist_looks_only_at_the_first_letters_of_a_word():
    start = TEXT.index("update")
    spans = word_spans(TEXT, start, 1)
    late = {TEXT[: start + 4]: Suggestion("", ("update",))}  # after "upda": too late with look=3
    assert walk("chips", TEXT, spans, _fixed(late), look=3).keys == len("update")
    assert walk("chips", TEXT, spans, _fixed(late), look=4).keys == 4 + 1


def test_both_takes_whichever_saves_more():
    start = TEXT.index("the update")
    spans = word_spans(TEXT, start, 4)  # "the update on the"
    table = {TEXT[:start]: Suggestion("the update on the", ("the",))}
    assert walk("both", TEXT, spans, _fixed(table)).keys == 1
    assert walk("chips", TEXT, spans, _fixed(table)).keys > 1
