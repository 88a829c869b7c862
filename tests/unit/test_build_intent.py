"""The build script's pure parts (split, calibration, scoring); the full build needs torch and minutes."""

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
