"""`--server URL [--api-key-env VAR]` for complete, translate and transcribe: one request path, no fallback
(on the command line a failing server is the answer: one line, exit code 2)."""

from __future__ import annotations

import os

from slm_desktop.engines.openai_server import ServerConfig
from slm_desktop.errors import UserError
from slm_desktop.subcommands.arg_types import seconds


def add_server_flags(parser, *, model_help: str = "the server's model (default: its first)") -> None:
    group = parser.add_argument_group("server (an OpenAI-compatible server you run: docs/server.md)")
    group.add_argument("--server", metavar="URL", help="use this server instead of the local engine")
    group.add_argument("--api-key-env", metavar="VAR", help="read the server's API key from this variable")
    group.add_argument("--server-model", default="", metavar="NAME", help=model_help)
    group.add_argument("--connect-timeout", type=seconds, default=2.0, metavar="S", help="seconds (default 2)")
    group.add_argument("--first-token-timeout", type=seconds, default=3.0, metavar="S", help="seconds (default 3)")


def server_config(args, *, default_model: str = "") -> ServerConfig | None:
    if not getattr(args, "server", None):
        return None
    key = ""
    if args.api_key_env:
        key = os.environ.get(args.api_key_env, "")
        if not key:
            raise UserError(f"--api-key-env: the variable {args.api_key_env} is not set")
    return ServerConfig(
        url=args.server,
        api_key=key,
        model=args.server_model or default_model,
        connect_timeout_s=args.connect_timeout,
        first_token_timeout_s=args.first_token_timeout,
    )
