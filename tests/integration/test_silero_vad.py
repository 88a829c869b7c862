"""The streaming Silero detector that cuts live phrases for Whisper: same probabilities as faster-whisper's
batch call whatever the chunking, phrases at the clips, nothing in noise."""

from __future__ import annotations

import numpy as np
from speech_support import librivox_references

from slm_desktop.audio.silero import SileroVad
from slm_desktop.audio.vad import END, START, EnergyVad
from slm_desktop.audio.wav import read_pcm16k


def _clips() -> list[np.ndarray]:
    return [np.frombuffer(read_pcm16k(w), dtype="<i2") for w in librivox_references()]


def test_streaming_probabilities_equal_the_batch_model_whatever_the_chunking():
    from faster_whisper.vad import get_vad_model

    audio = _clips()[0].astype(np.float32) / 32768.0
    audio = audio[: audio.size // 512 * 512]
    batch = get_vad_model()(audio).reshape(-1)
    vad = SileroVad()
    pieces = [vad.probabilities(audio[i : i + 512 * 7].reshape(-1, 512)) for i in range(0, audio.size, 512 * 7)]
    assert np.allclose(np.concatenate(pieces), batch, atol=1e-5)


def _spans(vad, pcm: bytes) -> list[tuple[float, float]]:
    events = [e for i in range(0, len(pcm), 640) for e in vad.accept(pcm[i : i + 640])] + vad.flush()
    spans, opened = [], None
    for event in events:
        if event.kind == START:
            opened = event.sample
        elif event.kind == END and opened is not None:
            spans.append((opened / 16000, event.sample / 16000))
    return spans


def test_one_phrase_per_clip_and_none_in_white_noise_gaps_where_the_energy_detector_merges():
    rng = np.random.default_rng(2)
    gap = (rng.standard_normal(32000) * 600).astype("<i2")  # -35 dBFS white noise, 2 s
    clips = _clips()
    stream = np.concatenate([gap, *(x for clip in clips for x in (clip, gap))]).astype("<i2").tobytes()
    silero = _spans(SileroVad(), stream)
    assert len(silero) == len(clips), silero
    t = 2.0
    for (start, end), clip in zip(silero, clips, strict=True):
        assert t - 0.3 <= start <= t + 0.5 and end <= t + clip.size / 16000 + 0.3, (start, end, t)
        t += clip.size / 16000 + 2.0
    assert len(_spans(EnergyVad(), stream)) < len(clips)  # the energy floor rises into the noise: phrases merge
