"""`slm-desktop models list|install|import|remove|verify|recommend|default`: the model manager headless."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.diagnostics import format_table
from slm_desktop.errors import UserError
from slm_desktop.store.download import Progress
from slm_desktop.subcommands.arg_types import seconds


def register(sub) -> None:
    parser = sub.add_parser("models", help="list, install, import, remove, verify and recommend models")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True, parser_class=type(parser))
    listing = verbs.add_parser("list", help="installed models (and the catalog with --catalog)")
    listing.add_argument("--catalog", action="store_true", help="also list what the catalog offers")
    install = verbs.add_parser("install", help="download, verify and install a catalog model")
    install.add_argument("id")
    install.add_argument(
        "--trust-unverified",
        action="store_true",
        help="for a catalog entry without a verified sha256: download it, then show its sha256 and ask before pinning",
    )
    install.add_argument(
        "--pin-sha256",
        metavar="SHA256",
        default="",
        help="for an unverified entry (no terminal needed): install and pin only if the download has this sha256",
    )
    imp = verbs.add_parser("import", help="install a local .gguf, model folder, .argosmodel, .zip or .tar.gz")
    imp.add_argument("path", type=Path)
    remove = verbs.add_parser("remove", help="delete an installed model")
    remove.add_argument("id")
    verify = verbs.add_parser("verify", help="re-check hashes and structure of installed models")
    verify.add_argument("id", nargs="?")
    rec = verbs.add_parser("recommend", help="measure this machine and recommend catalog models")
    rec.add_argument("--languages", default="en", help="comma-separated language codes (default: en)")
    rec.add_argument("--seconds", type=seconds, default=3.0, help="how long to measure generation speed")
    rec.add_argument("--no-measure", action="store_true", help="skip the tokens/s measurement")
    default = verbs.add_parser("default", help="show or set the default model per kind")
    default.add_argument("kind", nargs="?", choices=["completion", "stt", "translation", "intent"])
    default.add_argument("name", nargs="?")
    for verb in (listing, install, imp, remove, verify, rec, default):
        add_json_flag(verb)
    parser.set_defaults(func=run)


def _manager(args):
    from slm_desktop.store.manager import ModelManager

    return ModelManager(args.paths)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


class TerminalBar:
    """A one-line progress bar on stderr: percent, MB, speed, ETA."""

    def __init__(self, stream=sys.stderr, width: int = 28):
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self.last_line = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last_line < 2.0 and p.done < p.total:
            return
        self.last_line = now
        filled = int(self.width * p.fraction)
        eta = f"{p.eta_s:.0f} s" if p.eta_s is not None else "?"
        total = _mb(p.total) if p.total else "?"
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {p.fraction * 100:5.1f}% "
        line += f"{_mb(p.done)}/{total}  {p.speed / 1e6:.2f} MB/s  ETA {eta}"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _list(args, manager) -> int:
    installed = manager.list_installed()
    defaults = manager.defaults()
    catalog = manager.catalog.entries if args.catalog else ()
    if args.json:
        data = {"installed": [m.as_dict() for m in installed], "defaults": defaults}
        if args.catalog:
            data["catalog"] = [_entry_dict(e) for e in catalog]
            data["catalog_problems"] = list(manager.catalog.problems)
        print_json(data)
        return 0
    rows = [(m.name, m.kind, _languages(m.languages), m.engine, _mb(m.size), str(m.path.parent)) for m in installed]
    print(format_table(rows, ("installed", "kind", "languages", "engine", "size", "folder")) if rows else "none")
    if args.catalog:
        have = {m.catalog_id for m in installed}
        rows = [(e.id, e.kind, _languages(e.languages), _mb(e.size), _hash_state(e), "yes" if e.id in have else "")
                for e in catalog]  # fmt: skip
        print()
        print(format_table(rows, ("catalog id", "kind", "languages", "size", "sha256", "installed")))
        for problem in manager.catalog.problems:
            print(f"catalog problem: {problem}", file=sys.stderr)
    return 0


def _languages(codes: tuple[str, ...]) -> str:
    """A multilingual model (Whisper: 99 languages) is shown as a count, not a screen of codes."""
    return ",".join(codes) if len(codes) <= 6 else f"{','.join(codes[:3])},… ({len(codes)})"


def _hash_state(entry) -> str:
    return "verified" if entry.verified else "UNVERIFIED"


def _entry_dict(entry) -> dict:
    from dataclasses import asdict

    return asdict(entry) | {"verified": entry.verified}


def _ask_pin(expected: str):
    """The CLI's yes for pinning: the hash the user named, or an answer typed at the terminal."""

    def ask(entry, sha: str, source: str) -> bool:
        if expected:
            return expected.strip().lower() == sha
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return False
        print(f"\n{entry.id} has no verified sha256 in the catalog.", file=sys.stderr)
        print(f"  source: {source}\n  sha256: {sha}", file=sys.stderr)
        sys.stderr.write("Pin this sha256 and install? [y/N] ")  # stderr: stdout may be a pipe
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def _install(args, manager) -> int:
    from slm_desktop.store.manager import PinNotConfirmed

    bar = None if args.json else TerminalBar()
    was_verified = manager.catalog.get(args.id).verified
    trust = args.trust_unverified or bool(args.pin_sha256)
    try:
        model = manager.install(args.id, on_progress=bar, trust_unverified=trust, confirm_pin=_ask_pin(args.pin_sha256))
    except PinNotConfirmed as exc:
        hint = (
            "it does not match --pin-sha256"
            if args.pin_sha256
            else f"check it, then rerun with --pin-sha256 {exc.sha256}"
        )
        raise UserError(f"{exc}; {hint}") from None
    finally:
        if bar is not None:
            bar.done()
    if args.json:
        print_json({"installed": model.as_dict(), "pinned_sha256": "" if was_verified else model.sha256})
        return 0
    print(f"installed {model.name} ({model.kind}, {_mb(model.size)}) in {model.path.parent}")
    if not was_verified:
        print(f"pinned sha256 {model.sha256} for {args.id}; later installs must match it")
    return 0


def _import(args, manager) -> int:
    model = manager.import_path(args.path)
    if args.json:
        print_json({"installed": model.as_dict()})
    else:
        print(f"imported {model.name} ({model.kind}, {model.engine}, {_mb(model.size)}) into {model.path.parent}")
    return 0


def _remove(args, manager) -> int:
    model = manager.remove(args.id)
    if args.json:
        print_json({"removed": model.as_dict()})
    else:
        print(f"removed {model.name}")
    return 0


def _verify(args, manager) -> int:
    results = manager.verify(args.id)
    ok = all(r.ok for r in results)
    if args.json:
        print_json({"ok": ok, "results": [r.__dict__ for r in results]})
    else:
        rows = [(r.name, "ok" if r.ok else "FAIL", r.detail) for r in results]
        print(format_table(rows, ("model", "status", "detail")) if rows else "no models installed")
    return 0 if ok else 1


def _recommend(args, manager) -> int:
    from slm_desktop.store import recommend as rec

    hw = rec.measure_hardware()
    sample = None
    completion = manager.default_path("completion")
    if completion is not None and not args.no_measure:
        sample = rec.measure_tokens_per_second(completion, seconds=args.seconds)
        rec.save_sample(manager.paths.data_dir, sample)
    languages = tuple(code.strip() for code in args.languages.split(",") if code.strip())
    recs = rec.recommend(manager.catalog, hw, sample, languages=languages)
    if args.json:
        speed = sample.__dict__ if sample else None
        print_json({"hardware": hw.__dict__, "speed": speed, "models": [r.__dict__ for r in recs]})
        return 0
    print(f"machine: {hw.machine}, {hw.cores} cores, {hw.ram_available_mb}/{hw.ram_total_mb} MB RAM free, "
          f"CPU features: {', '.join(hw.flags) or 'none found'}")  # fmt: skip
    if sample:
        print(f"measured: {sample.model} {sample.tokens_per_s:.1f} tok/s with {sample.threads} threads")
    for r in recs:
        print(f"{r.verdict:>11}  {r.kind:<11} {r.catalog_id:<30} {r.reason}")
    return 0


def _default(args, manager) -> int:
    if args.kind and args.name:
        manager.set_default(args.kind, args.name)
    elif args.kind or args.name:
        raise UserError("models default: give both KIND and NAME to set, or neither to show")
    defaults = manager.defaults()
    if args.json:
        print_json({"defaults": defaults})
    else:
        print("\n".join(f"{k}: {v}" for k, v in defaults.items()) or "no defaults set (catalog defaults apply)")
    return 0


VERBS = {
    "list": _list,
    "install": _install,
    "import": _import,
    "remove": _remove,
    "verify": _verify,
    "recommend": _recommend,
    "default": _default,
}


def run(args) -> int:
    return VERBS[args.verb](args, _manager(args))
