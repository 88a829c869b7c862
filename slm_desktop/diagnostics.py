"""Self-test and doctor checks, gathered from each capability module.

A check is ``fn(paths: AppPaths) -> str``: it returns a short detail on success, raises
``NotInstalled`` when an optional part is absent (not a failure), and raises anything
else on failure.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from slm_desktop.paths import AppPaths


class NotInstalled(Exception):
    """An optional engine or model is absent; doctor says what to install."""


# "module:function" so each capability registers its own check without import cycles.
SELF_TESTS: list[tuple[str, str]] = [
    ("worker", "slm_desktop.diagnostics:check_worker"),
    ("native-libraries", "slm_desktop.diagnostics:check_native_libraries"),
    ("qt-text", "slm_desktop.ui.text_check:check_qt_collation"),
    ("models", "slm_desktop.store.manager:self_check"),
    ("speech-whisper", "slm_desktop.speech_checks:check_whisper"),
    ("speech-pocketsphinx", "slm_desktop.speech_checks:check_pocketsphinx"),
    ("speech-vosk", "slm_desktop.speech_checks:check_vosk"),
    ("intent", "slm_desktop.commands.intents:self_test"),
    ("completion", "slm_desktop.diagnostics:check_completion"),
    ("translation", "slm_desktop.selftest:check_translation"),
    ("language-detection", "slm_desktop.selftest:check_language_detection"),
    ("reliability", "slm_desktop.isolation:self_check"),
    ("live-translate", "slm_desktop.selftest:check_live"),
]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok | missing | FAIL
    detail: str
    ms: float

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def _resolve(target: str) -> Callable[[AppPaths], str]:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def run_check(name: str, target: str, paths: AppPaths) -> CheckResult:
    start = time.perf_counter()
    try:
        detail, status = _resolve(target)(paths), "ok"
    except NotInstalled as exc:
        detail, status = str(exc), "missing"
    except Exception as exc:  # a self-test reports every failure, it never raises
        detail, status = f"{exc.__class__.__name__}: {exc}", "FAIL"
    return CheckResult(name, status, detail, (time.perf_counter() - start) * 1000)


def run_self_tests(paths: AppPaths) -> list[CheckResult]:
    return [run_check(name, target, paths) for name, target in SELF_TESTS]


def check_worker(paths: AppPaths) -> str:
    """A job round-trips through a lane thread without Qt's event loop."""
    from slm_desktop.worker import Job, Lane, LaneHooks

    results: list[int] = []
    lane = Lane("selftest", LaneHooks(execute=lambda job, _lane: results.append(job.run(None))))
    lane.start()
    lane.put(Job(1, "selftest", "selftest", lambda _ctx: 42))
    deadline = time.monotonic() + 5
    while not results and time.monotonic() < deadline:
        time.sleep(0.01)
    lane.stop()
    lane.join(2)
    if results != [42]:
        raise RuntimeError("the worker lane did not run a job")
    return "a job ran on a lane thread"


def check_completion(paths: AppPaths) -> str:
    """The default GGUF model loads and continues a short text."""
    from slm_desktop.completion import resolve_model
    from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
    from slm_desktop.errors import ModelError

    try:
        model = resolve_model(paths)
    except ModelError as exc:
        raise NotInstalled(str(exc)) from exc
    engine = LlamaCompletionEngine(LlamaConfig(model))
    try:
        completion = engine.complete("Thank you for your", max_tokens=6)
    finally:
        engine.close()
    if not completion.text.strip():
        raise RuntimeError(f"{model.name} produced no suggestion")
    return f"{model.name}: 'Thank you for your' -> {completion.text!r} ({completion.ms:.0f} ms)"


def _native_library_probes() -> dict[str, Callable[[], str]]:
    """Each probe calls into its shared library, so a bundle that lost one fails here, not mid-use."""

    def llama() -> str:
        import llama_cpp

        features = llama_cpp.llama_print_system_info().decode(errors="replace")
        flags = [f.split(" = ")[0].split(": ")[-1] for f in features.split(" | ") if f.strip().endswith("= 1")]
        return "llama.cpp " + " ".join(flags)

    def ct2() -> str:
        import ctranslate2

        compute_types = ",".join(sorted(ctranslate2.get_supported_compute_types("cpu")))
        return f"ctranslate2 {ctranslate2.__version__} ({compute_types})"

    def sentencepiece() -> str:
        import sentencepiece as spm

        spm.SentencePieceProcessor()
        return f"sentencepiece {spm.__version__}"

    def onnx() -> str:
        import onnxruntime

        return f"onnxruntime {onnxruntime.__version__}"

    def tokenizers() -> str:
        import tokenizers as tok

        tok.Tokenizer(tok.models.WordLevel({"a": 0}, unk_token="a"))
        return f"tokenizers {tok.__version__}"

    def vosk() -> str:
        import vosk as vosk_lib

        vosk_lib.SetLogLevel(-1)
        return "vosk"

    def pocketsphinx() -> str:
        import pocketsphinx as ps

        ps.LogMath()
        return "pocketsphinx"

    return {
        "llama_cpp": llama,
        "ctranslate2": ct2,
        "sentencepiece": sentencepiece,
        "onnxruntime": onnx,
        "tokenizers": tokenizers,
        "vosk": vosk,
        "pocketsphinx": pocketsphinx,
    }


def check_native_libraries(paths: AppPaths) -> str:
    """Every inference library's native code loads (the frozen bundle's hooks are right). A library left out
    on purpose (a lite bundle built with `build.sh --exclude ctranslate2`) is listed as absent, not failed."""
    details, failures = [], []
    for module, probe in _native_library_probes().items():
        try:
            details.append(probe())
        except ModuleNotFoundError as exc:
            if exc.name != module:
                failures.append(f"{module}: ModuleNotFoundError: {exc}")
            else:
                details.append(f"{module} absent")
        except (ImportError, OSError, AttributeError, RuntimeError) as exc:
            last_line = (str(exc).strip().splitlines() or [""])[-1]  # numpy's ImportError is a page long
            failures.append(f"{module}: {exc.__class__.__name__}: {last_line}")
    if failures:
        raise RuntimeError("; ".join(failures))
    return "; ".join(details)


def format_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
