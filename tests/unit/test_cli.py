"""The CLI: version, one-line errors without tracebacks, self-test and doctor --json."""

import json
import subprocess
import sys

import pytest

from slm_desktop import __version__


def run_cli(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


def test_version(isolated_env):
    result = run_cli("--version", env=isolated_env)
    assert result.returncode == 0 and result.stdout.strip() == f"slm-desktop {__version__}"


def test_bad_arguments_are_one_line(isolated_env):
    result = run_cli("no-such-command", env=isolated_env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unknown_bench_suite_is_one_line(isolated_env):
    result = run_cli("bench", "nope", env=isolated_env)
    assert result.returncode == 2
    assert result.stderr.startswith("slm-desktop: unknown bench suite") and "Traceback" not in result.stderr


def test_doctor_json(isolated_env):
    result = run_cli("doctor", "--json", env=isolated_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {e["name"] for e in report["engines"]} >= {"llama_cpp", "vosk", "onnxruntime", "ctranslate2"}
    assert all(e["found"] for e in report["engines"])
    assert any(s["name"] == "libportaudio" and s["found"] for s in report["system"])


def test_self_test_passes_with_default_models(isolated_env):
    result = run_cli("self-test", "--json", env=isolated_env)
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["ok"] and all(c["status"] != "FAIL" for c in report["checks"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/home/me/notes.txt"], ["gui", "/home/me/notes.txt"]),
        (["notes.txt"], ["gui", "notes.txt"]),
        (["--debug", "/tmp/a b.txt"], ["--debug", "gui", "/tmp/a b.txt"]),
        (["--", "-odd.txt"], ["gui", "--", "-odd.txt"]),
        (["models", "list"], ["models", "list"]),
        (["gui", "x.txt"], ["gui", "x.txt"]),
        (["no-such-command"], ["no-such-command"]),
        ([], []),
    ],
)
def test_a_file_argument_means_the_window_with_that_file(argv, expected):
    from slm_desktop.cli import gui_by_default

    assert gui_by_default(argv) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "suggest", "--limit", "-5"], "argument --limit: must be 0 or more (got -5)"),
        (["bench", "intent", "--repeat", "-3"], "argument --repeat: must be 0 or more (got -3)"),
        (["bench", "suggest", "--look", "two"], "argument --look: 'two' is not a whole number"),
        (["complete", "--threads", "-2", "hi"], "argument --threads: must be 0 or more (got -2)"),
        (["translate", "--threads", "-1", "hi"], "argument --threads: must be 0 or more (got -1)"),
        (["listen", "--seconds", "nan"], "argument --seconds: must be a number of seconds above 0 (got nan)"),
        (["models", "recommend", "--seconds", "-1"], "argument --seconds: must be a number of seconds above 0"),
        (["complete", "--server", "http://x", "--connect-timeout", "inf", "hi"], "argument --connect-timeout: must"),
        (["complete", "--first-token-timeout", "soon", "hi"], "'soon' is not a number of seconds"),
    ],
)
def test_a_negative_or_endless_count_or_duration_is_one_line_from_the_parser(capsys, args, message):
    from slm_desktop.cli import build_parser

    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(args)
    err = capsys.readouterr().err
    assert caught.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_nan_connect_timeout_is_one_line_not_a_traceback(isolated_env):
    result = run_cli("complete", "--server", "http://127.0.0.1:9", "--connect-timeout", "nan", "hi", env=isolated_env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
