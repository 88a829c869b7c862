"""Final text of an utterance from a server's OpenAI `/v1/audio/transcriptions` route
(faster-whisper-server / speaches, whisper.cpp's server, vLLM with a Whisper model, LocalAI).

Only the final text: the partial text while the user speaks stays with the local engine
(server_select.HybridSpeechEngine), so the words appear live and only the last step waits on the network.
"""

from __future__ import annotations

import io
import logging
import time
import wave

from slm_desktop.engines.base import Transcript
from slm_desktop.engines.openai_server import ServerClient, ServerConfig, ServerError

log = logging.getLogger(__name__)

ROUTE = "/v1/audio/transcriptions"


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    """Mono 16-bit PCM in a WAV container, the format every Whisper server accepts."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


class ServerTranscriber:
    """Nothing is sent when built (Whisper servers often have no /v1/models); each call is one upload."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.client = ServerClient(config)
        self.model = config.model or "whisper-1"
        self.name = f"server:{self.client.host}"

    def transcribe(self, pcm: bytes, *, rate: int = 16000, language: str = "", prompt: str = "") -> Transcript:
        seconds = len(pcm) / 2 / rate
        if not pcm:
            return Transcript("", engine=self.name, model=self.model)
        started = time.perf_counter()
        form = {"model": self.model, "response_format": "json"}
        if language:
            form["language"] = language
        if prompt:
            form["prompt"] = prompt[-800:]
        files = {"file": ("speech.wav", wav_bytes(pcm, rate), "audio/wav")}
        wait = self.config.first_token_timeout_s + seconds  # a server slower than real time is no help
        reply = self.client.post_json(ROUTE, {}, data=form, files=files, read_timeout_s=wait)
        if "text" not in reply:
            raise ServerError(f"server {self.client.host} sent no text from {ROUTE}", "reply")
        return Transcript(
            text=str(reply["text"]).strip(),
            engine=self.name,
            model=self.model,
            audio_seconds=seconds,
            decode_seconds=time.perf_counter() - started,
            language=str(reply.get("language") or language),
        )

    def close(self) -> None:
        self.client.close()
