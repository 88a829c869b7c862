"""The personal model: the user's own words, counted on this machine."""

import gzip

from slm_desktop.personal import PersonalModel, context_of, stored_size

LETTERS = "Hi Tomasz,\nThanks for the Larkspur order.\nBest wishes,\nNadia\n"


def test_context_is_the_last_three_tokens_with_line_breaks():
    assert context_of("Thanks for the Lark") == ("thanks", "for", "the")
    assert context_of("Best wishes,\n") == ("wishes", ",", "\n")
    assert context_of("Hi") == ("<s>", "<s>", "<s>")
    assert context_of("Best wishes,\n\nNa") == ("wishes", ",", "\n")
    assert context_of("Best wishes,") == ("best", "wishes", ",")


def test_a_word_only_this_user_writes_is_predicted_after_its_context():
    model = PersonalModel()
    model.learn(LETTERS * 3)
    after_signoff = model.conditional("Best wishes,\n")
    assert max(after_signoff, key=after_signoff.get) == "Nadia"
    assert model.conditional("Thanks for the La", prefix="La") == {"Larkspur": 1.0}


def test_a_line_learned_twice_is_counted_once():
    model = PersonalModel()
    first = model.learn(LETTERS)
    assert first == 10
    assert model.learn(LETTERS) == 0
    assert model.words == 10


def test_probabilities_with_a_prefix_are_normalised_over_the_words_that_start_with_it():
    model = PersonalModel()
    model.learn("the order\nthe other day\nthe order is late\n")
    probs = model.conditional("we saw the o", prefix="o")
    assert abs(sum(probs.values()) - 1.0) < 1e-9
    assert probs["order"] > probs["other"]


def test_save_load_round_trip_and_forget(tmp_path):
    path = tmp_path / "personal" / "words.json.gz"
    model = PersonalModel()
    model.learn(LETTERS)
    model.save(path)
    assert stored_size(path) > 0
    loaded = PersonalModel.load(path)
    assert loaded.words == model.words
    assert loaded.conditional("Best wishes,\n") == model.conditional("Best wishes,\n")
    loaded.forget()
    assert loaded.words == 0 and loaded.conditional("Best wishes,\n") == {}


def test_a_corrupt_store_loads_as_empty_and_is_kept(tmp_path):
    path = tmp_path / "words.json.gz"
    path.write_bytes(gzip.compress(b"{not json"))
    assert PersonalModel.load(path).words == 0
    assert path.exists()


def test_an_accepted_chip_counts_once_more():
    model = PersonalModel()
    model.learn("see you at the Red Lion\n")
    before = model.conditional("meet me at the", also=["Red"])["Red"]
    model.learn_accepted("meet me at the ", "Red")
    assert model.conditional("meet me at the", also=["Red"])["Red"] > before
