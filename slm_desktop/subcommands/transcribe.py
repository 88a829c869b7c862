"""`slm-desktop transcribe FILE.wav` and `slm-desktop listen --seconds N`."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.config import load_settings
from slm_desktop.engines.base import Transcript
from slm_desktop.engines.speech_select import ENGINES, choose_speech_engine
from slm_desktop.subcommands.server_args import add_server_flags, server_config


def _add_engine_flags(parser) -> None:
    parser.add_argument("--engine", choices=ENGINES, help="default: settings (auto: Vosk if a model is found)")
    parser.add_argument("--model", help="a Vosk model folder (or its name on the model search path)")
    parser.add_argument("--grammar", nargs="+", metavar="WORD", help="restrict recognition to these words/phrases")
    add_json_flag(parser)


def register(sub) -> None:
    parser = sub.add_parser("transcribe", help="speech to text from a WAV file (any rate, channels, PCM/float)")
    parser.add_argument("file", type=Path)
    _add_engine_flags(parser)
    add_server_flags(parser, model_help="the server's speech model (default: whisper-1)")
    parser.set_defaults(func=run_transcribe)
    listen = sub.add_parser("listen", help="record from the microphone for N seconds and print the transcript")
    listen.add_argument("--seconds", type=float, default=5.0)
    listen.add_argument("--device", help="input device name or index (default: settings, then the system's)")
    _add_engine_flags(listen)
    listen.set_defaults(func=run_listen)


def _engine(args):
    settings = load_settings(args.paths.settings_file).settings.speech
    return settings, choose_speech_engine(settings, args.paths, engine=args.engine, model=args.model).create()


def transcript_json(transcript: Transcript, **extra) -> dict:
    return {
        "text": transcript.text,
        "words": [asdict(w) for w in transcript.words],
        "engine": transcript.engine,
        "model": transcript.model,
        "audio_seconds": round(transcript.audio_seconds, 3),
        "decode_seconds": round(transcript.decode_seconds, 3),
        "rtf": round(transcript.rtf, 4),
        **extra,
    }


def _grammar_status(engine, grammar) -> str:
    if not grammar:
        return "none"
    return "applied" if getattr(engine, "grammar_supported", True) else "ignored (model has no Gr.fst/HCLr.fst)"


def _report(args, engine, transcript: Transcript) -> int:
    if args.json:
        print_json(transcript_json(transcript, grammar=_grammar_status(engine, args.grammar)))
    else:
        print(transcript.text)
    return 0


def run_transcribe(args) -> int:
    from slm_desktop.audio.wav import iter_pcm16k, read_info

    read_info(args.file)  # a bad file fails before the engine loads
    config = server_config(args, default_model="whisper-1")
    if config is not None:
        return _transcribe_on_server(args, config)
    _, engine = _engine(args)
    try:
        utterance = engine.start(grammar=args.grammar)
        for pcm in iter_pcm16k(args.file, rate=engine.sample_rate):
            utterance.accept(pcm)
        return _report(args, engine, utterance.finish())
    finally:
        engine.close()


def _transcribe_on_server(args, config) -> int:
    """The whole file in one upload to /v1/audio/transcriptions (16 kHz mono WAV, as the app sends it)."""
    from slm_desktop.audio.wav import read_pcm16k
    from slm_desktop.engines.server_speech import ServerTranscriber

    transcriber = ServerTranscriber(config)
    try:
        transcript = transcriber.transcribe(read_pcm16k(args.file), rate=16000)
    finally:
        transcriber.close()
    if args.json:
        print_json(transcript_json(transcript, grammar="none"))
    else:
        print(transcript.text)
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
