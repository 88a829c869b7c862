"""`slm-desktop translate` and the translation self-test, as a user runs them (real Apertium)."""

import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="needs apertium-eng-spa + apertium-eng-cat (scripts/setup.sh --test)"
)


def _cli(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_translate_argument(isolated_env):
    done = _cli(isolated_env, "translate", "--from", "en", "--to", "ca", "Hello world, how are you today?")
    assert done.returncode == 0, done.stderr
    assert "Hola" in done.stdout and "avui" in done.stdout


def test_translate_stdin_json(isolated_env):
    done = _cli(isolated_env, "translate", "--to", "es", "--engine", "apertium", "--json", stdin="The cat sleeps.\n")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["engine"] == "apertium" and data["model"] == "eng-spa" and data["sentences"] == 1
    assert "gato" in data["text"] and data["source"] == "en" and data["ms"] > 0


def test_list_json(isolated_env):
    done = _cli(isolated_env, "translate", "--list", "--json")
    pairs = {(p["engine"], p["source"], p["target"]) for p in json.loads(done.stdout)["pairs"]}
    assert {("apertium", "en", "es"), ("apertium", "en", "ca")} <= pairs


def test_missing_pair_is_one_line_exit_2(isolated_env):
    done = _cli(isolated_env, "translate", "--from", "en", "--to", "de", "Hello")
    assert done.returncode == 2
    assert done.stderr.strip() == "slm-desktop: No model for en→de installed"


def test_empty_input_is_a_no_op(isolated_env):
    done = _cli(isolated_env, "translate", "--to", "es", "--json", "   ")
    assert done.returncode == 0 and json.loads(done.stdout)["sentences"] == 0


def test_self_test_translates(isolated_env):
    done = _cli(isolated_env, "self-test", "--json")
    check = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "translation")
    assert check["status"] == "ok" and "Hola" in check["detail"]
