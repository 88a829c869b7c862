"""Command line: `slm-desktop` opens the window; subcommands run headless.

Every expected failure (UserError) is one line on stderr and exit code 2; argparse's own
errors exit 2 as well. Unexpected errors are logged with a traceback only under --debug.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from slm_desktop import __version__
from slm_desktop.errors import UserError
from slm_desktop.paths import AppPaths

log = logging.getLogger(__name__)

# Each module in slm_desktop.subcommands has register(subparsers) setting `func`.
SUBCOMMANDS = [
    "gui",
    "selftest",
    "doctor",
    "bench",
    "models",
    "transcribe",
    "intent",
    "command",
    "complete",
    "translate",
    "live",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="slm-desktop", description="Offline assistant: suggestions, voice, translation.")
    parser.add_argument("--version", action="version", version=f"slm-desktop {__version__}")
    parser.add_argument("--debug", action="store_true", help="verbose logging with tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        importlib.import_module(f"slm_desktop.subcommands.{name}").register(sub)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def _names_a_file(arg: str) -> bool:
    """A path (what file managers pass), a file name with a suffix, or an existing file; a bare word that is
    none of these is a mistyped subcommand and gets argparse's one-line "invalid choice"."""
    return os.sep in arg or "." in arg or os.path.exists(arg)


def gui_by_default(argv: Sequence[str]) -> list[str]:
    """`slm-desktop FILE` (the desktop entry's `Exec=slm-desktop %f`, "Open With") means `slm-desktop gui
    FILE`: argparse would read FILE as a subcommand. The first argument that is not an option decides; a
    file named like a subcommand needs `slm-desktop gui NAME`."""
    argv = list(argv)
    for i, arg in enumerate(argv):
        if arg == "--":
            return [*argv[:i], "gui", *argv[i:]]
        if not arg.startswith("-"):
            is_file = arg not in SUBCOMMANDS and _names_a_file(arg)
            return [*argv[:i], "gui", *argv[i:]] if is_file else argv
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(gui_by_default(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    args.paths = AppPaths.from_environment(dict(os.environ))
    if args.command is None:
        from slm_desktop import app

        return app.main([], paths=args.paths)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"slm-desktop: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("slm-desktop: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(
            f"slm-desktop: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2
