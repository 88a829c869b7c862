"""`slm-desktop bench live`: end of phrase → translation on screen, PocketSphinx + Apertium en→es.

Audio: the librivox recordings joined with pauses of quiet room noise. Raw path: the live pipeline
fed as fast as it goes (cut → final text, cut → translation ready). App path: the real main window
fed by the same audio at real-time speed, suggestions running from simulated typing, and the worst
GUI stall while speech, translation and suggestions all run.
"""

from __future__ import annotations

import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from slm_desktop.bench import summary
from slm_desktop.bench.speech import librivox
from slm_desktop.errors import UserError

RATE = 16000
PAUSE_S = 1.2
TYPED = ["The", "weather", "today", "is", "quite", "nice", "and", "we", "will", "go", "for", "a", "walk", "in", "the"]


def join_recordings(paths, *, pause_s: float = PAUSE_S, noise: float = 30.0, seed: int = 0):
    """(pcm, spans): the recordings, each after a pause of low noise (std ``noise``), and a last pause."""
    from slm_desktop.audio.wav import read_pcm16k

    rng = np.random.default_rng(seed)
    parts, spans, position = [], [], 0
    for path in paths:
        clip = np.frombuffer(read_pcm16k(path), dtype="<i2")
        parts += [rng.normal(0, noise, int(pause_s * RATE)).astype("<i2"), clip]
        start = position + int(pause_s * RATE)
        spans.append((start / RATE, (start + len(clip)) / RATE))
        position = start + len(clip)
    parts.append(rng.normal(0, noise, int(pause_s * RATE)).astype("<i2"))
    return np.concatenate(parts).tobytes(), spans


def _apertium_catalog(paths):
    from slm_desktop.translation import discover

    catalog = discover(paths, engines=("apertium",))
    if not any((p.source, p.target) == ("en", "es") for p in catalog.pairs):
        raise UserError("bench live needs Apertium en→es: apt install apertium-eng-spa")
    return catalog


def _raw_figures(pcm: bytes, catalog) -> dict:
    from slm_desktop.engines.sphinx_engine import SphinxEngine
    from slm_desktop.live import FINAL, TRANSLATED, LivePipeline, OwnedEngines, live_sphinx_config, plan_translator

    engines = OwnedEngines(catalog)
    events = []
    pipeline = LivePipeline(
        SphinxEngine(live_sphinx_config()),
        plan_translator(catalog, "en", "es", engine_for=engines),
        on_event=events.append,
    )
    try:
        for offset in range(0, len(pcm), 640):
            pipeline.feed(pcm[offset : offset + 640])
        pipeline.cut()
    finally:
        engines.close()
    finals = [e.ms for e in events if e.kind == FINAL and e.text]
    translated = [e.ms for e in events if e.kind == TRANSLATED]
    return {"phrases": len(translated), "final": summary(finals), "translated": summary(translated)}


def _qt_app():
    from PySide6.QtWidgets import QApplication

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication.instance() or QApplication([])


class _Typist:
    """Types a word into the editor every 600 ms, so suggestions keep running beside live translation."""

    def __init__(self, window):
        from PySide6.QtCore import QTimer

        self.window = window
        self.words = 0
        self.timer = QTimer(interval=600)
        self.timer.timeout.connect(self.type_word)

    def type_word(self) -> None:
        self.window.editor.insertPlainText(TYPED[self.words % len(TYPED)] + " ")
        self.words += 1


def _wait_for_job(window, kind: str, start) -> None:
    from slm_desktop.bench.qt_waits import JobWaiter

    JobWaiter(window.services.worker, kind).run(start)


def _warm_up(window, typist) -> None:
    """Engine loads hold the GIL once (~0.25 s each); the figures are the steady state after them."""
    window.live_mode.controller.set_languages("en", "es")
    _wait_for_job(window, "live-prepare", window.live_mode.controller.prepare)
    if window.suggestions is not None and window.services.settings.ui.low_power == "off":
        _wait_for_job(window, "suggest", typist.type_word)


def _app_figures(wav: Path, paths, audio_seconds: float, *, low_power: str) -> dict:
    from slm_desktop.app import create_window
    from slm_desktop.audio.ptt import WavSource
    from slm_desktop.bench.qt_waits import KindCounter, StopWaiter
    from slm_desktop.probe import StallProbe

    _qt_app()
    window = create_window(paths)
    window.services.update_settings("ui", "low_power", low_power)  # off: suggestions keep running (worst case)
    window.show()
    window.live_mode.controller.source_factory = lambda capture: WavSource(wav, realtime=True)
    window.live_mode.controller.source_key = f"bench-wav:{wav}"
    window.translation_panel.set_target("es")
    kinds = KindCounter(window.services.worker)
    typist = _Typist(window)
    probe = StallProbe(culprits=True)
    _warm_up(window, typist)
    stopped = StopWaiter(window.live_mode.controller.runningChanged, timeout_ms=int((audio_seconds + 120) * 1000))
    try:
        probe.start()
        typist.timer.start()
        window.live_mode.set_on(True)
        stopped.exec()
        stall = probe.stop()
        typist.timer.stop()
    finally:
        window.editor.document().setModified(False)
        window.live_mode.subtitles.close()
        window.close()
        window.services.worker.shutdown()
    return {
        "phrases": len(window.live_mode.controller.latencies),
        "shown": summary(window.live_mode.controller.latencies),
        "stall_ms": stall,
        "stall_culprit": probe.worst_culprit,
        "jobs": kinds.counts,
    }


def run(args) -> dict:
    from slm_desktop.audio.vad import VadConfig

    repeat = args.repeat or 2
    catalog = _apertium_catalog(args.paths)
    clips = sorted(librivox())
    pcm, spans = join_recordings(clips * repeat)
    raw = _raw_figures(pcm, catalog)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "live-bench.wav"
        write_wav(pcm, wav)
        app = _app_figures(wav, args.paths, len(pcm) / 2 / RATE, low_power="off")
        quiet = _app_figures(wav, args.paths, len(pcm) / 2 / RATE, low_power="on")
    hangover = VadConfig().min_silence_ms
    rows = [
        _row("raw pipeline: cut → final text", raw["final"]),
        _row("raw pipeline: cut → translation ready", raw["translated"]),
        _row("app: cut → translation on screen (real time, suggestions on)", app["shown"]),
        _row("app, low-power (suggestions paused): cut → on screen", quiet["shown"]),
    ]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "audio_seconds": round(len(pcm) / 2 / RATE, 1),
        "phrases_expected": len(spans),
        "phrases_raw": raw["phrases"],
        "phrases_app": app["phrases"],
        "phrases_low_power": quiet["phrases"],
        "shown_p50_ms": app["shown"]["p50_ms"],
        "shown_p95_ms": app["shown"]["p95_ms"],
        "raw_translated_p50_ms": raw["translated"]["p50_ms"],
        "app_over_raw_p50": app["shown"]["p50_ms"] / raw["translated"]["p50_ms"],
        "vad_hangover_ms": hangover,
        "speech_end_to_shown_p95_ms": app["shown"]["p95_ms"] + hangover,
        "gui_stall_ms": app["stall_ms"],
        "gui_stall_during": app["stall_culprit"],
        "low_power_shown_p95_ms": quiet["shown"]["p95_ms"],
        "low_power_gui_stall_ms": quiet["stall_ms"],
        "low_power_gui_stall_during": quiet["stall_culprit"],
        "worker_jobs": ", ".join(f"{k}={v}" for k, v in sorted(app["jobs"].items())),
        "low_power_worker_jobs": ", ".join(f"{k}={v}" for k, v in sorted(quiet["jobs"].items())),
        "table": rows,
    }


def _row(what: str, figures: dict) -> dict:
    return {
        "path": what,
        "n": figures["n"],
        "p50_ms": round(figures["p50_ms"], 1),
        "p95_ms": round(figures["p95_ms"], 1),
        "mean_ms": round(figures["mean_ms"], 1),
    }


def write_wav(pcm: bytes, path: Path) -> Path:
    """16 kHz mono int16 PCM (what join_recordings makes) as a WAV file."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path
