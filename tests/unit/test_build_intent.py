"""The build script's pure parts (split, calibration, scoring); the full build needs torch and minutes."""

import json

import numpy as np

from slm_desktop.commands.build_intent import calibrate_threshold, split_by_group
from slm_desktop.commands.evaluation import load_split, predict, score
from slm_desktop.commands.intents import INTENT_LABELS, OUT_OF_SCOPE


def test_split_by_group_keeps_groups_whole_and_is_reproducible():
    rows = [{"text": f"t{i}", "intent": "undo", "group": f"undo:{i // 3}"} for i in range(60)]
    fit, calib = split_by_group(rows, 0.2, seed=1)
    assert len(fit) + len(calib) == 60
    assert not {r["group"] for r in fit} & {r["group"] for r in calib}
    assert len({r["group"] for r in calib}) == 4
    assert split_by_group(rows, 0.2, seed=1) == (fit, calib)


def _probs(best: list[tuple[str, float]]) -> np.ndarray:
    probs = np.full((len(best), len(INTENT_LABELS)), 0.0)
    for row, (label, p) in enumerate(best):
        probs[row, :] = (1 - p) / (len(INTENT_LABELS) - 1)
        probs[row, INTENT_LABELS.index(label)] = p
    return probs


def test_threshold_separates_confident_commands_from_unsure_out_of_scope():
    probs = _probs([("undo", 0.9), ("copy", 0.8), ("paste", 0.3), ("redo", 0.25)])
    gold = ["undo", "copy", OUT_OF_SCOPE, OUT_OF_SCOPE]
    threshold = calibrate_threshold(probs, gold)
    assert 0.3 < threshold <= 0.8
    assert predict(probs, INTENT_LABELS, threshold) == gold


def test_score():
    gold = ["undo", "copy", OUT_OF_SCOPE, OUT_OF_SCOPE]
    result = score(["undo", "paste", OUT_OF_SCOPE, "copy"], gold, INTENT_LABELS)
    assert result["accuracy"] == 0.5
    assert result["oos_recall"] == 0.5
    assert 0 < result["macro_f1"] < 1


def test_dataset_covers_every_label_with_many_phrasings():
    train, test = load_split("train"), load_split("test")
    for label in INTENT_LABELS:
        assert sum(r["intent"] == label for r in train) >= 60, label
        assert sum(r["intent"] == label for r in test) >= 15, label
    assert sum(r["intent"] == OUT_OF_SCOPE for r in train) >= 400


def test_heard_rows_follow_their_typed_rows_group_across_the_split():
    from slm_desktop.commands.build_intent import same_groups

    rows = [{"text": f"t{i}", "intent": "undo", "group": f"undo:{i // 3}"} for i in range(60)]
    fit, calib = split_by_group(rows, 0.2, seed=1)
    heard = [{**r, "text": r["text"] + " heard"} for r in rows]
    assert same_groups(heard, fit) == [h for h in heard if h["group"] in {r["group"] for r in fit}]
    assert not {h["group"] for h in same_groups(heard, fit)} & {r["group"] for r in calib}


def test_only_heard_rows_whose_words_changed_of_current_phrasings_are_trained_on(tmp_path):
    from slm_desktop.commands.hear_dataset import training_rows

    rows = [
        {"text": "And the transcription.", "spoken": "end the transcription", "intent": "dictate_stop", "group": "a"},
        {"text": "Undo that.", "spoken": "undo that", "intent": "undo", "group": "b"},
        {"text": "", "spoken": "redo", "intent": "redo", "group": "c"},
    ]
    stale = {"text": "Copy.", "spoken": "copy that", "intent": "copy", "group": "d"}  # no longer a phrasing
    (tmp_path / "heard.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*rows, stale]))
    typed = [{"text": r["spoken"], "intent": r["intent"], "group": r["group"]} for r in rows]
    assert [r["text"] for r in training_rows(tmp_path, typed)] == ["And the transcription."]
    assert training_rows(tmp_path / "missing", typed) == []


def test_shipped_heard_rows_come_only_from_the_training_split():
    from slm_desktop.commands.hear_dataset import HEARD

    heard, train, test = load_split(HEARD), load_split("train"), load_split("test")
    typed = {(r["text"], r["intent"], r["group"]) for r in train}
    assert len(heard) == len(train)
    assert all((r["spoken"], r["intent"], r["group"]) in typed for r in heard)
    assert not {r["group"] for r in heard} & {r["group"] for r in test}
    assert not {r["spoken"] for r in heard} & {r["text"] for r in test}


def test_every_phrasing_is_spoken_the_same_way_each_time_by_varied_voices():
    from slm_desktop.commands.hear_dataset import voice_for

    texts = [r["text"] for r in load_split("train")[:300]]
    assert [voice_for(t) for t in texts] == [voice_for(t) for t in texts]
    assert len({voice_for(t) for t in texts}) >= 12
