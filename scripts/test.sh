#!/usr/bin/env bash
# The whole test suite: lint, format check, then pytest (fast tests; `make test-slow` for the rest).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/ruff" check . || exit 1
"$VENV/bin/ruff" format --check . || exit 1
"$VENV/bin/python" -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
    echo "test: pytest collected no tests (exit 5) -- nothing was tested" >&2
    exit 0
fi
exit "$rc"
