"""Intent classification with the project's int8 MiniLM model: onnxruntime + tokenizers + numpy only.

The model folder holds model.onnx (input_ids, attention_mask -> probs), tokenizer.json and labels.json
(label order, the calibrated out-of-scope threshold, max_length). Below the threshold the answer is
out_of_scope, keeping the model's top alternatives so the UI can offer them as buttons.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slm_desktop.engines.base import IntentResult
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
MODEL_FILES = ("model.onnx", "tokenizer.json", "labels.json")
# A spoken or typed command is a sentence; a longer text (a pasted page) is not a command, and saying so
# without running the model keeps it cheap.
MAX_COMMAND_CHARS = 500


class OnnxIntentEngine:
    """IntentEngine over a folder made by `slm-desktop-build-intent`."""

    def __init__(self, model_dir: Path, *, threads: int = 2, threshold: float | None = None, top_k: int = 3) -> None:
        missing = [name for name in MODEL_FILES if not (model_dir / name).is_file()]
        if missing:
            raise ModelError(f"intent model folder {model_dir} lacks {', '.join(missing)}")
        meta = _read_meta(model_dir / "labels.json")
        self.labels: Sequence[str] = tuple(meta["labels"])
        self.threshold = float(meta["threshold"] if threshold is None else threshold)
        self.model_dir = model_dir
        self._top_k = top_k
        self._tokenizer = _load_tokenizer(model_dir / "tokenizer.json", int(meta.get("max_length", 64)))
        self._session = _load_session(model_dir / "model.onnx", threads)
        self.probabilities(["warm up"])  # the first run allocates; keep that out of the user's first command

    def classify(self, text: str) -> IntentResult:
        start = time.perf_counter()
        cleaned = " ".join(text.split()) if isinstance(text, str) else ""
        if not cleaned or len(cleaned) > MAX_COMMAND_CHARS or not _mostly_latin(cleaned):
            return IntentResult(OUT_OF_SCOPE, 1.0, ms=(time.perf_counter() - start) * 1000)
        probs = self.probabilities([cleaned])[0]
        return self._result(probs, (time.perf_counter() - start) * 1000)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Raw class probabilities, one row per text (label order: self.labels); used by the bench too."""
        ids, mask = encode_batch(self._tokenizer, texts)
        return self._session.run(["probs"], {"input_ids": ids, "attention_mask": mask})[0]

    def _result(self, probs: np.ndarray, ms: float) -> IntentResult:
        order = np.argsort(-probs)[: self._top_k]
        alternatives = tuple((self.labels[i], round(float(probs[i]), 4)) for i in order)
        best, confidence = alternatives[0]
        if confidence < self.threshold:
            best = OUT_OF_SCOPE
        return IntentResult(best, confidence, alternatives=alternatives, ms=ms)

    def close(self) -> None:
        self._session = None


def encode_batch(tokenizer, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """input_ids and attention_mask, padded to the batch's longest (the build script uses it too)."""
    encodings = tokenizer.encode_batch(list(texts))
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return ids, mask


def _mostly_latin(text: str) -> bool:
    """The model knows English commands only; text in another script is out of scope, not a guess."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return any(c.isdigit() for c in text)
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return latin * 2 >= len(letters)


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not meta["labels"] or OUT_OF_SCOPE not in meta["labels"]:
            raise ValueError("no out_of_scope label")
        float(meta["threshold"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:  # deep nesting: RecursionError
        raise ModelError(f"intent labels file {path} is unreadable: {exc}") from exc
    return meta


def _load_tokenizer(path: Path, max_length: int):
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on malformed JSON
        raise ModelError(f"intent tokenizer {path} is unreadable: {exc}") from exc
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _load_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelError(f"intent model {path} could not be loaded: {exc}") from exc
