"""`slm-desktop bench SUITE`: measured speed, never asserted in tests."""

from __future__ import annotations

import importlib

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.errors import UserError
from slm_desktop.subcommands.arg_types import whole

# suite name -> "module:function"; each function takes (args) and returns a JSON-able dict
# with a "table" entry: a list of rows (dicts) printed as the text report.
SUITES: dict[str, str] = {
    "models": "slm_desktop.bench.models:run",
    "speech": "slm_desktop.bench.speech:run",
    "intent": "slm_desktop.bench.intent:run",
    "complete": "slm_desktop.bench.complete:run",
    "translate": "slm_desktop.bench.translate:run",
    "reliability": "slm_desktop.bench.reliability:run",
    "live": "slm_desktop.bench.live:run",
    "suggest": "slm_desktop.bench.suggest:run",
    "file": "slm_desktop.bench.file:run",
}


def register(sub) -> None:
    parser = sub.add_parser("bench", help="benchmarks: raw engine vs the app's path, p50/p95")
    parser.add_argument("suite", help="one of: " + ", ".join([*SUITES, "all"]) if SUITES else "suite")
    parser.add_argument("--repeat", type=whole(0), default=0, help="override the suite's sample count")
    from slm_desktop.subcommands.server_args import add_server_flags

    add_server_flags(parser)  # bench complete --server URL: the app's path to a server beside a raw client
    parser.add_argument("--model", default="", help="complete/suggest: a GGUF file name or path")
    parser.add_argument(
        "--busy",
        type=whole(0),
        default=0,
        help="complete: N other processes each hold a core; fixed 2 threads vs adaptive",
    )
    suggest = parser.add_argument_group("suggest: a simulated typist on a plain-text file")
    suggest.add_argument("--text", help="the text to type (default: the shipped evaluation text)")
    suggest.add_argument("--limit", type=whole(0), help="word positions to type (default 250; 0: all)")
    suggest.add_argument("--personal-train", metavar="FILE", help="learn the personal model from FILE first")
    suggest.add_argument("--split", type=float, default=0.0, help="learn from this share of --text, type the rest")
    suggest.add_argument("--no-word-list", action="store_true", help="chips without the word list")
    suggest.add_argument("--look", type=whole(0), default=3, help="letters of a word after which the typist looks")
    suggest.add_argument("--threads", type=whole(0), default=0, help="fixed llama.cpp threads (0: adaptive)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _print_report(name: str, report: dict) -> None:
    print(f"== bench {name}")
    for key, value in report.items():
        if key == "table":
            continue
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
    rows = report.get("table", [])
    if rows:
        from slm_desktop.diagnostics import format_table

        header = tuple(rows[0].keys())
        cells = [tuple(f"{v:.2f}" if isinstance(v, float) else str(v) for v in r.values()) for r in rows]
        print(format_table(cells, header))


def run(args) -> int:
    names = list(SUITES) if args.suite == "all" else [args.suite]
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise UserError(f"unknown bench suite '{unknown[0]}'; choose from: {', '.join(SUITES) or 'none yet'}")
    reports = {}
    for name in names:
        module, func = SUITES[name].split(":")
        reports[name] = getattr(importlib.import_module(module), func)(args)
        if not args.json:
            _print_report(name, reports[name])
    if args.json:
        print_json(reports)
    return 0
