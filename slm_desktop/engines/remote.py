"""Run a speech engine in a child process, so its decoder never holds this process's GIL.

PocketSphinx decodes with the GIL held: in live translation, where it runs continuously beside the
GUI, that shows as event-loop stalls. Behind this proxy the GUI process only pickles 20 ms chunks
and waits on a pipe (which releases the GIL). Same SpeechEngine protocol; the engine class is
named as "module:Class" and built from its (picklable) config dataclass in the child.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from slm_desktop.cancel import Cancelled
from slm_desktop.engines.base import Transcript, streams_recordings
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 30.0


def _serve(engine_path: str, config: Any, conn) -> None:
    """The child: build the engine, then answer start/accept/finish/close until told to stop. If the app quits
    without saying so (killed, or closed mid-decode), the pipe breaks: the child ends quietly, no traceback."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, EOFError):
        _serve_engine(engine_path, config, conn)


def _serve_engine(engine_path: str, config: Any, conn) -> None:
    module, name = engine_path.split(":")
    try:
        engine = getattr(importlib.import_module(module), name)(config)
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", engine.name, engine.model, engine.sample_rate, streams_recordings(engine)))
    utterance = None
    while True:
        op, *args = conn.recv()
        try:
            if op == "recording":
                _transcribe_recording(engine, conn)
            elif op == "start":
                utterance = engine.start(grammar=args[0], context=args[1])
                conn.send(("ok",))
            elif op == "accept":
                conn.send(("partial", utterance.accept(args[0], preview=args[1])))
            elif op == "finish":
                conn.send(("final", utterance.finish()))
                utterance = None
            elif op == "close":
                engine.close()
                conn.send(("ok",))
                return
        except Exception as exc:
            conn.send(("error", f"{exc.__class__.__name__}: {exc}"))


class _Aborted(Exception):
    pass


def _chunks_from(conn) -> Iterator[bytes]:
    """The parent's chunks as they arrive, until it says the recording ended (or was cancelled)."""
    while True:
        op, *args = conn.recv()
        if op == "chunk":
            yield args[0]
        elif op == "end":
            return
        else:
            raise _Aborted


def _transcribe_recording(engine, conn) -> None:
    try:
        transcript = engine.transcribe_chunks(_chunks_from(conn), on_audio=lambda s: conn.send(("audio", s)))
    except _Aborted:
        conn.send(("aborted",))
        return
    conn.send(("final", transcript))


class RemoteUtterance:
    def __init__(self, engine: ProcessSpeechEngine):
        self._engine = engine

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        return self._engine.call("accept", pcm, preview)[1]

    def finish(self) -> Transcript:
        return self._engine.call("finish")[1]


class ProcessSpeechEngine:
    """A SpeechEngine whose decoding runs in a spawned child process."""

    def __init__(self, engine_path: str, config: Any):
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(engine_path, config, child), daemon=True)
        self._process.start()
        child.close()
        _, self.name, self.model, self.sample_rate, self.streams_recordings = self._receive(START_TIMEOUT_S)

    def _receive(self, timeout: float | None) -> tuple:
        """timeout None: as long as the child lives (a recording's last window may take a while)."""
        try:
            while timeout is None and not self._conn.poll(1.0):
                if not self._process.is_alive():
                    raise EOFError
            if timeout is not None and not self._conn.poll(timeout):
                raise ModelError("the speech engine process did not answer in time")
            reply = self._conn.recv()
        except (EOFError, OSError):
            raise ModelError(f"the speech engine process stopped (exit code {self._process.exitcode})") from None
        if reply[0] == "error":
            raise ModelError(reply[1])
        return reply

    def call(self, *message, expect_reply: bool = True) -> tuple:
        self._send(*message)
        return self._receive(CALL_TIMEOUT_S) if expect_reply else ()

    def _send(self, *message) -> None:
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            raise ModelError(f"the speech engine process stopped (exit code {self._process.exitcode})") from None

    def transcribe_chunks(
        self, chunks: Iterable[bytes], *, on_audio: Callable[[float], None] | None = None
    ) -> Transcript:
        """A long recording streamed to the child (only where `streams_recordings`): chunks go out as the
        child takes them, its progress comes back in between. A Cancelled raised by `chunks` tells the child
        to drop the recording, and the engine stays usable."""
        self.call("recording", expect_reply=False)
        try:
            for pcm in chunks:
                self._send("chunk", pcm)
                self._drain(on_audio, wait=False)
        except Cancelled:
            self._send("abort")
            self._drain(on_audio, wait=True)
            raise
        self._send("end")
        return self._drain(on_audio, wait=True)[1]

    def _drain(self, on_audio: Callable[[float], None] | None, *, wait: bool) -> tuple:
        """Progress replies until the last one ("final" or "aborted"); without `wait`, only what has come."""
        while wait or self._conn.poll(0):
            reply = self._receive(None)
            if reply[0] != "audio":
                return reply
            if on_audio is not None:
                on_audio(reply[1])
        return ()

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> RemoteUtterance:
        self.call("start", list(grammar) if grammar else None, context)
        return RemoteUtterance(self)

    def close(self) -> None:
        try:
            if self._process.is_alive():
                self.call("close")
        except ModelError:
            log.debug("speech engine process already gone")
        self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()
        self._conn.close()
