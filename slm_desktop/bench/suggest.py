"""`slm-desktop bench suggest`: are the suggestions right? A simulated typist on a plain-text file.

Quality through the app's own path: every suggestion is one `ui.suggest.run_suggestion` job on the
worker's completion lane (the editor's job: the same prompt building, token healing, stop rules, chip
mixing with the personal model and the word list, and the thread policy), delivered on the GUI thread.
Beside it, at each word start, the raw engine: llama-cpp-python `create_completion` on the same text
(greedy, as many tokens as the app's ghost there, stop at newline), on the same lane thread, in blocks of
20 word starts after the app's (not request by request: two llama.cpp contexts' thread teams then slow each
other down).
The typist and the figures are defined in bench/typist.py and docs/completion.md.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.bench import peak_rss_mb, summary
from slm_desktop.bench.typist import MODES, WORD, Suggestion, walk, word_spans
from slm_desktop.config import CompletionSettings
from slm_desktop.document import read_file_bytes
from slm_desktop.engines.textops import leading_word
from slm_desktop.errors import UserError
from slm_desktop.paths import resources_dir

EVAL_DIR = "eval"
REPORT_TEXT = "everyday-report.txt"  # the reported part; everyday-tune.txt is the only one tuned on
TUNE_TEXT = "everyday-tune.txt"
DEFAULT_LIMIT = 250


def default_text() -> Path:
    return resources_dir() / EVAL_DIR / REPORT_TEXT


def read_text(path: Path) -> str:
    """The file as text, or one line saying why not (missing, binary, empty)."""
    if not path.exists():
        raise UserError(f"{path}: no such file")
    data = read_file_bytes(path)
    if b"\x00" in data[:65536]:
        raise UserError(f"{path} is a binary file, not plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 plain text") from None
    if not WORD.search(text):
        raise UserError(f"{path} is empty (no words to type)")
    return text.replace("\r\n", "\n")


@dataclass
class _Timed:
    suggestion: Suggestion
    first_ms: float  # submit -> first ghost words on the GUI thread
    ghost_ms: float  # submit -> whole ghost
    chips_ms: float  # submit -> chips (the job's end)
    tokens: int
    threads: int  # what the thread policy chose for it (the raw engine uses the same)


class _AppPath:
    """Suggestions through Worker -> completion lane -> run_suggestion, cached per text (the typist's
    walks revisit the same places; the engine is deterministic)."""

    def __init__(self, model: Path, settings: CompletionSettings, personal, threads):
        from PySide6.QtCore import QObject, Slot

        from slm_desktop.completion import engine_factory, engine_key
        from slm_desktop.worker import Worker, WorkerConfig

        class Recorder(QObject):
            def __init__(self):
                super().__init__()
                self.first: dict[int, float] = {}
                self.final: dict[int, float] = {}
                self.done: dict[int, tuple[object, float]] = {}
                self.closed: list[str] = []

            @Slot(int, str, object)
            def progress(self, job_id, _kind, value):
                now = time.perf_counter()
                if value.completion is not None and value.completion.text.strip():
                    self.first.setdefault(job_id, now)
                if value.final:
                    self.final.setdefault(job_id, now)

            @Slot(int, str, object)
            def finished(self, job_id, _kind, result):
                self.done[job_id] = (result, time.perf_counter())

            @Slot(int, str, str)
            def failed(self, job_id, _kind, message):
                self.done[job_id] = (UserError(message), time.perf_counter())

            @Slot(str, str)
            def engine_closed(self, _lane, key):
                self.closed.append(key)

        # the app's engine, the word list and the raw engine stay loaded side by side: an eviction between
        # blocks would reload the app's model and lose its prompt cache, which the app never does
        self.worker = Worker(config=WorkerConfig(lane_max_engines=(("completion", 3),)))
        self.recorder = Recorder()
        self.worker.engineClosed.connect(self.recorder.engine_closed)
        self.worker.progress.connect(self.recorder.progress)
        self.worker.finished.connect(self.recorder.finished)
        self.worker.failed.connect(self.recorder.failed)
        self.settings, self.personal, self.threads = settings, personal, threads
        self.factory, self.key = engine_factory(model, settings), engine_key(model)
        self.cache: dict[str, _Timed] = {}
        self._seq = 0

    @property
    def reloads(self) -> int:
        """Engines closed before the end of the run (0 when the blocks kept every engine loaded)."""
        return len(self.recorder.closed)

    def run_on_lane(self, job):
        """Any job on the completion lane (the raw engine runs there too); returns its result."""
        from slm_desktop.bench.complete import _wait

        submitted = self.worker.submit("bench", job, lane="completion")
        _wait(lambda: submitted.id in self.recorder.done, 120)
        result, _at = self.recorder.done.pop(submitted.id)
        if isinstance(result, Exception):
            raise result
        return result

    def suggest(self, before: str) -> Suggestion:
        return self.timed(before).suggestion

    def timed(self, before: str) -> _Timed:
        if before in self.cache:
            return self.cache[before]
        from slm_desktop.bench.complete import _wait
        from slm_desktop.ui.suggest import SuggestRequest, run_suggestion

        self._seq += 1
        request = SuggestRequest(self._seq, before, "")
        settings, personal, threads, key, factory = self.settings, self.personal, self.threads, self.key, self.factory

        def job(ctx):
            return run_suggestion(
                ctx,
                request,
                engine_key=key,
                factory=factory,
                max_tokens=settings.max_tokens,
                with_words=True,
                personal=personal,
                word_list=settings.word_list,
                threads=threads,
            )

        start = time.perf_counter()
        submitted = self.worker.submit("suggest", job, lane="completion")
        rec = self.recorder
        _wait(lambda: submitted.id in rec.done, 120)
        result, done_at = rec.done.pop(submitted.id)
        if isinstance(result, Exception):
            raise result
        final_at = rec.final.pop(submitted.id, done_at)
        first_at = rec.first.pop(submitted.id, final_at)
        timed = _Timed(
            Suggestion(result.completion.text, tuple(w.word for w in result.words)),
            (first_at - start) * 1000,
            (final_at - start) * 1000,
            (done_at - start) * 1000,
            result.completion.tokens,
            self.threads.last or 1,
        )
        self.cache[before] = timed
        return timed

    def close(self) -> None:
        self.worker.shutdown()


def _raw_job(model: Path, settings: CompletionSettings, before: str, count: int, max_tokens: int):
    """Plain llama-cpp-python on the same lane, with the thread count the app's policy chose there and
    as many tokens as the app generated there (a request's fixed cost, the prompt, spread over more
    tokens would flatter the per-token figure of whichever path writes longer ghosts)."""

    def load():
        from slm_desktop.engines.llama_open import open_llama

        return open_llama(model, n_ctx=settings.context_tokens, n_threads=1, n_threads_batch=1)

    def job(ctx):
        import llama_cpp

        llm = ctx.engine("bench-raw", load)
        llama_cpp.llama_set_n_threads(llm.ctx, count, count)
        start = time.perf_counter()
        out = llm.create_completion(before, max_tokens=max_tokens, temperature=0.0, stop=["\n"])
        return out["choices"][0]["text"], (time.perf_counter() - start) * 1000, out["usage"]["completion_tokens"]

    return job


def _next_words(text: str, start: int, count: int) -> list[str]:
    return [m.group(0) for m in WORD.finditer(text, start)][:count]


def _first_words(ghost: str, count: int) -> list[str]:
    return [m.group(0) for m in WORD.finditer(ghost)][:count]


RAW_BLOCK = 20  # word starts per block: the app's requests, then the raw engine's at the same places


def _word_starts(app: _AppPath, text: str, spans) -> dict:
    """The app's accuracy at every word start."""
    top3 = first = two = tokens = 0
    ms = 0.0
    for start, end in spans:
        before, word = text[:start], text[start:end]
        timed = app.timed(before)
        ms, tokens = ms + timed.ghost_ms, tokens + timed.tokens
        top3 += word in timed.suggestion.chips
        first += leading_word(timed.suggestion.ghost) == word
        two += _first_words(timed.suggestion.ghost, 2) == _next_words(text, start, 2)
    n = len(spans)
    return {"top3": top3 / n, "first": first / n, "two": two / n, "app_ms": ms, "app_tokens": tokens}


def _raw_word_starts(app: _AppPath, model: Path, text: str, spans, settings) -> dict:
    """The raw engine at the same word starts, on the same lane."""
    raw_first, raw_ms, raw_tokens = 0, [], 0
    for start, end in spans:
        before, word = text[:start], text[start:end]
        timed = app.timed(before)
        job = _raw_job(model, settings, before, timed.threads, max(1, timed.tokens))
        raw_text, ms, tokens = app.run_on_lane(job)
        raw_ms.append(ms)
        raw_tokens += tokens
        raw_first += leading_word(raw_text) == word
    return {"raw_first": raw_first / len(spans), "raw_ms": raw_ms, "raw_tokens": raw_tokens}


def _blocks_beside_raw(app: _AppPath, model: Path, text: str, spans, settings, block: int = RAW_BLOCK) -> dict:
    """Word starts in blocks: the app's requests, then the raw engine's at the same places, block by block,
    so a slow stretch of the shared host lands on both sides of app/raw instead of on one. Not request by
    request: two llama.cpp contexts alternating on one lane fought over the 2 cores (measured: the app's
    first ghost words p95 98 ms alone, 790 ms alternating with the raw engine). app/raw is the median of the
    blocks' per-token ratios, the whole run's ratio beside it."""
    app_parts, raw_parts = [], []
    for i in range(0, len(spans), block):
        part = spans[i : i + block]
        app_parts.append(_word_starts(app, text, part))
        raw_parts.append(_raw_word_starts(app, model, text, part, settings))
    n = len(spans)

    def weighted(parts, key):
        return sum(p[key] * len(spans[i * block : (i + 1) * block]) for i, p in enumerate(parts)) / n

    ratios = [
        _per_token(a["app_ms"], a["app_tokens"]) / _per_token(sum(r["raw_ms"]), r["raw_tokens"])
        for a, r in zip(app_parts, raw_parts, strict=True)
        if r["raw_tokens"] and a["app_tokens"]
    ]
    return {
        "top3": weighted(app_parts, "top3"),
        "first": weighted(app_parts, "first"),
        "two": weighted(app_parts, "two"),
        "raw_first": weighted(raw_parts, "raw_first"),
        "app_ms": sum(a["app_ms"] for a in app_parts),
        "app_tokens": sum(a["app_tokens"] for a in app_parts),
        "raw_ms": [ms for r in raw_parts for ms in r["raw_ms"]],
        "raw_tokens": sum(r["raw_tokens"] for r in raw_parts),
        "block_ratios": ratios,
    }


def _per_token(ms: float, tokens: int) -> float:
    return ms / max(1, tokens)


def _personal(args, text: str) -> tuple[object, int, str]:
    """The personal model the run uses, the text position where evaluation starts, and a description."""
    from slm_desktop.personal import PersonalModel

    split = getattr(args, "split", 0.0) or 0.0
    train = getattr(args, "personal_train", None)
    if not split and not train:
        return None, 0, "none"
    model = PersonalModel()
    begin, source = 0, ""
    if train:
        model.learn(read_text(Path(train)))
        source = Path(train).name
    if split:
        if not 0 < split < 1:
            raise UserError("--split must be between 0 and 1 (the share of the text to learn from)")
        cut = text.find("\n", int(len(text) * split))
        begin = cut + 1 if cut >= 0 else int(len(text) * split)
        model.learn(text[:begin])
        source = f"{source} + " if source else ""
        source += f"first {split:.0%} of the text"
    return model, begin, f"{source} ({model.words} words)"


def run(args) -> dict:
    from slm_desktop.bench.complete import _qt_app
    from slm_desktop.completion import resolve_model
    from slm_desktop.probe import StallProbe
    from slm_desktop.threads import ThreadPolicy

    path = Path(args.text) if getattr(args, "text", None) else default_text()
    text = read_text(path)
    model = resolve_model(args.paths, getattr(args, "model", "") or "")
    limit = DEFAULT_LIMIT if getattr(args, "limit", None) is None else args.limit
    personal, begin, personal_note = _personal(args, text)
    first = next((m.end() for m in WORD.finditer(text, begin)), begin)  # nothing is suggested in an empty document
    spans = word_spans(text, first if not text[:begin].strip() else begin, limit)
    if not spans:
        if begin:
            raise UserError(f"{path}: no words left to type after the personal model's part")
        raise UserError(f"{path}: a single word; the typist types the first word itself and needs more to measure")
    settings = CompletionSettings(word_list=not getattr(args, "no_word_list", False))
    _qt_app()
    threads = ThreadPolicy(configured=getattr(args, "threads", 0) or 0)
    app = _AppPath(model, settings, personal, threads)
    probe = StallProbe()
    try:
        app.timed("Warm up the model, the word list and the lane.")
        probe.start()
        starts = _blocks_beside_raw(app, model, text, spans, settings)
        look = getattr(args, "look", 3)
        walks = {mode: walk(mode, text, spans, app.suggest, look=look) for mode in MODES}
        stall = probe.stop()
        reloads = app.reloads
    finally:
        app.close()
    timings = list(app.cache.values())[1:]  # not the warm-up
    first_ms = [t.first_ms for t in timings]
    ghost_ms = [t.ghost_ms for t in timings]
    chips_ms = [t.chips_ms for t in timings]
    raw_per_token = _per_token(sum(starts["raw_ms"]), starts["raw_tokens"])
    app_per_token = _per_token(starts["app_ms"], starts["app_tokens"])  # the same word starts as the raw engine
    return {
        "text": path.name,
        "model": model.name,
        "word_positions": len(spans),
        "characters": walks["chips"].chars,
        "requests": len(timings),
        "personal_model": personal_note,
        "word_list": settings.word_list,
        "threads_last": threads.last,
        "top3_next_word": starts["top3"],
        "ghost_first_word": starts["first"],
        "ghost_first_two_words": starts["two"],
        "raw_first_word": starts["raw_first"],
        "savings_chips": walks["chips"].savings,
        "savings_ghost": walks["ghost"].savings,
        "savings_both": walks["both"].savings,
        "keys_chips": walks["chips"].keys,
        "keys_ghost": walks["ghost"].keys,
        "keys_both": walks["both"].keys,
        "accepts_both_chip": walks["both"].chip_accepts,
        "accepts_both_ghost": walks["both"].ghost_accepts,
        "first_words_p50_ms": summary(first_ms)["p50_ms"],
        "first_words_p95_ms": summary(first_ms)["p95_ms"],
        "first_words_max_ms": max(first_ms, default=float("nan")),
        "app_raw_ratio_per_token": statistics.median(starts["block_ratios"]) if starts["block_ratios"] else math.nan,
        "app_raw_ratio_whole_run": app_per_token / raw_per_token if raw_per_token else math.nan,
        "app_raw_block_ratios": starts["block_ratios"],
        "engine_reloads": reloads,
        "app_tokens_at_word_starts": starts["app_tokens"],
        "raw_tokens_at_word_starts": starts["raw_tokens"],  # at most the app's (the raw one may stop at a newline)
        "worst_gui_stall_ms": stall,
        "peak_rss_mb": peak_rss_mb(),
        "table": [
            _row("raw create_completion (word starts)", starts["raw_ms"]),
            _row("app first ghost words", first_ms),
            _row("app whole ghost", ghost_ms),
            _row("app chips (job end)", chips_ms),
        ],
    }


def _row(path: str, ms: list[float]) -> dict:
    stats = summary(ms)
    return {"path": path, "n": stats["n"], "p50_ms": stats["p50_ms"], "p95_ms": stats["p95_ms"]}
