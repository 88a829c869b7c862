"""The shipped int8 intent model through the real engine (onnxruntime + tokenizers)."""

import json
import shutil
from pathlib import Path

import pytest

from slm_desktop.commands.evaluation import errors, load_split, predict, score, single_probabilities
from slm_desktop.commands.intents import INTENT_LABELS, OUT_OF_SCOPE, locate_model, parse_command
from slm_desktop.engines.base import IntentEngine
from slm_desktop.engines.intent_onnx import OnnxIntentEngine
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths, repo_root

MODEL_DIR = repo_root() / "models" / "intent-minilm-int8"


@pytest.fixture(scope="module")
def engine():
    eng = OnnxIntentEngine(MODEL_DIR, threads=2)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def held_out(engine):
    rows = load_split("test")
    probs = single_probabilities(engine, [r["text"] for r in rows])
    return rows, predict(probs, engine.labels, engine.threshold)


def test_engine_implements_the_protocol(engine):
    assert isinstance(engine, IntentEngine)
    assert tuple(engine.labels) == INTENT_LABELS
    assert 0.0 < engine.threshold < 1.0


def test_shipped_model_is_found_on_the_search_path(app_paths: AppPaths):
    assert locate_model(app_paths) == MODEL_DIR


def test_held_out_accuracy(held_out):
    rows, pred = held_out
    result = score(pred, [r["intent"] for r in rows], INTENT_LABELS)
    assert len(rows) > 500
    assert result["accuracy"] >= 0.95, errors(pred, rows)[:30]
    assert result["macro_f1"] >= 0.94


def test_held_out_out_of_scope_recall(held_out):
    rows, pred = held_out
    assert score(pred, [r["intent"] for r in rows], INTENT_LABELS)["oos_recall"] >= 0.90


# the model shipped until 2026-12-02, built by the earlier script's hand-written BERT (same held-out split)
HAND_WRITTEN_BERT_BUILD = {"accuracy": 0.9553, "macro_f1": 0.9617, "oos_recall": 0.9461}


def test_shipped_transformers_build_scores_at_least_as_well_as_the_hand_written_bert_build(held_out):
    rows, pred = held_out
    metrics = json.loads((MODEL_DIR / "labels.json").read_text())["metrics"]
    assert metrics.get("refit") is True  # written by the transformers BertModel script with its refit
    result = score(pred, [r["intent"] for r in rows], INTENT_LABELS)
    for name, before in HAND_WRITTEN_BERT_BUILD.items():
        assert round(result[name], 4) >= before, (name, result[name], before)  # `before` is rounded to 4 places
        # the model card's figures are this model's: within 5 of the 985 phrasings, because onnxruntime's
        # int8 kernels differ with the CPU (AVX2 / AVX-512 VNNI or neither) and near ties flip (2 rows
        # moved on a CPU without AVX2, 2 out-of-scope rows of 204 on one with AVX2); recall counts only those rows
        counted = sum(r["intent"] == "out_of_scope" for r in rows) if name == "oos_recall" else len(rows)
        assert abs(metrics["int8"][name] - result[name]) <= 5 / counted, (name, metrics["int8"][name])


def test_held_out_split_never_overlaps_training():
    train = {r["text"].lower() for r in load_split("train")}
    test = load_split("test")
    assert not [r["text"] for r in test if r["text"].lower() in train]
    assert not {r["group"] for r in load_split("train")} & {r["group"] for r in test}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("start dictation", "dictate_start"),
        ("translate this into Spanish", "translate"),
        ("save my work", "save_document"),
        ("undo that", "undo"),
        ("make the text bigger", "zoom_in"),
        ("what's the weather in Paris", OUT_OF_SCOPE),
        ("play some music", OUT_OF_SCOPE),
        ("order a pizza", OUT_OF_SCOPE),
    ],
)
def test_issue_examples(engine, text, intent):
    assert engine.classify(text).intent == intent


def test_result_has_top3_alternatives_and_timing(engine):
    result = engine.classify("select everything")
    assert result.intent == "select_all"
    assert len(result.alternatives) == 3
    assert result.alternatives[0] == ("select_all", pytest.approx(result.confidence, abs=1e-3))
    confidences = [c for _, c in result.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert result.ms > 0


def test_below_threshold_is_out_of_scope_but_keeps_alternatives():
    strict = OnnxIntentEngine(MODEL_DIR, threads=1, threshold=1.01)
    try:
        result = strict.classify("copy this")
    finally:
        strict.close()
    assert result.intent == OUT_OF_SCOPE
    assert result.alternatives[0][0] == "copy"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 10_000,
        "save " * 2_000,
        "日本語に翻訳してください",
        "Переведи это на английский",
        "مرحبا بالعالم",
        "🙂🙂🙂",
        "\u0000\u0001",
        "1234567",
    ],
)
def test_bad_inputs_never_raise(engine, text):
    result = engine.classify(text)
    assert result.intent in INTENT_LABELS
    if text != "1234567":
        assert result.intent == OUT_OF_SCOPE


def test_parse_command_through_the_real_model(engine):
    command = parse_command(engine, "how do you say good morning in Italian")
    assert command.intent == "translate"
    assert dict(command.slots) == {"target": "it", "text": "good morning"}
    assert parse_command(engine, "set the target language to German").slots == {"target": "de"}


def _copy_model(tmp_path: Path) -> Path:
    folder = tmp_path / "intent-broken"
    shutil.copytree(MODEL_DIR, folder)
    return folder


def test_missing_file_is_a_model_error(tmp_path):
    folder = _copy_model(tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"lacks tokenizer\.json"):
        OnnxIntentEngine(folder)


def test_corrupt_model_is_a_model_error(tmp_path):
    folder = _copy_model(tmp_path)
    (folder / "model.onnx").write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="could not be loaded"):
        OnnxIntentEngine(folder)


def test_corrupt_labels_is_a_model_error(tmp_path):
    folder = _copy_model(tmp_path)
    (folder / "labels.json").write_text(json.dumps({"labels": ["a"], "threshold": 0.5}))
    with pytest.raises(ModelError, match="unreadable"):
        OnnxIntentEngine(folder)


def test_shipped_artifact_is_small_and_tracked():
    total = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert total < 30_000_000
    assert (MODEL_DIR / "README.md").is_file()
