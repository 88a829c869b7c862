"""The heard training rows: espeak-ng speech of training phrasings through the real Whisper base command path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from slm_desktop.bench.wer import word_error_rate
from slm_desktop.commands.hear_dataset import heard_rows

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs the Debian package espeak-ng")

BASE = Path(__file__).resolve().parents[2] / "models" / "whisper-base"


def test_training_phrasings_are_heard_by_whisper_and_not_heard_twice(tmp_path):
    rows = [
        {"text": "make the text bigger", "intent": "zoom_in", "group": "zoom_in:1"},
        {"text": "open the settings", "intent": "open_settings", "group": "open_settings:1"},
    ]
    out = tmp_path / "heard.jsonl"
    assert heard_rows(rows[:1], BASE, out) == 1
    assert heard_rows(rows, BASE, out) == 1  # the first row is already heard
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["spoken"] for r in records] == [r["text"] for r in rows]
    assert [(r["intent"], r["group"]) for r in records] == [(r["intent"], r["group"]) for r in rows]
    # plain words in common voices: what Whisper heard is the phrasing, whatever its casing and punctuation
    assert [word_error_rate(r["spoken"], r["text"]) for r in records] == [0.0, 0.0], records
