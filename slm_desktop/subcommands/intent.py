"""`slm-desktop intent "TEXT"`: classify a typed command; --file for one per line (JSON Lines with --json)."""

from __future__ import annotations

from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.document import read_file_bytes
from slm_desktop.errors import UserError


def register(sub) -> None:
    parser = sub.add_parser("intent", help="classify a command: intent, confidence, slots, alternatives")
    parser.add_argument("text", nargs="?", help='the command, e.g. "translate this into Spanish"')
    parser.add_argument("--file", type=Path, help="a text file with one command per line")
    parser.add_argument("--labels", action="store_true", help="print the intent label set and exit")
    parser.add_argument("--model", type=Path, help="an intent model folder (default: intent-minilm-int8)")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slm_desktop.commands.intents import INTENT_LABELS

    if args.labels:
        if args.json:
            print_json(list(INTENT_LABELS))
        else:
            print("\n".join(INTENT_LABELS))
        return 0
    commands = _commands(args)
    engine = _engine(args)
    try:
        for text in commands:
            _print(_parse(engine, text), args.json)
    finally:
        engine.close()
    return 0


def _commands(args) -> list[str]:
    if args.file is not None and args.text is not None:
        raise UserError("give either TEXT or --file, not both")
    if args.file is not None:
        try:
            lines = read_file_bytes(args.file).decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise UserError(f"{args.file} is not UTF-8 text") from exc
        return [line for line in lines if line.strip()]
    if args.text is None:
        raise UserError('give a command, e.g. slm-desktop intent "save my work", or --file FILE, or --labels')
    return [args.text]


def _engine(args):
    from slm_desktop.commands.intents import locate_model
    from slm_desktop.engines.intent_onnx import OnnxIntentEngine

    if args.threads < 1:
        raise UserError("--threads must be at least 1")
    model = args.model if args.model is not None else locate_model(args.paths)
    return OnnxIntentEngine(model, threads=args.threads)


def _parse(engine, text: str):
    from slm_desktop.commands.intents import parse_command

    return parse_command(engine, text)


def _print(command, as_json: bool) -> None:
    if as_json:
        print_json(command.to_json())
        return
    slots = " ".join(f"{k}={v}" for k, v in command.slots.items())
    alternatives = ", ".join(f"{label} {conf:.2f}" for label, conf in command.alternatives)
    print(f"{command.intent}\t{command.confidence:.2f}\t{slots}\t[{alternatives}]\t{command.ms:.1f} ms")
