"""Parts of `bench speech` beyond latency: spoken commands end to end, int8 vs float32, the app's memory
with the default models, and Silero vs the project's energy VAD on speech with silence and noise."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from slm_desktop.audio.resample import int16_to_float
from slm_desktop.bench import percentile
from slm_desktop.bench.wer import corpus_wer
from slm_desktop.paths import resources_dir

COMMANDS = 120  # held-out command phrasings, one per paraphrase group (of 261), spoken by espeak-ng
OUT_OF_SCOPE = 40  # held-out phrasings that are no command, spoken too: none may act


def whisper_transcripts(model: Path, refs: dict[Path, str], *, compute_type: str = "int8") -> list:
    from slm_desktop.audio.wav import read_pcm16k
    from slm_desktop.engines.whisper_engine import WhisperConfig, WhisperEngine

    engine = WhisperEngine(WhisperConfig(model, compute_type=compute_type, language="en", partials=False))
    try:
        return [engine.transcribe_array(int16_to_float(read_pcm16k(wav))) for wav in refs]
    finally:
        engine.close()


def held_out_commands(count: int = COMMANDS) -> list[tuple[str, str]]:
    """(text, intent): the first phrasing of evenly spaced paraphrase groups of the held-out set."""
    groups: dict[str, tuple[str, str]] = {}
    for row in _held_out_rows():
        if row["intent"] != "out_of_scope":
            groups.setdefault(row["group"], (row["text"], row["intent"]))
    ordered = list(groups.values())
    step = max(1, len(ordered) // count)
    return ordered[::step][:count]


def held_out_out_of_scope(count: int = OUT_OF_SCOPE) -> list[str]:
    """Evenly spaced held-out phrasings that are no command (dictated sentences that must not act)."""
    texts = [row["text"] for row in _held_out_rows() if row["intent"] == "out_of_scope"]
    return texts[:: max(1, len(texts) // count)][:count]


def _held_out_rows() -> list[dict]:
    return [json.loads(line) for line in (resources_dir() / "intents" / "test.jsonl").read_text().splitlines()]


def render_speech(text: str, out: Path, *, voice: str = "en-us", speed: int = 150, rate: int = 16000) -> Path:
    """espeak-ng speech, resampled with sox to a 16-bit mono WAV at `rate` (the bench's and the tests')."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    # -D: no dither, whose random noise makes every rendering (and what a recogniser hears) differ
    subprocess.run(["sox", "-q", "-D", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()
    return out


def _speak(text: str, folder: Path, index: int) -> Path:
    return render_speech(text, folder / f"{index}.wav")


def commands_accuracy(args, whisper_models: list[Path]) -> list[dict]:
    """Speech -> the shipped intent model, as `slm-desktop command` does, per engine: held-out commands
    understood, held-out non-commands kept out, and the decode time per utterance."""
    from slm_desktop.commands.intents import make_engine
    from slm_desktop.engines.speech_select import SpeechChoice

    spoken = [*held_out_commands(), *((text, "out_of_scope") for text in held_out_out_of_scope())]
    intents = make_engine(args.paths)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wavs = [_speak(text, Path(tmp), i) for i, (text, _) in enumerate(spoken)]
        choices = [
            (
                f"whisper {m.name} (vocabulary prompt)",
                SpeechChoice("whisper", m, language="en", in_process=True, partials=False),
            )
            for m in whisper_models
        ]
        choices += _second_opinion_choices(args, whisper_models)
        choices.append(("pocketsphinx en-us (command grammar)", SpeechChoice("pocketsphinx", None)))
        for label, choice in choices:
            rows.append({"engine": label, **_understood(choice, wavs, spoken, intents)})
    intents.close()
    return rows


def _understood(choice, wavs: list[Path], spoken: list[tuple[str, str]], intents) -> dict:
    from slm_desktop.commands.intents import command_vocabulary, parse_heard
    from slm_desktop.transcription import transcribe_file

    engine = choice.create()
    grammar = command_vocabulary()  # Whisper: a prompt of its words; PocketSphinx: the grammar
    right = kept_out = commands = 0
    decode_ms = []
    try:
        for wav, (_text, intent) in zip(wavs, spoken, strict=True):
            heard = transcribe_file(engine, wav, grammar=grammar)
            decode_ms.append(heard.decode_seconds * 1000)
            understood = parse_heard(intents, heard.text, heard.hypotheses).intent
            commands += intent != "out_of_scope"
            right += intent != "out_of_scope" and understood == intent
            kept_out += intent == "out_of_scope" and understood == "out_of_scope"
    finally:
        engine.close()
    return {
        "right": right,
        "of": commands,
        "accuracy": right / commands,
        "out_of_scope_kept_out": kept_out,
        "out_of_scope_of": len(spoken) - commands,
        "second_opinions": getattr(engine, "second_opinions", 0),
        "decode_ms_p50": round(percentile(decode_ms, 50)),
        "decode_ms_p95": round(percentile(decode_ms, 95)),
    }


def second_opinion_beside(args, model: Path) -> Path | None:
    """What the app pairs with `model` for commands when the language is English (speech_select's rule)."""
    from slm_desktop.config import SpeechSettings
    from slm_desktop.engines.speech_select import second_opinion_for

    return second_opinion_for(args.paths, SpeechSettings(language="en"), model)


def _second_opinion_choices(args, whisper_models: list[Path]) -> list[tuple[str, object]]:
    """The app's default for commands beside base: tiny.en hears the ones base is unsure of."""
    from slm_desktop.engines.speech_select import SpeechChoice

    rows = []
    for model in whisper_models:
        second = second_opinion_beside(args, model)
        if second is not None:
            label = f"whisper {model.name} + {second.name} second opinion (the app's default)"
            choice = SpeechChoice("whisper", model, language="en", in_process=True, partials=False)
            rows.append((label, dataclasses.replace(choice, second_opinion=second)))
    return rows


def compute_types(model: Path, refs: dict[Path, str]) -> list[dict]:
    """The seed's compression trade-off, measured: CTranslate2 int8 against float32 on the same model."""
    rows = []
    for compute_type in ("int8", "float32"):
        start = time.perf_counter()
        transcripts = whisper_transcripts(model, refs, compute_type=compute_type)
        audio = sum(t.audio_seconds for t in transcripts)
        decode = sum(t.decode_seconds for t in transcripts)
        rows.append(
            {
                "model": model.name,
                "compute_type": compute_type,
                "weights_mb_in_memory": round(
                    (model / "model.bin").stat().st_size / 1e6 / (2 if compute_type == "int8" else 0.5), 1
                ),
                "rtf": round(decode / audio, 3),
                "wer": round(corpus_wer([(r, t.text) for r, t in zip(refs.values(), transcripts, strict=True)]), 3),
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    return rows


RSS_SCRIPT = """
import os, sys, resource, pathlib
from slm_desktop.paths import AppPaths
from slm_desktop.commands.intents import make_engine
from slm_desktop.completion import DEFAULT_MODEL
from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
from slm_desktop.engines.whisper_engine import WhisperConfig, WhisperEngine
from slm_desktop.audio.wav import read_pcm16k
import numpy as np
paths = AppPaths.from_environment(os.environ)
llm = LlamaCompletionEngine(LlamaConfig(model_path=paths.find_model(DEFAULT_MODEL)))
llm.complete("Thank you for the", max_tokens=8)
intent = make_engine(paths)
intent.classify("make the text bigger")
second = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 else None
whisper = WhisperEngine(WhisperConfig(pathlib.Path(sys.argv[1]), second_opinion_path=second))
pcm = read_pcm16k(sys.argv[2])
whisper.transcribe_array(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0)
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024
print(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def rss_with_default_models(args, whisper_model: Path, second_opinion: Path | None = None) -> dict:
    """The default completion model, the intent model and Whisper (with tiny.en for unsure commands, as the
    app loads it beside base) in one process, after one job each (in the GUI, Whisper decodes in a child:
    the sum of the two processes is about this, plus one runtime)."""
    from slm_desktop.bench.speech import LIBRIVOX, SHORT_CLIPS

    clip = LIBRIVOX / SHORT_CLIPS[0]
    second = [str(second_opinion)] if second_opinion is not None else []
    command = [sys.executable, "-c", RSS_SCRIPT, str(whisper_model), str(clip), *second]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    rss, peak = (int(v) for v in done.stdout.split()[-2:])
    return {
        "whisper": whisper_model.name,
        "second_opinion": second_opinion.name if second_opinion else None,
        "rss_mb": rss,
        "peak_rss_mb": peak,
        "target_mb": 600,
    }


def _material(refs: dict[Path, str], rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    """The librivox clips separated by 2 s gaps of silence, of white noise (-35 dBFS) and of breathing-
    like noise bursts, in turn; returns the audio and a per-sample truth mask (True inside a clip)."""
    from slm_desktop.audio.wav import read_pcm16k

    rng = np.random.default_rng(1)
    pieces, truth = [], []
    gap = 2 * rate
    for index, wav in enumerate(list(refs) * 2):
        kind = index % 3
        noise = np.zeros(gap) if kind == 0 else rng.standard_normal(gap) * (0.018 if kind == 1 else 0.03)
        if kind == 2:
            noise *= np.clip(np.sin(np.linspace(0, 2 * np.pi * 1.3, gap)), 0, None)
        clip = int16_to_float(read_pcm16k(wav))
        pieces += [noise.astype(np.float32), clip]
        truth += [np.zeros(gap, bool), np.ones(clip.size, bool)]
    pieces.append(np.zeros(gap, np.float32))
    truth.append(np.zeros(gap, bool))
    return np.concatenate(pieces), np.concatenate(truth)


def _mask(spans: list[tuple[int, int]], size: int) -> np.ndarray:
    mask = np.zeros(size, bool)
    for start, end in spans:
        mask[start:end] = True
    return mask


def vad_comparison(refs: dict[Path, str]) -> list[dict]:
    """Frame-level speech recall and false alarms, and how many phrases each detector cuts."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from slm_desktop.audio.vad import END, START, EnergyVad

    audio, truth = _material(refs)
    rows = []
    start = time.perf_counter()
    vad, spans, opened = EnergyVad(), [], None
    pcm = (audio * 32767).astype("<i2").tobytes()
    for event in [*vad.accept(pcm), *vad.flush()]:
        if event.kind == START:
            opened = event.sample
        elif event.kind == END and opened is not None:
            spans.append((opened, event.sample))
            opened = None
    rows.append(_vad_row("energy (audio/vad.py)", spans, truth, time.perf_counter() - start, audio.size))
    rows.append(_streaming_silero(pcm, truth, audio.size))
    start = time.perf_counter()
    found = get_speech_timestamps(
        audio, VadOptions(threshold=0.5, min_speech_duration_ms=120, min_silence_duration_ms=600, speech_pad_ms=200)
    )
    spans = [(c["start"], c["end"]) for c in found]
    rows.append(_vad_row("Silero v6 (faster-whisper)", spans, truth, time.perf_counter() - start, audio.size))
    return rows


def _streaming_silero(pcm: bytes, truth: np.ndarray, size: int) -> dict:
    """The detector live translation uses with Whisper, fed in 20 ms pieces as the microphone does."""
    from slm_desktop.audio.silero import SileroVad
    from slm_desktop.audio.vad import END, START

    start = time.perf_counter()
    vad, spans, opened = SileroVad(), [], None
    events = [e for offset in range(0, len(pcm), 640) for e in vad.accept(pcm[offset : offset + 640])]
    for event in [*events, *vad.flush()]:
        if event.kind == START:
            opened = event.sample
        elif event.kind == END and opened is not None:
            spans.append((opened, event.sample))
            opened = None
    return _vad_row("Silero v6, streaming (audio/silero.py, live)", spans, truth, time.perf_counter() - start, size)


def _vad_row(name: str, spans, truth: np.ndarray, seconds: float, size: int) -> dict:
    mask = _mask(spans, size)
    return {
        "vad": name,
        "speech_recall": round(float((mask & truth).sum() / truth.sum()), 3),
        "false_alarm": round(float((mask & ~truth).sum() / (~truth).sum()), 3),
        "phrases": len(spans),
        "clips": 10,
        "ms_per_audio_s": round(seconds * 1000 / (size / 16000), 2),
    }
