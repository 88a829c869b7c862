"""`slm-desktop transcribe FILE` (WAV, MP3, FLAC, OGG, M4A; text, JSON, SRT or WebVTT) and
`slm-desktop listen --seconds N`."""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import asdict
from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.config import load_settings
from slm_desktop.engines.base import Transcript
from slm_desktop.engines.speech_select import ENGINES, choose_speech_engine
from slm_desktop.subcommands.arg_types import seconds
from slm_desktop.subcommands.server_args import add_server_flags, server_config
from slm_desktop.transcription import as_paragraphs, clock, transcribe_file


def _add_engine_flags(parser) -> None:
    parser.add_argument("--engine", choices=ENGINES, help="default: settings (auto: Whisper where installed)")
    parser.add_argument("--model", help="a model name on the search path (whisper-base, vosk-model-…) or a folder")
    parser.add_argument("--language", help="auto (detect) or a language code such as en, es (default: settings)")
    parser.add_argument("--grammar", nargs="+", metavar="WORD", help="restrict recognition to these words/phrases")
    add_json_flag(parser)


def register(sub) -> None:
    parser = sub.add_parser("transcribe", help="speech to text from an audio file (WAV, MP3, FLAC, OGG, M4A)")
    parser.add_argument("file", type=Path)
    _add_engine_flags(parser)
    add_server_flags(parser, model_help="the server's speech model (default: whisper-1)")
    subtitles = parser.add_mutually_exclusive_group()
    subtitles.add_argument("--srt", action="store_true", help="print SubRip subtitles with timestamps")
    subtitles.add_argument("--vtt", action="store_true", help="print WebVTT subtitles with timestamps")
    parser.set_defaults(func=run_transcribe)
    listen = sub.add_parser("listen", help="record from the microphone for N seconds and print the transcript")
    listen.add_argument("--seconds", type=seconds, default=5.0)
    listen.add_argument("--device", help="input device name or index (default: settings, then the system's)")
    _add_engine_flags(listen)
    listen.set_defaults(func=run_listen)


def _engine(args, *, partials: bool = True, word_times: bool = True, commands: bool = False):
    """partials=False for files: nobody watches partial text there, so Whisper only decodes at the end.
    word_times=False for commands, as push-to-talk decodes them: only the text counts.
    commands: keep the second opinion on unsure commands (a file's transcript never needs it)."""
    settings = load_settings(args.paths.settings_file).settings.speech
    if getattr(args, "language", None):
        settings = dataclasses.replace(settings, language=args.language)
    choice = choose_speech_engine(settings, args.paths, engine=args.engine, model=args.model)
    if choice.message:
        print(choice.message, file=sys.stderr)
    # in-process: no GUI here to keep responsive; words with their own times for --json/--srt/--vtt
    second = choice.second_opinion if commands else None
    chosen = dataclasses.replace(
        choice, in_process=True, partials=partials, word_times=word_times, second_opinion=second
    )
    return settings, chosen.create()


class ProgressBar:
    """Percent of the audio done on stderr, for recordings longer than a minute; a line every 10 %
    when stderr is not a terminal."""

    def __init__(self, total_seconds: float, *, stream=None):
        self.total = total_seconds
        self.stream = stream or sys.stderr
        self.enabled = total_seconds > 60
        self.tty = self.stream.isatty()
        self._shown = -1

    def __call__(self, done_seconds: float) -> None:
        if not self.enabled or not self.total:
            return
        percent = min(100, int(100 * done_seconds / self.total))
        step = percent if self.tty else percent // 10 * 10
        if step == self._shown:
            return
        self._shown = step
        bar = "#" * (percent // 5)
        where = f"{clock(done_seconds, hours=True)} / {clock(self.total, hours=True)}"
        line = f"transcribing [{bar:<20}] {percent:3d}% {where}"
        print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=self.stream, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty and self._shown >= 0:
            print(file=self.stream)


def transcript_json(transcript: Transcript, **extra) -> dict:
    return {
        "text": transcript.text,
        "words": [asdict(w) for w in transcript.words],
        "engine": transcript.engine,
        "model": transcript.model,
        "audio_seconds": round(transcript.audio_seconds, 3),
        "decode_seconds": round(transcript.decode_seconds, 3),
        "rtf": round(transcript.rtf, 4),
        "language": transcript.language,
        **({"hypotheses": [[text, score] for text, score in transcript.hypotheses]} if transcript.hypotheses else {}),
        **extra,
    }


def _grammar_status(engine, grammar) -> str:
    if not grammar:
        return "none"
    if getattr(engine, "grammar_prompts", False):
        return "prompt (biases Whisper, does not restrict it)"
    return "applied" if getattr(engine, "grammar_supported", True) else "ignored (model has no Gr.fst/HCLr.fst)"


def _report(args, engine, transcript: Transcript) -> int:
    from slm_desktop.subtitles import to_srt, to_vtt

    if getattr(args, "srt", False) or getattr(args, "vtt", False):
        print((to_srt if args.srt else to_vtt)(transcript.words), end="")
    elif args.json:
        print_json(transcript_json(transcript, grammar=_grammar_status(engine, args.grammar)))
    else:
        _print_text(transcript, getattr(args, "file", None))
    return 0


def _print_text(transcript: Transcript, source: Path | None) -> None:
    """Paragraphs where the speaker paused after a sentence, as the window writes them. An empty line alone
    looks like a failure; say that the recording held no speech (on stderr, so a script reading stdout still
    gets the empty transcript)."""
    print(as_paragraphs(transcript))
    if not transcript.text.strip():
        where = f" in {source}" if source is not None else ""
        print(f"slm-desktop: no speech heard{where}", file=sys.stderr)


def run_transcribe(args) -> int:
    from slm_desktop.audio.decode import probe

    info = probe(args.file)  # a bad file fails before the engine loads
    config = server_config(args, default_model="whisper-1")
    if config is not None:
        return _transcribe_on_server(args, config)
    _, engine = _engine(args, partials=False)
    progress = ProgressBar(info.seconds)
    try:
        transcript = transcribe_file(engine, args.file, grammar=args.grammar, on_audio=progress)
    finally:
        progress.close()
        engine.close()
    return _report(args, engine, transcript)


def _transcribe_on_server(args, config) -> int:
    """The whole file in one upload to /v1/audio/transcriptions (16 kHz mono WAV, as the app sends it)."""
    from slm_desktop.audio.decode import iter_audio16k
    from slm_desktop.engines.server_speech import ServerTranscriber

    transcriber = ServerTranscriber(config)
    try:
        transcript = transcriber.transcribe(b"".join(iter_audio16k(args.file)), rate=16000)
    finally:
        transcriber.close()
    if args.json:
        print_json(transcript_json(transcript, grammar="none"))
    else:
        _print_text(transcript, args.file)
    return 0


def run_listen(args) -> int:
    from slm_desktop.audio.capture import CaptureConfig, Microphone

    settings, engine = _engine(args)
    device = args.device if args.device is not None else settings.input_device
    mic = Microphone(CaptureConfig(device=int(device) if str(device).isdigit() else device or None))
    try:
        utterance = engine.start(grammar=args.grammar)
        print(f"listening for {args.seconds:g} s on {mic.device_name}…", file=sys.stderr, flush=True)
        deadline = time.monotonic() + args.seconds
        shown = ""
        while time.monotonic() < deadline:
            chunk = mic.read(0.05)
            if chunk is not None and chunk.pcm:
                partial = utterance.accept(chunk.pcm)
                if partial != shown and not args.json:
                    print(f"\r… {partial}", end="", file=sys.stderr, flush=True)
                    shown = partial
        if shown and not args.json:
            print(file=sys.stderr)
        return _report(args, engine, utterance.finish())
    finally:
        mic.close()
        engine.close()
