"""JSON from files the app did not write itself (a model folder's config.json, metadata.json, vocabulary.json,
labels.json): None for anything unreadable. `json.loads` raises RecursionError, not a ValueError, for deeply
nested input ("[" * 100000), which every caller's `except ValueError` let through as a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from slm_desktop.document import read_file_bytes
from slm_desktop.errors import UserError

MAX_JSON_BYTES = 32 << 20  # Whisper's vocabulary.json is about 1 MB, configs and metadata a few kB


def parse_json(data: bytes | str) -> Any | None:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any | None:
    """The parsed file, or None when it is missing, not a regular file, larger than `limit` or not JSON."""
    try:
        data = read_file_bytes(path, limit)
    except UserError:
        return None
    return parse_json(data)
