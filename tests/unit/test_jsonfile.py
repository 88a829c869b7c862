"""jsonfile: JSON from model folders is None when unreadable, never an exception (deep nesting included)."""

from __future__ import annotations

import json
import zipfile

import pytest

from slm_desktop.engines import ct2
from slm_desktop.errors import ModelError
from slm_desktop.jsonfile import read_json
from slm_desktop.store.validate import is_whisper_folder

DEEP = "[" * 100_000  # json.loads: RecursionError, which is not a ValueError


@pytest.mark.parametrize("content", [DEEP, "{not json", b"\xff\xfe\x00", ""], ids=["deep", "broken", "bytes", "empty"])
def test_unreadable_json_is_none(tmp_path, content):
    path = tmp_path / "config.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert read_json(path) is None


def test_a_file_over_the_limit_is_not_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(list(range(1000))))
    assert read_json(path, limit=100) is None and read_json(path) == list(range(1000))


def test_model_folders_with_deeply_nested_json_are_not_models_instead_of_tracebacks(tmp_path):
    whisper = tmp_path / "whisper"
    whisper.mkdir()
    for name in ("model.bin", "tokenizer.json", "vocabulary.txt"):
        (whisper / name).write_text("x")
    (whisper / "config.json").write_text(DEEP)
    assert is_whisper_folder(whisper) is False
    argos = tmp_path / "en_es.argosmodel"
    with zipfile.ZipFile(argos, "w") as bundle:
        bundle.writestr("en_es/metadata.json", DEEP)
    assert ct2._argos_pair(argos) is None  # unreadable metadata: no pair, as for a broken bundle


def test_a_deeply_nested_intent_labels_file_is_one_model_error(tmp_path):
    from slm_desktop.engines.intent_onnx import _read_meta

    labels = tmp_path / "labels.json"
    labels.write_text(DEEP)
    with pytest.raises(ModelError, match=r"intent labels file .* is unreadable"):
        _read_meta(labels)
