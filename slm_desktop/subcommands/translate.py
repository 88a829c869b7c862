"""`slm-desktop translate`: translate text or stdin offline; `--list` shows installed pairs."""

from __future__ import annotations

import sys

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.errors import UserError
from slm_desktop.subcommands.arg_types import whole
from slm_desktop.subcommands.server_args import add_server_flags, server_config

ENGINES = ("auto", "ct2", "apertium", "llm")


def register(sub) -> None:
    parser = sub.add_parser(
        "translate", help="translate text offline (CTranslate2, Apertium or a multilingual GGUF model)"
    )
    parser.add_argument("text", nargs="?", help="text to translate (default: read stdin)")
    parser.add_argument("--from", dest="source", default="auto", help="source language code, or auto (default)")
    parser.add_argument("--to", dest="target", default="es", help="target language code (default: es)")
    parser.add_argument("--engine", choices=ENGINES, default="auto", help="translation engine (default: auto)")
    parser.add_argument("--beam", type=int, default=1, choices=range(1, 5), metavar="1-4", help="CTranslate2 beam")
    parser.add_argument("--threads", type=whole(0), default=0, help="CTranslate2 threads (0: all cores)")
    parser.add_argument("--list", action="store_true", help="list installed language pairs per engine")
    add_server_flags(parser, model_help="the server's chat model (default: its first)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _list(catalog, as_json: bool) -> int:
    rows = [{"engine": p.engine, "source": p.source, "target": p.target, "model": p.model} for p in catalog.pairs]
    if as_json:
        print_json({"pairs": rows, "note": catalog.note})
        return 0
    if catalog.note:
        print(f"note: {catalog.note}", file=sys.stderr)
    if not rows:
        print("no translation models installed (apt install apertium-eng-spa, or install a model)")
        return 0
    from slm_desktop.diagnostics import format_table

    print(format_table([tuple(r.values()) for r in rows], ("engine", "from", "to", "model")))
    return 0


def _server_catalog(args, config):
    """Only the server's chat model: every pair between the languages the app knows, opened on the server."""
    from slm_desktop.config import ServerSettings
    from slm_desktop.languages import LANGUAGE_NAMES
    from slm_desktop.server_select import server_pairs
    from slm_desktop.translation import Catalog

    codes = list(LANGUAGE_NAMES)
    settings = ServerSettings(url=config.url, model=config.model, languages=",".join(codes))

    def open_server(_pair):
        from slm_desktop.engines.server_translate import ServerTranslationEngine

        return ServerTranslationEngine(config, languages=codes)

    return Catalog(tuple(server_pairs(settings)), args.paths.data_dir / "unpacked", server=open_server)


def _read_text(args) -> str:
    if args.text is not None:
        return args.text
    if sys.stdin is None or sys.stdin.isatty():
        raise UserError("translate: give the text as an argument or on stdin")
    return sys.stdin.read()


def _source_language(text: str, requested: str, catalog) -> str:
    if requested != "auto":
        return requested
    from slm_desktop.translation import detect_language

    found = detect_language(text, catalog.sources())
    if not found.known:
        raise UserError(f"translate: source language unknown ({found.reason}); pass --from")
    return found.language


def run(args) -> int:
    from slm_desktop.translation import NoModel, SentenceCache, discover, plan_route, translate_text

    config = server_config(args)
    catalog = _server_catalog(args, config) if config is not None else None
    catalog = catalog or discover(args.paths, threads=args.threads, beam_size=args.beam)
    if args.list:
        return _list(catalog, args.json)
    text = _read_text(args)
    if not text.strip():  # nothing to translate is not an error
        if args.json:
            print_json({"text": text, "engine": "", "model": "", "sentences": 0, "ms": 0.0})
        return 0
    source = _source_language(text, args.source, catalog)
    try:
        route = plan_route(catalog.pairs, source, args.target, engine=args.engine)
    except NoModel as missing:
        raise UserError(f"{missing}. {catalog.note}" if catalog.note else str(missing)) from None
    engines: dict[str, object] = {}

    def engine_for(pair):
        key = catalog.engine_key(pair)
        if key not in engines:
            engines[key] = catalog.open(pair)
        return engines[key]

    try:
        cache = SentenceCache()
        result = translate_text(text, route=route, engine_for=engine_for, cache=cache, first_batch=32, largest_batch=32)
    finally:
        for engine in engines.values():
            engine.close()
    if args.json:
        print_json(
            {
                "text": result.text,
                "engine": result.engine,
                "model": result.model,
                "sentences": result.sentences,
                "ms": round(result.ms, 1),
                "source": result.source,
                "target": result.target,
                "pivot": result.pivot,
            }
        )
    else:
        if result.pivot:
            print(f"(pivot through English: {route.describe()})", file=sys.stderr)
        print(result.text, end="" if result.text.endswith("\n") else "\n")
    return 0
