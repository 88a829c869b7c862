"""`slm-desktop bench complete --server URL`: the app's path to a server beside a raw streaming client.

(a) raw: one plain httpx streaming POST to /v1/completions per prefix (greedy, 12 tokens, stop at newline),
    read until the end or a sentence end (where the app hangs up too: llama_cpp.server finishes an abandoned
    generation before it takes the next request, so hanging up at different points would bias the pair),
    timed around the request, on the same lane thread as (b);
(b) app: Worker -> lane -> the engine the window uses (FallbackCompletionEngine over ServerCompletionEngine),
    timed from submit until the result is on the GUI thread;
(a) and (b) alternate prefix by prefix, which goes first alternating too, so load on the server and the machine
    hits both alike;
(c) gui: a real GhostEditor + SuggestionController offscreen, last keystroke -> first ghost words and the whole
    ghost, minus the debounce (the chips are asked for too, as in the window).
The app stops at sentence ends, so the ratio is given per streamed token as well as per call.
"""

from __future__ import annotations

import json
import os
import time

from slm_desktop.bench import peak_rss_mb, summary
from slm_desktop.bench.complete import _qt_app, _recorder, _row, _run_job, _set_text, _wait, prefixes
from slm_desktop.config import CompletionSettings, ServerSettings
from slm_desktop.engines.openai_server import ServerConfig, base_url
from slm_desktop.server_select import FallbackCompletionEngine, ServerSwitch

KEY = "bench-server"


def _no_local():
    raise RuntimeError("the benchmark measures the server: the local model must not be needed")


def _switch(config: ServerConfig) -> ServerSwitch:
    switch = ServerSwitch()
    settings = ServerSettings(
        enabled=True,
        url=config.url,
        model=config.model,
        connect_timeout_s=config.connect_timeout_s,
        first_token_timeout_s=config.first_token_timeout_s,
    )
    switch.set(settings, config.api_key)
    return switch


def _factory(switch: ServerSwitch):
    return lambda: FallbackCompletionEngine(_no_local, switch)


def _raw_job(config: ServerConfig, prefix: str):
    """A bare streaming client: no engine, no shaping, no Qt in the figure."""

    def load():
        import httpx

        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        return httpx.Client(base_url=base_url(config.url), headers=headers, timeout=30.0, trust_env=False)

    def job(ctx):
        client = ctx.engine("bench-raw-http", load)
        # as the app asks: 12 tokens plus 4 to finish a word, hanging up at 12 or at a sentence end
        payload = {"prompt": prefix, "max_tokens": 16, "temperature": 0.0, "stop": ["\n"], "stream": True}
        if config.model:
            payload["model"] = config.model
        start = time.perf_counter()
        tokens, text = 0, ""
        with client.stream("POST", "/v1/completions", json=payload) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                    continue
                piece = json.loads(line[5:])["choices"][0]["text"]
                if tokens >= 12 or (text.endswith((".", "!", "?")) and piece[:1].isspace()):
                    break  # the same early hang-up as the app, so both leave the server alike
                text += piece
                tokens += bool(piece)
        return (time.perf_counter() - start) * 1000, tokens

    return job


def _app_job(factory, prefix: str):
    def job(ctx):
        return ctx.engine(KEY, factory).complete(prefix, max_tokens=12, cancel=ctx.token)

    return job


def _raw_and_app(config: ServerConfig, samples: list[str]) -> dict:
    from slm_desktop.worker import Worker

    worker, recorder = Worker(), _recorder()
    worker.finished.connect(recorder.finished)
    factory = _factory(_switch(config))
    _run_job(worker, recorder, _app_job(factory, "Warm up"))
    _run_job(worker, recorder, _raw_job(config, "Warm up"))
    raw, app = [], []
    for i, prefix in enumerate(samples):
        if i % 2:  # alternate which goes first: each pays for what the other left the server doing
            raw.append(_run_job(worker, recorder, _raw_job(config, prefix))[0])
        completion, ms = _run_job(worker, recorder, _app_job(factory, prefix))
        if completion.model.startswith("server:"):
            app.append((ms, completion.tokens))
        if not i % 2:
            raw.append(_run_job(worker, recorder, _raw_job(config, prefix))[0])
    worker.shutdown()
    return {"raw": raw, "app": app}


def _gui(config: ServerConfig, samples: list[str], probe) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from slm_desktop.ui.suggest import GhostEditor, SuggestionController, WordChips
    from slm_desktop.worker import Worker

    settings = CompletionSettings()
    editor, chips, worker = GhostEditor(), WordChips(), Worker()
    editor.show()
    controller = SuggestionController(
        editor, chips, worker, settings, _factory(_switch(config)), engine_key=KEY, parent=editor
    )
    recorder = _recorder()
    controller.suggestionShown.connect(recorder.suggestion_shown)
    controller.suggestionCompleted.connect(recorder.suggestion_completed)
    shown, completed = recorder.shown, recorder.completed
    _set_text(editor, "Warm up the server")
    _wait(lambda: "Warm up the server" in completed, 60)
    probe.start()
    first, full = [], []
    for prefix in samples:
        _set_text(editor, prefix[:-1])
        QTest.keyClick(editor, prefix[-1], Qt.KeyboardModifier.NoModifier)
        typed_at = time.perf_counter()
        if _wait(lambda p=prefix: p in completed):
            if prefix in shown:
                first.append((shown[prefix] - typed_at) * 1000 - settings.debounce_ms)
            full.append((completed[prefix] - typed_at) * 1000 - settings.debounce_ms)
        _wait(lambda: not worker.busy("completion"), 10)
    stall = probe.stop()
    worker.shutdown()
    editor.close()
    editor.deleteLater()
    return {"first": first, "full": full, "stall": stall}


def run(args) -> dict:
    from slm_desktop.probe import StallProbe
    from slm_desktop.subcommands.server_args import server_config

    config = server_config(args)
    samples = prefixes()
    if getattr(args, "repeat", 0):
        samples = [samples[i % len(samples)] for i in range(args.repeat)]
    _qt_app()
    paired = _raw_and_app(config, samples)
    gui = _gui(config, samples, StallProbe())
    raw_ms = [ms for ms, _ in paired["raw"]]
    app_ms = [ms for ms, _ in paired["app"]]
    raw_tokens = sum(t for _, t in paired["raw"])
    app_tokens = sum(t for _, t in paired["app"])
    per_token = (sum(app_ms) / max(1, app_tokens)) / (sum(raw_ms) / max(1, raw_tokens))
    return {
        "server": config.url,
        "cpu_count": os.cpu_count(),
        "prefixes": len(samples),
        "app_fell_back": len(samples) - len(app_ms),
        "app_raw_ratio_p50": summary(app_ms)["p50_ms"] / summary(raw_ms)["p50_ms"],
        "app_raw_ratio_per_token": per_token,
        "gui_first_words_p50_ms": summary(gui["first"])["p50_ms"],
        "gui_first_words_p95_ms": summary(gui["first"])["p95_ms"],
        "gui_whole_p50_ms": summary(gui["full"])["p50_ms"],
        "gui_whole_p95_ms": summary(gui["full"])["p95_ms"],
        "gui_missed": len(samples) - len(gui["full"]),
        "worst_gui_stall_ms": gui["stall"],
        "peak_rss_mb": peak_rss_mb(),
        "table": [
            _row("raw httpx stream", raw_ms, raw_tokens, "POST /v1/completions, 12 tokens, to a sentence end"),
            _row("app worker+engine", app_ms, app_tokens, "submit -> result on GUI thread"),
            _row("gui first words", gui["first"], 0, "last key -> first ghost words, minus debounce"),
            _row("gui whole ghost", gui["full"], 0, "last key -> whole suggestion, minus debounce"),
        ],
    }
