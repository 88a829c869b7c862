"""Pipeline plumbing with a fake speech engine and a counting translator (real engines: integration)."""

from __future__ import annotations

import pytest
from live_support import join_clips

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.base import Transcript
from slm_desktop.live import FINAL, PARTIAL, TRANSLATED, LivePipeline


class CountingUtterance:
    """'Recognises' the number of bytes it heard, so each phrase has its own text."""

    def __init__(self, engine):
        self.engine = engine
        self.size = 0

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        self.size += len(pcm)
        return f"hearing {self.size // 16000}"

    def finish(self) -> Transcript:
        self.engine.finished += 1
        return Transcript(f"phrase of {self.size} bytes", audio_seconds=self.size / 32000)


class FakeSpeech:
    name, sample_rate = "fake", 16000

    def __init__(self):
        self.finished = 0

    def start(self, *, grammar=None):
        return CountingUtterance(self)

    def close(self):
        pass


def run(pcm: bytes, translate, chunk: int = 640, cancel=None):
    events = []
    pipeline = LivePipeline(FakeSpeech(), translate, on_event=events.append, cancel=cancel)
    for offset in range(0, len(pcm), chunk):
        pipeline.feed(pcm[offset : offset + chunk])
    pipeline.cut()
    return events


def test_each_phrase_is_translated_once_and_in_order_and_partials_never():
    asked = []
    events = run(join_clips(3).pcm, lambda text, cancel: asked.append(text) or text.upper())
    finals = [e for e in events if e.kind == FINAL]
    translated = [e for e in events if e.kind == TRANSLATED]
    assert [e.phrase for e in finals] == [e.phrase for e in translated] == [0, 1, 2]
    assert asked == [e.text for e in finals]  # once each, in order; no partial was sent
    assert [e.text for e in translated] == [e.text.upper() for e in finals]
    assert all(e.source == f.text and e.cut_at == f.cut_at for e, f in zip(translated, finals, strict=True))
    assert any(e.kind == PARTIAL for e in events)
    kinds = [e.kind for e in events if e.phrase == 1]
    assert kinds.index(FINAL) > kinds.index(PARTIAL) and kinds[-1] == TRANSLATED


def test_the_phrase_holds_all_of_its_audio_whatever_the_chunk_size():
    pcm = join_clips(2).pcm
    sizes = {chunk: [e.text for e in run(pcm, lambda t, c: t, chunk) if e.kind == FINAL] for chunk in (320, 4000)}
    assert sizes[320] == sizes[4000] and len(sizes[320]) == 2


def test_cancelling_stops_before_the_next_translation():
    token = CancelToken()

    def translate(text, cancel):
        token.cancel()  # the user stops while the first phrase is being translated
        return text

    with pytest.raises(Cancelled):
        run(join_clips(3).pcm, translate, cancel=token)


def test_an_empty_final_withdraws_the_partial_and_is_not_translated():
    class Silent(FakeSpeech):
        def start(self, *, grammar=None):
            utterance = CountingUtterance(self)
            utterance.finish = lambda: Transcript("")
            return utterance

    events, asked = [], []
    pipeline = LivePipeline(Silent(), lambda t, c: asked.append(t) or t, on_event=events.append)
    pipeline.feed(join_clips(1).pcm)
    pipeline.cut()
    assert asked == [] and pipeline.phrases == 0
    assert [e.text for e in events if e.kind == FINAL] == [""]


def test_run_stops_on_cancel_even_when_the_source_is_silent():
    class Silent:
        def preroll(self, pressed_at=None):
            return None

        def read(self, timeout=0.05):
            token.cancel()  # the window closes while nothing arrives
            return None

    token = CancelToken()
    pipeline = LivePipeline(FakeSpeech(), lambda t, c: t, on_event=lambda e: None, cancel=token)
    with pytest.raises(Cancelled):
        pipeline.run(Silent())
