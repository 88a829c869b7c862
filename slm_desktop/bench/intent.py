"""`slm-desktop bench intent`: int8 vs fp32 latency per command, held-out accuracy, model sizes.

The int8 model ships in models/intent-minilm-int8. The fp32 export (90 MB) stays out of git: the build
script leaves it in build/intent-minilm-fp32 (or put it on the model search path as intent-minilm-fp32);
without it the fp32 rows are skipped with a note. Per-command latency uses the raw engine
(OnnxIntentEngine.classify) and the app's path (parse_command: classify + slots) in the same run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from slm_desktop.bench import peak_rss_mb, summary
from slm_desktop.commands.evaluation import load_split, predict, score, single_probabilities
from slm_desktop.commands.intents import locate_model, parse_command
from slm_desktop.engines.intent_onnx import OnnxIntentEngine
from slm_desktop.paths import AppPaths, repo_root

log = logging.getLogger(__name__)

FP32_NAME = "intent-minilm-fp32"
THREADS = 2
WARMUP = 10


def fp32_model(paths: AppPaths) -> Path | None:
    found = paths.find_model(FP32_NAME)
    if found:
        return found
    built = repo_root() / "build" / FP32_NAME
    return built if (built / "model.onnx").is_file() else None


def _timed(raw, app, texts: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Alternate the two paths command by command, so load from other processes hits both alike."""
    for text in texts[:WARMUP]:
        raw(text), app(text)
    times: tuple[list[float], list[float]] = ([], [])
    for text in texts:
        for fn, bucket in ((raw, times[0]), (app, times[1])):
            start = time.perf_counter()
            fn(text)
            bucket.append((time.perf_counter() - start) * 1000)
    return summary(times[0]), summary(times[1])


def _accuracy(engine: OnnxIntentEngine, rows: list[dict]) -> dict[str, float]:
    probs = single_probabilities(engine, [r["text"] for r in rows])
    return score(predict(probs, engine.labels, engine.threshold), [r["intent"] for r in rows], engine.labels)


def _rows_for(name: str, folder: Path, rows: list[dict], texts: list[str], threads: int = THREADS) -> list[dict]:
    engine = OnnxIntentEngine(folder, threads=threads)
    try:
        quality = _accuracy(engine, rows)
        size_mb = (folder / "model.onnx").stat().st_size / 1e6
        raw, app = _timed(engine.classify, lambda text: parse_command(engine, text), texts)
    finally:
        engine.close()
    percent = {f"{k}_pct": quality[k] * 100 for k in ("accuracy", "macro_f1", "oos_recall")}
    common = {"model": name, "threads": threads, "size_mb": size_mb, **percent}
    return [
        {**common, "path": "raw classify", "p50_ms": raw["p50_ms"], "p95_ms": raw["p95_ms"]},
        {**common, "path": "app parse_command", "p50_ms": app["p50_ms"], "p95_ms": app["p95_ms"]},
    ]


def run(args) -> dict:
    rows = load_split("test")
    texts = [r["text"] for r in rows]
    if args.repeat:
        texts = (texts * (args.repeat // len(texts) + 1))[: args.repeat]
    int8 = locate_model(args.paths)
    table = _rows_for("int8", int8, rows, texts)
    fp32 = fp32_model(args.paths)
    report: dict = {"commands": len(texts), "held_out_rows": len(rows)}
    if fp32 is None:
        report["fp32"] = f"skipped: no {FP32_NAME} found; run slm-desktop-build-intent to create build/{FP32_NAME}"
    else:
        table += _rows_for("fp32", fp32, rows, texts)
        report["int8_vs_fp32_p95"] = table[0]["p95_ms"] / table[2]["p95_ms"]
        report["accuracy_drop_points"] = table[2]["accuracy_pct"] - table[0]["accuracy_pct"]
    table += _rows_for("int8", int8, rows, texts, threads=1)[:1]  # a Raspberry Pi-like budget: one core
    report["app_over_raw_p50"] = table[1]["p50_ms"] / table[0]["p50_ms"]
    report["peak_rss_mb"] = peak_rss_mb()
    report["table"] = table
    return report
