"""Which catalog models fit this machine: measure it for a few seconds, then explain each choice.

Token generation on a CPU is bound by memory bandwidth, so a model's speed scales roughly with
1 / (its file size): one measured model predicts the others. A live suggestion needs about
SUGGESTION_TOKENS tokens within the DESIGN.md p95 target of 200 ms.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from slm_desktop.errors import ModelError
from slm_desktop.store.catalog import Catalog, CatalogEntry

log = logging.getLogger(__name__)

SUGGESTION_TOKENS = 6
SUGGESTION_BUDGET_MS = 200.0
RAM_SHARE = 0.5  # a model may use at most half the memory that is available now
PROMPT = "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village,"


@dataclass(frozen=True)
class Hardware:
    machine: str
    cores: int
    ram_total_mb: int
    ram_available_mb: int
    flags: tuple[str, ...]  # the interesting ones: avx2, avx512f, f16c, neon, dotprod, i8mm

    @property
    def arm(self) -> bool:
        return self.machine.lower() in ("aarch64", "arm64") or self.machine.lower().startswith("arm")


@dataclass(frozen=True)
class SpeedSample:
    model: str
    model_bytes: int
    tokens_per_s: float
    threads: int


@dataclass(frozen=True)
class Recommendation:
    kind: str
    catalog_id: str
    name: str
    verdict: str  # recommended | fits | too slow | too big
    reason: str
    est_tokens_per_s: float | None = None


def _meminfo(text: str) -> tuple[int, int]:
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) // 1024
    total = values.get("MemTotal", 0)
    return total, values.get("MemAvailable", total)


def _cpu_flags(text: str) -> tuple[str, ...]:
    """x86 'flags' or ARM 'Features' from /proc/cpuinfo, reduced to what matters for llama.cpp."""
    raw: set[str] = set()
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            raw.update(rest.split())
    names = {"avx2": "avx2", "avx512f": "avx512f", "f16c": "f16c", "fma": "fma", "asimd": "neon", "neon": "neon"}
    names |= {"asimddp": "dotprod", "i8mm": "i8mm", "sve": "sve"}
    return tuple(sorted({names[f] for f in raw if f in names}))


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def measure_hardware() -> Hardware:
    total, available = _meminfo(_read("/proc/meminfo"))
    if not total and hasattr(os, "sysconf"):
        try:
            total = available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
        except (ValueError, OSError):
            total = available = 0
    flags = _cpu_flags(_read("/proc/cpuinfo"))
    machine = platform.machine()
    if not flags and machine.lower() in ("arm64", "aarch64"):
        flags = ("neon",)  # every 64-bit ARM core has NEON; /proc/cpuinfo is missing on macOS
    return Hardware(machine, os.cpu_count() or 1, total, available, flags)


def measure_tokens_per_second(model: Path, *, seconds: float = 3.0, threads: int = 0) -> SpeedSample:
    """Generate for a few seconds with llama.cpp and count tokens (the store's only inference call)."""
    from slm_desktop.engines.llama_open import open_llama
    from slm_desktop.memory import ensure_fits

    ensure_fits(model)  # a model too big for free memory is refused, not OOM-killed mid-measure
    threads = threads or max(1, min(4, os.cpu_count() or 1))
    llm = open_llama(model, n_ctx=512, n_threads=threads)
    try:
        llm.create_completion(PROMPT, max_tokens=4, temperature=0.0)  # warm up: load pages, fill caches
        tokens, first, last = 0, 0.0, 0.0
        for _chunk in llm.create_completion(PROMPT, max_tokens=256, temperature=0.0, stream=True):
            last = time.perf_counter()
            tokens += 1
            if tokens == 1:
                first = last  # decode speed only: the prompt was evaluated before the first token
            elif last - first >= seconds:
                break
    finally:
        llm.close()
    if tokens < 2 or last <= first:
        raise ModelError(f"{model.name}: generated too few tokens to measure speed")
    return SpeedSample(model.name, model.stat().st_size, (tokens - 1) / (last - first), threads)


def _stamp(stamps: list[float], _token: str) -> None:
    stamps.append(time.perf_counter())


def measure_engine_speed(engine, model: Path, *, seconds: float = 2.0, cancel=None) -> SpeedSample:
    """The same figure through a CompletionEngine that is already loaded: the app measures on the completion
    lane with its own suggestion engine, so the first-run measurement loads no second copy of the model.

    Decode speed only: each call's tokens after its first, over the time between its first and last token
    (the prompt is evaluated before the first). Calls continue the text so far, so the KV cache is reused."""
    text, tokens, spent, calls = PROMPT, 0, 0.0, 0
    while spent < seconds and calls < 200:
        stamps: list[float] = []
        done = engine.complete(text, max_tokens=32, cancel=cancel, on_token=partial(_stamp, stamps))
        calls += 1
        if len(stamps) >= 2:
            tokens += len(stamps) - 1
            spent += stamps[-1] - stamps[0]
        text = text + done.text if done.text.strip() else text + " And then"
        if len(text) > 1500:  # stay well inside a small context
            text = PROMPT
    if tokens < 2 or spent <= 0:
        raise ModelError(f"{model.name}: generated too few tokens to measure speed")
    return SpeedSample(model.name, model.stat().st_size, tokens / spent, getattr(engine, "threads", 0))


SAMPLE_FILE = "machine-speed.toml"


def save_sample(data_dir: Path, sample: SpeedSample) -> None:
    """Remember the last measurement, so speech `auto` can tell a starved machine without measuring."""
    import tomli_w

    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{SAMPLE_FILE}.tmp"
    tmp.write_text(tomli_w.dumps(dataclasses.asdict(sample)), encoding="utf-8")
    tmp.replace(data_dir / SAMPLE_FILE)


def load_sample(data_dir: Path) -> SpeedSample | None:
    import tomllib

    try:
        data = tomllib.loads((data_dir / SAMPLE_FILE).read_text(encoding="utf-8"))
        return SpeedSample(
            str(data["model"]), int(data["model_bytes"]), float(data["tokens_per_s"]), int(data["threads"])
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return None


def _estimate(sample: SpeedSample, entry: CatalogEntry) -> float:
    return sample.tokens_per_s * sample.model_bytes / max(entry.size, 1)


def _suggestion_ms(tokens_per_s: float) -> float:
    return SUGGESTION_TOKENS * 1000.0 / max(tokens_per_s, 1e-6)


def _quant_fits_cpu(entry: CatalogEntry, hw: Hardware) -> bool:
    """Q4_0 builds are repacked for ARM NEON/dotprod; on x86 the K-quants are the better pick."""
    return entry.arm_optimised == hw.arm


def _completion(entries: list[CatalogEntry], hw: Hardware, sample: SpeedSample | None) -> list[Recommendation]:
    out = []
    for entry in entries:
        if entry.ram_mb > hw.ram_available_mb * RAM_SHARE:
            reason = f"needs ~{entry.ram_mb} MB RAM; {hw.ram_available_mb} MB available"
            out.append(Recommendation("completion", entry.id, entry.name, "too big", reason))
            continue
        if sample is None:
            reason = "speed not measured (no completion model installed); size suggests " + (
                "it fits" if entry.params_m <= 150 else "it may be slow"
            )
            out.append(Recommendation("completion", entry.id, entry.name, "fits", reason))
            continue
        tps = _estimate(sample, entry)
        ms = _suggestion_ms(tps)
        fast = ms <= SUGGESTION_BUDGET_MS
        verdict = "fits" if fast else "too slow"
        how = "fast enough for live suggestions" if fast else "too slow for live suggestions on this machine"
        reason = f"{entry.name}: ~{tps:.0f} tok/s here, suggestions ~{ms:.0f} ms — {how}"
        if fast and not _quant_fits_cpu(entry, hw):
            reason += " (another quantisation of it suits this CPU better)"
        out.append(Recommendation("completion", entry.id, entry.name, verdict, reason, round(tps, 1)))
    return _crown(out, entries, hw)


def _crown(recs: list[Recommendation], entries: list[CatalogEntry], hw: Hardware) -> list[Recommendation]:
    """Recommend the biggest model that is fast enough (and suits the CPU), or else the fastest one.

    Too-slow models then name the one to keep, as in "…too slow here; keep SmolLM2-135M".
    """
    by_id = {e.id: e for e in entries}
    fitting = [r for r in recs if r.verdict == "fits" and _quant_fits_cpu(by_id[r.catalog_id], hw)]
    fitting = fitting or [r for r in recs if r.verdict == "fits"]
    if fitting:
        best = max(fitting, key=lambda r: (by_id[r.catalog_id].params_m, -by_id[r.catalog_id].size))
        best_reason = best.reason
    else:
        measured = [r for r in recs if r.verdict == "too slow"]
        if not measured:
            return recs
        best = max(measured, key=lambda r: r.est_tokens_per_s or 0.0)
        best_reason = best.reason + "; still the fastest choice here (a longer debounce or fewer tokens helps)"
    out = []
    for r in recs:
        if r is best:
            r = dataclasses.replace(r, verdict="recommended", reason=best_reason)
        elif r.verdict == "too slow":
            r = dataclasses.replace(r, reason=f"{r.reason}; keep {best.name}")
        out.append(r)
    return out


def _by_language(kind: str, entries: list[CatalogEntry], hw: Hardware, languages: set[str]) -> list[Recommendation]:
    out = []
    for entry in entries:
        wanted = bool(languages & set(entry.languages)) if kind == "stt" else set(entry.languages) <= languages
        if entry.ram_mb > hw.ram_available_mb * RAM_SHARE:
            verdict, reason = "too big", f"needs ~{entry.ram_mb} MB RAM; {hw.ram_available_mb} MB available"
        elif wanted:
            what = "real-time speech on small models" if kind == "stt" else "int8 translation"
            verdict, reason = "recommended", f"{entry.name}: matches your languages; {hw.cores} cores suit {what}"
        else:
            verdict, reason = "fits", f"{entry.name}: fits this machine; not one of your languages"
        out.append(Recommendation(kind, entry.id, entry.name, verdict, reason))
    return out


def recommend(
    catalog: Catalog, hw: Hardware, sample: SpeedSample | None, *, languages: tuple[str, ...] = ("en",)
) -> list[Recommendation]:
    """Completion by measured speed; speech and translation by the user's languages and RAM."""
    wanted = set(languages)
    recs = _completion(catalog.of_kind("completion"), hw, sample)
    recs += _by_language("stt", catalog.of_kind("stt"), hw, wanted)
    recs += _by_language("translation", catalog.of_kind("translation"), hw, wanted)
    return recs
