"""`slm-desktop command FILE.wav`: speech -> intent on a recording (what push-to-talk does in command mode)."""

from __future__ import annotations

from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.engines.speech_select import ENGINES


def register(sub) -> None:
    parser = sub.add_parser("command", help="understand a spoken command in an audio file")
    parser.add_argument("file", type=Path)
    parser.add_argument("--engine", choices=ENGINES, help="speech engine (default: settings; Whisper where installed)")
    parser.add_argument("--model", help="a model name on the search path or a folder (Whisper, Vosk)")
    parser.add_argument("--language", help="auto or a language code (default: settings)")
    parser.add_argument(
        "--free",
        action="store_true",
        help="free recognition: no command vocabulary (Whisper takes it as a prompt, not a restriction)",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slm_desktop.audio.decode import probe
    from slm_desktop.commands.intents import command_vocabulary, make_engine, parse_heard
    from slm_desktop.subcommands.transcribe import _engine, transcript_json
    from slm_desktop.transcription import transcribe_file

    probe(args.file)
    _, speech = _engine(args, partials=False, word_times=False, commands=True)
    try:
        grammar = None if args.free else command_vocabulary()
        transcript = transcribe_file(speech, args.file, grammar=grammar)
    finally:
        speech.close()
    intents = make_engine(args.paths)
    try:
        command = parse_heard(intents, transcript.text, transcript.hypotheses)
    finally:
        intents.close()
    if args.json:
        print_json({**command.to_json(), "heard_as": command.text, "transcript": transcript_json(transcript)})
    else:
        print(f"heard: {transcript.text}")
        if command.text and command.text != transcript.text:
            print(f"understood as: {command.text}")
        print(f"understood: {command.summary() if command.understood else 'not a command (out_of_scope)'}")
    return 0
