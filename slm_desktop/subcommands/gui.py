"""`slm-desktop gui`: open the window (the default with no subcommand)."""


def register(sub) -> None:
    parser = sub.add_parser("gui", help="open the main window (default)")
    parser.add_argument("file", nargs="?", help="a text file to open")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slm_desktop import app

    return app.main([args.file] if args.file else [], paths=args.paths)
