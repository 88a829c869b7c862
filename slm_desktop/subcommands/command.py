"""`slm-desktop command FILE.wav`: speech -> intent on a recording (what push-to-talk does in command mode)."""

from __future__ import annotations

from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.engines.speech_select import ENGINES


def register(sub) -> None:
    parser = sub.add_parser("command", help="understand a spoken command in a WAV file")
    parser.add_argument("file", type=Path)
    parser.add_argument("--engine", choices=ENGINES, help="speech engine (default: settings)")
    parser.add_argument("--model", help="a Vosk model folder")
    parser.add_argument("--free", action="store_true", help="free recognition instead of the command vocabulary")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slm_desktop.audio.wav import iter_pcm16k, read_info
    from slm_desktop.commands.intents import command_vocabulary, make_engine, parse_command
    from slm_desktop.subcommands.transcribe import _engine, transcript_json

    read_info(args.file)
    _, speech = _engine(args)
    try:
        utterance = speech.start(grammar=None if args.free else command_vocabulary())
        for pcm in iter_pcm16k(args.file, rate=speech.sample_rate):
            utterance.accept(pcm)
        transcript = utterance.finish()
    finally:
        speech.close()
    intents = make_engine(args.paths)
    try:
        command = parse_command(intents, transcript.text)
    finally:
        intents.close()
    if args.json:
        print_json({**command.to_json(), "transcript": transcript_json(transcript)})
    else:
        print(f"heard: {transcript.text}")
        print(f"understood: {command.summary() if command.understood else 'not a command (out_of_scope)'}")
    return 0
