"""The personal model: the user's own words, counted on this machine."""

import gzip
import stat

import pytest

from slm_desktop.personal import PersonalModel, context_of, forget_files, stored_size

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


def _saved(path):
    model = PersonalModel()
    model.learn(LETTERS)
    model.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda good: gzip.compress(b"{not json"),
        lambda good: good[: len(good) // 2],  # a cut write: gzip's EOFError
        lambda good: good[:12] + bytes(b ^ 0xFF for b in good[12:30]) + good[30:],  # zlib.error
        lambda good: gzip.compress(b'{"version": 99}'),
    ],
    ids=["not-json", "truncated", "flipped", "other-version"],
)
def test_a_corrupt_store_loads_as_empty_and_is_moved_aside_not_overwritten(tmp_path, caplog, damage):
    path = tmp_path / "words.json.gz"
    bad = damage(_saved(path))
    path.write_bytes(bad)
    assert PersonalModel.load(path).words == 0
    kept = list(tmp_path.glob("words.json.gz.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == bad and not path.exists()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "moved to words.json.gz.corrupt-" in warnings[0]


def test_the_store_is_readable_by_the_user_only(tmp_path):
    path = tmp_path / "personal" / "words.json.gz"
    _saved(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # as an earlier version saved it
    _saved(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_forgetting_deletes_the_store_and_any_copy_moved_aside(tmp_path):
    path = tmp_path / "words.json.gz"
    _saved(path)
    (tmp_path / "words.json.gz.corrupt-20261207-050000").write_bytes(b"old words")
    forget_files(path)
    assert list(tmp_path.iterdir()) == []


def test_an_accepted_chip_counts_once_more():
    model = PersonalModel()
    model.learn("see you at the Red Lion\n")
    before = model.conditional("meet me at the", also=["Red"])["Red"]
    model.learn_accepted("meet me at the ", "Red")
    assert model.conditional("meet me at the", also=["Red"])["Red"] > before
