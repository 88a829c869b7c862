"""Rule-based translation through the system's `apertium` command (Debian apertium-eng-spa, ...).

Tiny and instant on low-power boards. Pairs come from the modes folder (eng-spa.mode ->
en→es); a batch of sentences goes through one `apertium` process, separated by blank lines
(which Apertium's text format passes through untouched), so the ~100 ms start-up is paid once
per batch, not per sentence.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.base import LanguagePair, Translation
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

MODES_DIRS = (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes"))
ISO3_TO_1 = {
    "eng": "en",
    "spa": "es",
    "cat": "ca",
    "fra": "fr",
    "por": "pt",
    "ita": "it",
    "glg": "gl",
    "oci": "oc",
    "eus": "eu",
    "deu": "de",
    "nld": "nl",
    "ron": "ro",
    "epo": "eo",
    "arg": "an",
    "ast": "ast",
}
ISO1_TO_3 = {short: long for long, short in ISO3_TO_1.items()}
_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")  # variants (eng-cat_valencia) are not default pairs
_UNKNOWN_MARK = re.compile(r"(?<![\w*#@])[*#@](?=\w)")
_SEPARATOR = "\n\n"
POLL_SECONDS = 0.02


def clean_markers(text: str) -> str:
    """Apertium marks unknown (*), ungenerated (#) and untransferred (@) words; users want plain text."""
    return _UNKNOWN_MARK.sub("", text)


def apertium_pairs(modes_dirs: Sequence[Path] = MODES_DIRS) -> list[LanguagePair]:
    """Installed pairs from the modes folders; nothing if the `apertium` command is missing."""
    if shutil.which("apertium") is None:
        return []
    pairs = []
    for folder in modes_dirs:
        for mode in sorted(folder.glob("*.mode")) if folder.is_dir() else []:
            match = _MODE.match(mode.stem)
            if match:
                source, target = (ISO3_TO_1.get(code, code) for code in match.groups())
                pairs.append(LanguagePair(source, target, "apertium", mode.stem))
    return pairs


class ApertiumEngine:
    name = "apertium"

    def __init__(self, *, command: str = "apertium", modes_dirs: Sequence[Path] = MODES_DIRS):
        found = shutil.which(command)
        if found is None:
            raise ModelError("Apertium is not installed: apt install apertium-eng-spa (or another pair)")
        self._command = found
        self._modes = {(p.source, p.target): p.model for p in apertium_pairs(modes_dirs)}

    def pairs(self) -> list[LanguagePair]:
        return [LanguagePair(s, t, self.name, mode) for (s, t), mode in self._modes.items()]

    def translate(
        self,
        sentences: Sequence[str],
        *,
        source: str,
        target: str,
        cancel: CancelToken | None = None,
    ) -> Iterator[Translation]:
        mode = self._mode(source, target)
        cleaned = [" ".join(s.split()) for s in sentences]  # a newline inside would break the batch
        started = time.perf_counter()
        outputs = self._run(mode, _SEPARATOR.join(cleaned), cancel).strip("\n").split(_SEPARATOR)
        if len(outputs) != len(cleaned):  # a pair's rules merged or split a blank line: go one by one
            log.debug("apertium batch returned %d parts for %d sentences", len(outputs), len(cleaned))
            outputs = [self._run(mode, s, cancel).strip() for s in cleaned]
        ms = (time.perf_counter() - started) * 1000 / max(1, len(cleaned))
        for index, (text, out) in enumerate(zip(sentences, outputs, strict=True)):
            yield Translation(index, text, clean_markers(out.strip()), ms)

    def close(self) -> None:
        self._modes = {}

    def _mode(self, source: str, target: str) -> str:
        mode = self._modes.get((source, target))
        if mode is None:
            raise ModelError(f"Apertium has no {source}→{target} pair installed (apt install apertium-...)")
        return mode

    def _run(self, mode: str, text: str, cancel: CancelToken | None) -> str:
        """Polls the cancel token while Apertium works; a cancelled process is killed."""
        if not text.strip():
            return text
        with subprocess.Popen(
            [self._command, "-u", "-f", "txt", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # `apertium` is a shell pipeline: cancel kills the whole group
        ) as process:
            payload: bytes | None = text.encode("utf-8")
            while True:
                try:
                    out, err = process.communicate(payload, timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    payload = None  # communicate() keeps feeding what it started with
                    if cancel is not None and cancel.cancelled:
                        _kill_group(process)
                        raise Cancelled() from None
        if process.returncode != 0:
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise ModelError(f"apertium {mode} failed: {message[0] if message else process.returncode}")
        return out.decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have finished in the meantime
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
