#!/usr/bin/env python3
"""Build resources/words/en.tsv.gz, the compact English word list used to finish half-typed words.

Source: the `wordfreq` 3.1.1 wheel's `large_en.msgpack.gz` (word frequencies, CC-BY-SA 4.0, see
resources/words/README.md). Run by a maintainer when the list should change, not at install time:

    pip download wordfreq==3.1.1 --no-deps -d /tmp/wf && pip install --target /tmp/mp msgpack
    PYTHONPATH=/tmp/mp python3 scripts/build_wordlist.py /tmp/wf/wordfreq-3.1.1-py3-none-any.whl

Output: one "word<TAB>centibels" line per word (frequency = 10 ** (-centibels / 100)), the most frequent
words first, letters and apostrophes only (wordfreq writes digits as 0, so numbers are left out).
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
import zipfile
from pathlib import Path

_WORD = re.compile(r"^[a-z](?:[a-z']*[a-z])?$")
_DATA = "wordfreq/data/large_en.msgpack.gz"
_OUT = Path(__file__).resolve().parent.parent / "resources" / "words" / "en.tsv.gz"


def main(argv: list[str]) -> int:
    import msgpack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="wordfreq-3.1.1-py3-none-any.whl")
    parser.add_argument("--words", type=int, default=60000)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.wheel) as wheel:
        buckets = msgpack.unpackb(gzip.decompress(wheel.read(_DATA)), raw=False)
    if buckets[0] != {"format": "cB", "version": 1}:
        raise SystemExit(f"unexpected wordfreq data header: {buckets[0]}")
    lines = []
    for centibels, words in enumerate(buckets[1:]):
        lines += [f"{w}\t{centibels}" for w in words if _WORD.match(w)]
        if len(lines) >= args.words:
            break
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:  # mtime 0: the same input gives the same bytes
        out.write(("\n".join(lines[: args.words]) + "\n").encode("utf-8"))
    _OUT.write_bytes(buffer.getvalue())
    print(f"{_OUT}: {min(len(lines), args.words)} words, {_OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
