"""Dictation with a server: partial text from the real local engine while speaking, the final text from a
Whisper-style /v1/audio/transcriptions server (here backed by a real PocketSphinx), the local final text when
the server is down."""

from __future__ import annotations

import io
import wave

from server_support import TranscriptionServer, free_port
from speech_support import librivox_references

from slm_desktop.audio.wav import iter_pcm16k
from slm_desktop.config import ServerSettings
from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine
from slm_desktop.server_select import HybridSpeechEngine, ServerSwitch


def _dictate(engine, wav) -> tuple[list[str], object]:
    utterance = engine.start()
    partials = [utterance.accept(pcm) for pcm in iter_pcm16k(wav, rate=engine.sample_rate)]
    return partials, utterance.finish()


def test_partials_stay_local_final_text_from_the_server_and_local_when_it_is_down():
    wav = next(w for w in librivox_references() if w.name.endswith("0880.wav"))
    remote_engine = SphinxEngine(SphinxConfig())

    def transcribe(data: bytes) -> str:
        with wave.open(io.BytesIO(data)) as clip:
            pcm = clip.readframes(clip.getnframes())
        utterance = remote_engine.start()
        utterance.accept(pcm)
        return utterance.finish().text

    server = TranscriptionServer(transcribe)
    messages: list[str] = []
    switch = ServerSwitch(notify=messages.append)
    busy = 30.0  # the shared test machine is busy: the server decodes on the same two cores
    switch.set(ServerSettings(enabled=True, url=server.url, speech=True, first_token_timeout_s=busy))
    engine = HybridSpeechEngine(SphinxEngine(SphinxConfig()), switch)
    try:
        partials, final = _dictate(engine, wav)
        assert any(partials), "no partial text while speaking"
        assert final.engine == f"server:{server.url[7:]}" and final.text
        assert len(server.uploads) == 1 and server.uploads[0]["model"] == "whisper-1"
        port = free_port()
        switch.set(ServerSettings(enabled=True, url=f"http://127.0.0.1:{port}", speech=True))
        _, local_final = _dictate(engine, wav)
        assert local_final.engine == "pocketsphinx" and local_final.text == final.text
        assert messages == [
            f"server 127.0.0.1:{port} cannot be reached (connection refused); speech uses the local engine, "
            "server retried in 5 s"
        ]
    finally:
        engine.close()
        server.close()
        remote_engine.close()
