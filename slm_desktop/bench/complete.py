"""`slm-desktop bench complete`: inline suggestions, raw llama-cpp-python beside the app's path and the GUI.

(a) raw: llama_cpp.Llama.create_completion on 50 fixed editor prefixes (greedy, 12 tokens, stop at newline),
    timed around the call itself;
(b) app: the same prefixes through Worker -> lane -> LlamaCompletionEngine.complete, timed from submit
    until the result is delivered on the GUI thread.
(a) and (b) alternate prefix by prefix so background load hits both alike, and both run on the same lane
thread: two llama.cpp instances driven from two threads get two OpenMP worker teams whose idle spinning
slows both about twofold on two cores, which would measure the benchmark, not the app.
(c) gui: a real GhostEditor + SuggestionController offscreen: the last keystroke of each prefix ->
    ghost text visible, minus the debounce.
The two paths do not generate identical text (the app heals the half-typed word and stops at sentence
ends), so the overhead ratio is given per generated token as well as per call.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from slm_desktop.bench import peak_rss_mb, summary
from slm_desktop.config import CompletionSettings

_TEXTS = [
    "Hi Sarah, thanks for sending the slides over. I had a look this morning and I think we should",
    "The meeting has been moved to next Thursday because the projector in the main room is broken",
    "Please find attached the quarterly report. Let me know if you have any questions about the numbers",
    "Dear customer, we are sorry to hear that your order arrived late. We will refund the shipping",
    "Shopping list for the weekend: apples, bread, milk, and something nice for dinner on Saturday",
    "The garden looks wonderful this spring. The roses are blooming and the tomatoes are almost ready",
    "To install the application, download the package, open a terminal and run the setup script",
    "I am writing to apply for the position of junior developer that was advertised on your website",
    "Yesterday we walked along the river to the old bridge and had lunch at the little cafe there",
    "Could you please remind me what time the train leaves tomorrow morning and which platform it is",
]
_CUTS = (0.3, 0.45, 0.6, 0.75, 0.9)


def prefixes() -> list[str]:
    """50 fixed prefixes: each text cut at five points, some after a space, some mid-word."""
    return [text[: int(len(text) * cut)] for text in _TEXTS for cut in _CUTS]


def _qt_app():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def _wait(until: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Run the event loop until `until()` holds, checking every 2 ms (benchmark driver, never a slot)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    tick = QTimer()
    tick.setInterval(2)
    tick.timeout.connect(loop.quit)
    tick.start()
    deadline = time.perf_counter() + timeout_s
    while not until() and time.perf_counter() < deadline:
        loop.exec()
    tick.stop()
    return until()


def _recorder():
    """A QObject with slots: worker signals arrive from lane threads, so they go to bound slots, not lambdas."""
    from PySide6.QtCore import QObject, Slot

    class Recorder(QObject):
        def __init__(self):
            super().__init__()
            self.results: dict[int, tuple[object, float]] = {}
            self.shown: dict[str, float] = {}
            self.completed: dict[str, float] = {}

        @Slot(int, str, object)
        def finished(self, job_id, _kind, result):
            self.results[job_id] = (result, time.perf_counter())

        @Slot(str, str)
        def suggestion_shown(self, before, _text):
            self.shown.setdefault(before, time.perf_counter())

        @Slot(str, str)
        def suggestion_completed(self, before, _text):
            self.completed.setdefault(before, time.perf_counter())

    return Recorder()


def _run_job(worker, recorder, job) -> tuple[object, float]:
    """Submit on the completion lane; return the result and the ms from submit to delivery on the GUI thread."""
    start = time.perf_counter()
    submitted = worker.submit("bench", job, lane="completion")
    _wait(lambda: submitted.id in recorder.results)
    result, at = recorder.results.pop(submitted.id)
    return result, (at - start) * 1000


def _raw_job(model, threads: int, n_ctx: int, prefix: str):
    """Plain llama-cpp-python, timed inside the lane thread: no worker, no engine, no Qt in the figure."""

    def load():
        from slm_desktop.engines.llama_open import open_llama

        return open_llama(model, n_ctx=n_ctx, n_threads=threads)

    def job(ctx):
        llm = ctx.engine("bench-raw", load)
        start = time.perf_counter()
        out = llm.create_completion(prefix, max_tokens=12, temperature=0.0, stop=["\n"])
        return (time.perf_counter() - start) * 1000, out["usage"]["completion_tokens"]

    return job


def _app_job(factory, key: str, prefix: str):
    def job(ctx):
        return ctx.engine(key, factory).complete(prefix, max_tokens=12, cancel=ctx.token)

    return job


def _raw_and_app(model, threads: int, samples: list[str]) -> dict:
    """Both paths run on the same lane thread, so llama.cpp's OpenMP workers are shared, not competing."""
    from slm_desktop.completion import engine_factory, engine_key
    from slm_desktop.worker import Worker

    settings = CompletionSettings(threads=threads)
    worker, recorder = Worker(), _recorder()
    worker.finished.connect(recorder.finished)
    factory, key = engine_factory(model, settings), engine_key(model)
    _run_job(worker, recorder, _app_job(factory, key, "warm up"))  # loading is not part of a suggestion
    _run_job(worker, recorder, _raw_job(model, threads, settings.context_tokens, "warm up"))
    raw, app = [], []
    for prefix in samples:
        raw.append(_run_job(worker, recorder, _raw_job(model, threads, settings.context_tokens, prefix))[0])
        completion, ms = _run_job(worker, recorder, _app_job(factory, key, prefix))
        app.append((ms, completion.tokens))
    worker.shutdown()
    return {"raw": raw, "app": app}


def _gui(model, threads: int, samples: list[str], probe, thread_policy=None) -> dict[str, list[float] | float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from slm_desktop.completion import engine_factory, engine_key
    from slm_desktop.ui.suggest import GhostEditor, SuggestionController, WordChips
    from slm_desktop.worker import Worker

    settings = CompletionSettings(threads=threads)
    editor, chips, worker = GhostEditor(), WordChips(), Worker()
    editor.show()
    controller = SuggestionController(
        editor,
        chips,
        worker,
        settings,
        engine_factory(model, settings),
        engine_key=engine_key(model),
        thread_policy=thread_policy,
        parent=editor,
    )
    recorder = _recorder()
    controller.suggestionShown.connect(recorder.suggestion_shown)
    controller.suggestionCompleted.connect(recorder.suggestion_completed)
    shown, completed = recorder.shown, recorder.completed
    probe.start()
    _set_text(editor, "Warm up the model")
    _wait(lambda: "Warm up the model" in completed, 60)
    load_stall = probe.stop()
    probe.start()
    first, full, token_rates = [], [], []
    for prefix in samples:
        _set_text(editor, prefix[:-1])
        QTest.keyClick(editor, prefix[-1], Qt.KeyboardModifier.NoModifier)
        typed_at = time.perf_counter()
        if _wait(lambda p=prefix: p in completed):
            first.append((shown[prefix] - typed_at) * 1000 - settings.debounce_ms)
            full.append((completed[prefix] - typed_at) * 1000 - settings.debounce_ms)
            last = controller.last_completion
            if last and last.tokens and last.ms:
                token_rates.append(last.tokens / (last.ms / 1000))
        _wait(lambda: not worker.busy("completion"), 10)
    typing_stall = probe.stop()
    worker.shutdown()
    editor.close()
    editor.deleteLater()
    return {"first": first, "full": full, "rates": token_rates, "load_stall": load_stall, "stall": typing_stall}


def _set_text(editor, text: str) -> None:
    from PySide6.QtGui import QTextCursor

    editor.setPlainText(text)
    editor.moveCursor(QTextCursor.MoveOperation.End)


def _row(path: str, ms: list[float], tokens: int, note: str = "") -> dict:
    stats = summary(ms)
    total_s = sum(ms) / 1000
    return {
        "path": path,
        "n": stats["n"],
        "p50_ms": stats["p50_ms"],
        "p95_ms": stats["p95_ms"],
        "tokens_per_s": tokens / total_s if total_s else 0.0,
        "note": note,
    }


def _policies(model, threads: int, samples: list[str], busy: int) -> dict:
    """GUI first words with `busy` other processes each holding a core: fixed 2 threads vs the adaptive policy."""
    from slm_desktop.bench.load import busy_cores
    from slm_desktop.probe import StallProbe
    from slm_desktop.threads import ThreadPolicy

    table, report = [], {}
    with busy_cores(busy, seconds=900):
        for name, policy in (("fixed 2 threads", ThreadPolicy(configured=2)), ("adaptive", ThreadPolicy())):
            gui = _gui(model, threads, samples, StallProbe(), policy)
            stats = summary(gui["first"])
            row = {
                "path": f"gui first words, {name}",
                "n": stats["n"],
                "p50_ms": stats["p50_ms"],
                "p95_ms": stats["p95_ms"],
                "max_ms": max(gui["first"], default=float("nan")),
                "over_1s": sum(ms > 1000 for ms in gui["first"]),
                "whole_p95_ms": summary(gui["full"])["p95_ms"],
                "threads_last": policy.last,
                "stall_ms": gui["stall"],
            }
            table.append(row)
            report[name.replace(" ", "_")] = row
    return {"busy_processes": busy, "cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0], "table": table}


def run(args) -> dict:
    if getattr(args, "server", None):
        from slm_desktop.bench.server_complete import run as run_server

        return run_server(args)
    from slm_desktop.completion import resolve_model
    from slm_desktop.engines.llama import default_threads
    from slm_desktop.probe import StallProbe

    model = resolve_model(args.paths, getattr(args, "model", "") or "")
    threads = default_threads()
    samples = prefixes()
    if getattr(args, "repeat", 0):
        samples = [samples[i % len(samples)] for i in range(args.repeat)]
    _qt_app()
    if getattr(args, "busy", 0):
        return {"model": model.name, "prefixes": len(samples), **_policies(model, threads, samples, args.busy)}
    paired = _raw_and_app(model, threads, samples)  # the raw calls block the GUI thread by design
    gui = _gui(model, threads, samples, StallProbe())
    gui_first, gui_ms, gui_rates = gui["first"], gui["full"], gui["rates"]
    raw_ms = [ms for ms, _ in paired["raw"]]
    app_ms = [ms for ms, _ in paired["app"]]
    raw_tokens = sum(t for _, t in paired["raw"])
    app_tokens = sum(t for _, t in paired["app"])
    raw_ms_per_token = sum(raw_ms) / max(1, raw_tokens)
    app_ms_per_token = sum(app_ms) / max(1, app_tokens)
    table = [
        _row("raw create_completion", raw_ms, raw_tokens, "llama-cpp-python, greedy, 12 tokens"),
        _row("app worker+engine", app_ms, app_tokens, "submit -> result on GUI thread"),
        {**_row("gui first words", gui_first, 0, "last key -> first ghost words, minus debounce")},
        {**_row("gui whole ghost", gui_ms, 0, "last key -> whole suggestion, minus debounce")},
    ]
    if gui_rates:
        table[3]["tokens_per_s"] = sorted(gui_rates)[len(gui_rates) // 2]
    return {
        "model": model.name,
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "prefixes": len(samples),
        "app_raw_ratio_p50": summary(app_ms)["p50_ms"] / summary(raw_ms)["p50_ms"],
        "app_raw_ratio_per_token": app_ms_per_token / raw_ms_per_token,
        "gui_first_words_p50_ms": summary(gui_first)["p50_ms"],
        "gui_first_words_p95_ms": summary(gui_first)["p95_ms"],
        "gui_whole_p50_ms": summary(gui_ms)["p50_ms"],
        "gui_whole_p95_ms": summary(gui_ms)["p95_ms"],
        "gui_missed": len(samples) - len(gui_ms),
        "worst_gui_stall_ms": gui["stall"],
        "worst_gui_stall_loading_ms": gui["load_stall"],
        "peak_rss_mb": peak_rss_mb(),
        "table": table,
    }
