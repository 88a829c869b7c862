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
from collections.abc import Sequence
from pathlib import Path

from slm_desktop.audio.wav import read_info, read_pcm16k
from slm_desktop.bench.live import write_wav
from slm_desktop.bench.speech import LIBRIVOX, RawWhisper, librivox
from slm_desktop.bench.wer import word_error_rate
from slm_desktop.config import SpeechSettings
from slm_desktop.errors import UserError
from slm_desktop.paths import AppPaths

PASSAGE = ("0870", "0880", "0890", "0920", "0930")  # the five librivox clips, 24.7 s
READINGS = 2  # read twice: 49.5 s, over one 28 s window (and a passage that repeats, as recordings do)
DEFAULT_REPEAT = 3
MODELS = ("whisper-tiny-en", "whisper-base")


def read_aloud(clips: Sequence[Path], path: Path, *, times: int = 1) -> Path:
    """The clips one after another, `times` over, as one 16 kHz WAV."""
    return write_wav(b"".join(read_pcm16k(clip) for clip in clips) * times, path)


def _recording(folder: Path) -> tuple[Path, str]:
    """The passage read READINGS times as one WAV, and what is said in it."""
    refs = librivox()
    clips = [LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{n}.wav" for n in PASSAGE]
    path = read_aloud(clips, folder / "passage.wav", times=READINGS)
    return path, " ".join([" ".join(refs[c] for c in clips)] * READINGS)


def _raw_transcribe(model, path: Path, beam_size: int) -> str:
    """faster-whisper alone, decoding the whole file its own way."""
    segments, _info = model.transcribe(
        str(path), language="en", beam_size=beam_size, vad_filter=True, word_timestamps=True
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
    beam_size = choice.whisper_config().beam_size
    raw = RawWhisper(choice.model).model  # loaded as bench speech loads it: int8, 2 threads
    app = choice.create()  # the window's: a child process
    try:
        raw_ms, app_ms, raw_text, app_text = [], [], "", ""
        for _ in range(repeat):
            ms, app_text = _timed(lambda: transcribe_file(app, recording).text)
            app_ms.append(ms)
            ms, raw_text = _timed(lambda: _raw_transcribe(raw, recording, beam_size))
            raw_ms.append(ms)
    finally:
        app.close()
    audio_s = read_info(recording).seconds
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
