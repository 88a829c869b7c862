"""`slm-desktop self-test`: load every installed default model and run one tiny job each."""

from dataclasses import asdict

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.diagnostics import format_table, run_self_tests


def register(sub) -> None:
    parser = sub.add_parser("self-test", help="load each engine and model, run one tiny job each")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    results = run_self_tests(args.paths)
    failed = any(r.failed for r in results)
    if args.json:
        print_json({"ok": not failed, "checks": [asdict(r) for r in results]})
    else:
        rows = [(r.name, r.status, f"{r.ms:.0f} ms", r.detail) for r in results]
        print(format_table(rows, ("check", "status", "time", "detail")))
        print("self-test: " + ("FAILED" if failed else "all checks passed"))
    return 1 if failed else 0
