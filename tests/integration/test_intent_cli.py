"""`slm-desktop intent` end to end in a subprocess, with the shipped model."""

import json
import subprocess
import sys

from slm_desktop.commands.intents import INTENT_LABELS


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", "intent", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_json_output(isolated_env):
    proc = _cli(isolated_env, "how do you say good morning in Italian", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"intent", "confidence", "slots", "alternatives", "ms"}
    assert data["intent"] == "translate"
    assert data["slots"] == {"target": "it", "text": "good morning"}
    assert len(data["alternatives"]) == 3 and data["alternatives"][0][0] == "translate"


def test_file_gives_json_lines(isolated_env, tmp_path):
    commands = tmp_path / "commands.txt"
    commands.write_text("save my work\n\nplay some music\nzoom in\n", encoding="utf-8")
    proc = _cli(isolated_env, "--file", str(commands), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["save_document", "out_of_scope", "zoom_in"]


def test_plain_text_output(isolated_env):
    proc = _cli(isolated_env, "undo that")
    assert proc.returncode == 0
    assert proc.stdout.startswith("undo\t")


def test_labels(isolated_env):
    proc = _cli(isolated_env, "--labels")
    assert proc.stdout.split() == list(INTENT_LABELS)
    assert json.loads(_cli(isolated_env, "--labels", "--json").stdout) == list(INTENT_LABELS)


def test_errors_are_one_line_exit_2(isolated_env, tmp_path):
    for args in ([], ["--file", str(tmp_path / "missing.txt")], ["x", "--model", str(tmp_path)]):
        proc = _cli(isolated_env, *args)
        assert proc.returncode == 2, args
        assert len(proc.stderr.strip().splitlines()) == 1
        assert "Traceback" not in proc.stderr


def test_a_spoken_keyboard_shortcut_is_its_key_s_command(isolated_env):
    """The model does not know key names ("control c" was out_of_scope); the shortcut rule does."""
    proc = _cli(isolated_env, "Control C.", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["intent"], data["confidence"]) == ("copy", 1.0)
