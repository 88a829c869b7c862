"""`slm-desktop bench file`: a recording transcribed by faster-whisper alone and by the app's file path.

The app's path is what File → Transcribe Audio File and `slm-desktop transcribe` run: the speech engine the
settings choose, in the child process the window uses, fed 0.2 s chunks by `transcription.transcribe_file`
(28 s windows cut at quiet points, Silero regions, word times). The raw path is faster-whisper's own
`transcribe()` on the same file with the same model, beam, VAD and word times. They alternate, file by file,
so both see the same host load; the report gives each one's p50, their ratio and each one's word error rate.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
import wave
from collections.abc import Sequence
from pathlib import Path

from slm_desktop.bench.live import write_wav
from slm_desktop.bench.speech import LIBRIVOX, librivox
from slm_desktop.bench.wer import word_error_rate
from slm_desktop.config import SpeechSettings
from slm_desktop.errors import UserError
from slm_desktop.paths import AppPaths

PASSAGE = ("0870", "0880", "0890", "0920", "0930")  # the five librivox clips, 24.7 s
READINGS = 2  # read twice: 49.5 s, over one 28 s window (and a passage that repeats, as recordings do)
DEFAULT_REPEAT = 3
MODELS = ("whisper-tiny-en", "whisper-base")


def read_aloud(clips: Sequence[Path], path: Path, *, times: int = 1) -> Path:
    """The clips one after another, `times` over, as one WAV (the librivox clips are 16 kHz mono int16)."""
    frames = b""
    for clip in clips:
        with wave.open(str(clip)) as source:
            frames += source.readframes(source.getnframes())
    return write_wav(frames * times, path)


def _recording(folder: Path) -> tuple[Path, str]:
    """The passage read READINGS times as one WAV, and what is said in it."""
    refs = librivox()
    clips = [LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{n}.wav" for n in PASSAGE]
    path = read_aloud(clips, folder / "passage.wav", times=READINGS)
    return path, " ".join([" ".join(refs[c] for c in clips)] * READINGS)


class _Raw:
    """faster-whisper alone, loaded once, decoding the whole file its own way."""

    def __init__(self, model: Path, beam_size: int, threads: int):
        from faster_whisper import WhisperModel

        self.beam_size = beam_size
        self.model = WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=threads)

    def transcribe(self, path: Path) -> str:
        segments, _info = self.model.transcribe(
            str(path), language="en", beam_size=self.beam_size, vad_filter=True, word_timestamps=True
        )
        return " ".join(s.text.strip() for s in segments)


def _timed(call) -> tuple[float, str]:
    start = time.perf_counter()
    text = call()
    return (time.perf_counter() - start) * 1000, text


def _bench_model(name: str, paths: AppPaths, recording: Path, reference: str, repeat: int) -> dict:
    from slm_desktop.engines.speech_select import choose_speech_engine
    from slm_desktop.transcription import transcribe_file

    choice = choose_speech_engine(SpeechSettings(engine="whisper", language="en"), paths, model=name)
    choice = dataclasses.replace(choice, partials=False, word_times=True, second_opinion=None)
    config = choice.whisper_config()
    raw = _Raw(choice.model, config.beam_size, config.threads)
    app = choice.create()  # the window's: a child process
    try:
        raw_ms, app_ms, raw_text, app_text = [], [], "", ""
        for _ in range(repeat):
            ms, app_text = _timed(lambda: transcribe_file(app, recording).text)
            app_ms.append(ms)
            ms, raw_text = _timed(lambda: raw.transcribe(recording))
            raw_ms.append(ms)
    finally:
        app.close()
    audio_s = _seconds(recording)
    return {
        "model": name,
        "audio s": audio_s,
        "raw p50 ms": statistics.median(raw_ms),
        "app p50 ms": statistics.median(app_ms),
        "app/raw": statistics.median(a / r for a, r in zip(app_ms, raw_ms, strict=True)),
        "app RTF": statistics.median(app_ms) / 1000 / audio_s,
        "raw WER": word_error_rate(reference, raw_text),
        "app WER": word_error_rate(reference, app_text),
    }


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as source:
        return source.getnframes() / source.getframerate()


def run(args) -> dict:
    paths = args.paths
    installed = [name for name in MODELS if paths.find_model(name) is not None]
    if not installed:
        raise UserError("bench file needs a Whisper model: slm-desktop models install whisper-tiny-en")
    repeat = args.repeat or DEFAULT_REPEAT
    with tempfile.TemporaryDirectory(prefix="slm-bench-file-") as folder:
        recording, reference = _recording(Path(folder))
        rows = [_bench_model(name, paths, recording, reference, repeat) for name in installed]
    return {"recording": f"5 librivox clips read {READINGS} times", "repeat": repeat, "table": rows}
