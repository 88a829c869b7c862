"""`slm-desktop complete "TEXT"`: the suggestion the editor would show, from the command line."""

from __future__ import annotations

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.completion import resolve_model
from slm_desktop.errors import UserError
from slm_desktop.subcommands.arg_types import whole
from slm_desktop.subcommands.server_args import add_server_flags, server_config


def register(sub) -> None:
    parser = sub.add_parser("complete", help="suggest how a text goes on (the editor's ghost text)")
    parser.add_argument("text", help="the text before the cursor")
    parser.add_argument("--after", default="", help="text after the cursor (used by fill-in-the-middle models)")
    parser.add_argument("--words", action="store_true", help="print the three next-word chips instead")
    parser.add_argument("--model", default="", help="a GGUF file or a model name on the search path")
    parser.add_argument("--max-tokens", type=int, default=12, help="suggestion length limit (default 12)")
    parser.add_argument("--threads", type=whole(0), default=0, help="CPU threads (0: automatic)")
    add_server_flags(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.max_tokens < 1:
        raise UserError("--max-tokens must be at least 1")
    engine = _engine(args)
    try:
        if args.words:
            return _print_words(engine, args)
        completion = engine.complete(args.text, after=args.after, max_tokens=args.max_tokens)
    finally:
        engine.close()
    if args.json:
        print_json(
            {"text": completion.text, "tokens": completion.tokens, "ms": completion.ms, "model": completion.model}
        )
    else:
        print(completion.text)
    return 0


def _engine(args):
    config = server_config(args)
    if config is not None:
        from slm_desktop.engines.server_completion import ServerCompletionEngine

        return ServerCompletionEngine(config)
    from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig

    return LlamaCompletionEngine(LlamaConfig(resolve_model(args.paths, args.model), n_threads=args.threads))


def _print_words(engine, args) -> int:
    words = engine.next_words(args.text)
    if args.json:
        print_json({"words": [{"word": w.word, "probability": w.probability} for w in words], "model": engine.name})
    else:
        print("  ".join(w.word for w in words))
    return 0
