"""Scoring an intent model on a labelled split: shared by the build script, the bench and the tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slm_desktop.commands.intents import OUT_OF_SCOPE
from slm_desktop.paths import resources_dir


def load_split(name: str, folder: Path | None = None) -> list[dict]:
    """Rows {"text", "intent", "group"} of resources/intents/<name>.jsonl."""
    path = (folder or resources_dir() / "intents") / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def single_probabilities(engine, texts: Sequence[str]) -> np.ndarray:
    """One command per run, as the app classifies: with dynamic int8 quantization the activation scale is
    computed over the whole input tensor, so batching (and its padding) would shift int8 results slightly."""
    return np.concatenate([engine.probabilities([text]) for text in texts])


def predict(probs: np.ndarray, labels: Sequence[str], threshold: float) -> list[str]:
    """Argmax, or out_of_scope when the best probability is under the threshold (as the engine does)."""
    best = probs.argmax(1)
    return [OUT_OF_SCOPE if p[b] < threshold else labels[b] for p, b in zip(probs, best, strict=True)]


def score(pred: Sequence[str], gold: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 over the labels, and out_of_scope recall."""
    pairs = list(zip(pred, gold, strict=True))
    f1s = []
    for label in labels:
        tp = sum(p == g == label for p, g in pairs)
        wrong = sum((p == label) != (g == label) for p, g in pairs)
        f1s.append(2 * tp / (2 * tp + wrong) if tp else 0.0)
    oos = [p == OUT_OF_SCOPE for p, g in pairs if g == OUT_OF_SCOPE]
    return {
        "accuracy": float(np.mean([p == g for p, g in pairs])),
        "macro_f1": float(np.mean(f1s)),
        "oos_recall": float(np.mean(oos)) if oos else float("nan"),
    }


def errors(pred: Sequence[str], rows: Sequence[dict]) -> list[tuple[str, str, str]]:
    """(gold, predicted, text) for each miss; for error analysis and test failure messages."""
    return [(r["intent"], p, r["text"]) for p, r in zip(pred, rows, strict=True) if p != r["intent"]]
