"""The energy detector on real recordings with pauses: librivox clips joined with room noise."""

from __future__ import annotations

import numpy as np
import pytest
from live_support import join_clips

from slm_desktop.audio.vad import END, START, EnergyVad, VadConfig
from slm_desktop.bench.live import RATE

TOLERANCE_S = 0.35  # the pad (0.2 s) plus a soft onset or a breath at the edge
ROOM_TONE_S = 0.7  # the recordings themselves open and close with up to ~0.5 s of quiet room tone


def run_vad(pcm: bytes, config: VadConfig | None = None, chunk: int = 1920) -> list[tuple[str, float]]:
    vad = EnergyVad(config)
    events = []
    for offset in range(0, len(pcm), chunk):
        events += vad.accept(pcm[offset : offset + chunk])
    events += vad.flush()
    return [(e.kind, e.sample / RATE) for e in events]


@pytest.mark.parametrize("noise", [0.0, 30.0, 150.0])
def test_five_clips_with_pauses_give_five_utterances_at_their_boundaries(noise):
    joined = join_clips(5, noise=noise)
    events = run_vad(joined.pcm)
    kinds = [kind for kind, _ in events]
    assert kinds == [START, END] * 5, events
    for (start, end), (_, found_start), (_, found_end) in zip(joined.spans, events[::2], events[1::2], strict=True):
        assert start - TOLERANCE_S <= found_start <= start + ROOM_TONE_S, (start, found_start)
        assert end - ROOM_TONE_S <= found_end <= end + TOLERANCE_S, (end, found_end)


def test_chunk_size_does_not_change_the_events():
    pcm = join_clips(2).pcm
    assert run_vad(pcm, chunk=320) == run_vad(pcm, chunk=32000) == run_vad(pcm, chunk=333)


def test_a_short_pause_inside_a_clip_does_not_cut_it_but_a_short_hangover_does():
    joined = join_clips(5)
    assert len(run_vad(joined.pcm)) == 10
    assert len(run_vad(joined.pcm, VadConfig(min_silence_ms=100))) > 10  # the clips' own commas now cut


def test_a_click_is_not_an_utterance_and_steady_hum_raises_the_floor():
    rng = np.random.default_rng(1)
    hum = (rng.normal(0, 300, RATE * 6)).astype("<i2")  # loud steady noise (-40 dBFS)
    hum[RATE * 3 : RATE * 3 + 800] = 20000  # a 50 ms click
    vad = EnergyVad()
    assert vad.accept(hum.tobytes()) == []
    assert vad.floor_db > -45


def test_flush_closes_an_open_utterance_and_a_run_on_phrase_is_cut_at_the_limit():
    pcm = join_clips(1, pause_s=0.5).pcm
    speech_only = pcm[: int(3 * RATE) * 2]  # stop mid-clip: push-to-talk released while speaking
    events = run_vad(speech_only)
    assert [k for k, _ in events] == [START, END] and events[-1][1] == pytest.approx(3.0, abs=0.03)
    limited = run_vad(pcm, VadConfig(max_utterance_s=2.0))
    assert [k for k, _ in limited].count(END) >= 3
