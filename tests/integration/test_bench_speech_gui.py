"""`bench speech` → gui: the real window dictates through Whisper (tiny.en, its child process) while a
heartbeat on the GUI thread measures the worst stall; throwaway settings, the user's are untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from speech_support import librivox_references

from slm_desktop.bench import speech_gui
from slm_desktop.paths import AppPaths

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_the_gui_part_dictates_each_clip_and_reports_the_worst_stall(qtbot, tmp_path, monkeypatch):
    model = MODELS / "whisper-tiny-en"
    if not (model / "model.bin").is_file():
        pytest.fail("whisper-tiny-en is missing: scripts/setup.sh installs it into models/")
    clip = next(w for w in librivox_references() if w.name.endswith("0880.wav"))
    monkeypatch.setattr(speech_gui, "GUI_PASSES", 2)
    user = AppPaths(tmp_path / "user-config", tmp_path / "user-data")
    args = type("Args", (), {"paths": user})()

    figures = speech_gui.gui_stall(args, model, [clip])

    assert figures["model"] == "whisper-tiny-en" and figures["utterances"] == 2
    assert figures["heartbeats"] > 20 and 0 < figures["worst_gui_stall_ms"] < 10_000
    assert 0 < figures["release_to_text_p50_ms"] <= figures["release_to_text_p95_ms"]
    assert not user.config_dir.exists()  # the bench's window had its own settings
