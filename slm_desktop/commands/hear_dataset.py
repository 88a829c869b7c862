"""Hear the training phrasings: each training row spoken by espeak-ng, then recognised the way a spoken command
is (Whisper, the command vocabulary as its prompt, beam 5), so the intent model also learns what the recogniser
makes of a command ("end the transcription" heard as "and the transcription").

Training on recognised text instead of only typed text is the usual remedy for a language-understanding model
behind a recogniser (ASR-noise augmentation). Only resources/intents/train.jsonl is spoken, never the test split;
a heard row keeps its source row's paraphrase group, so it lands on the same side of the calibration split.
The voice and rate vary by row (six espeak-ng English voices, 135-165 words/min), so the model learns
recognition errors rather than one voice's. Resumable: rows already heard are skipped.

`python -m slm_desktop.commands.hear_dataset --model models/whisper-base` (build time, about 0.8 s a row on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import zlib
from pathlib import Path

from slm_desktop.commands.evaluation import load_split
from slm_desktop.paths import repo_root, resources_dir

log = logging.getLogger(__name__)

VOICES = ("en-us", "en-us+m3", "en-us+f2", "en-gb", "en-gb-x-rp", "en-029")
SPEEDS = (135, 150, 165)
HEARD = "heard"  # resources/intents/heard.jsonl


def voice_for(text: str) -> tuple[str, int]:
    """A stable voice and rate per phrasing (the same row is always spoken the same way)."""
    h = zlib.crc32(text.encode("utf-8"))
    return VOICES[h % len(VOICES)], SPEEDS[(h // len(VOICES)) % len(SPEEDS)]


def heard_rows(rows: list[dict], model: Path, out: Path) -> int:
    """Append {text: heard, intent, group, spoken, voice, speed} for every row not yet in `out`."""
    from slm_desktop.bench.speech_extra import render_speech
    from slm_desktop.commands.intents import command_vocabulary
    from slm_desktop.engines.speech_select import SpeechChoice
    from slm_desktop.transcription import transcribe_file

    done = {json.loads(line)["spoken"] for line in out.read_text().splitlines()} if out.exists() else set()
    todo = [r for r in rows if r["text"] not in done]
    engine = SpeechChoice("whisper", model, language="en", in_process=True, partials=False).create()
    grammar = command_vocabulary()
    try:
        with tempfile.TemporaryDirectory() as tmp, out.open("a", encoding="utf-8") as sink:
            for i, row in enumerate(todo):
                voice, speed = voice_for(row["text"])
                wav = render_speech(row["text"], Path(tmp) / "row.wav", voice=voice, speed=speed)
                heard = transcribe_file(engine, wav, grammar=grammar).text.strip()
                record = {"text": heard, "intent": row["intent"], "group": row["group"]}
                record.update(spoken=row["text"], voice=voice, speed=speed)
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
                if i % 100 == 0:
                    log.info("%d / %d heard", i, len(todo))
    finally:
        engine.close()
    return len(todo)


MAX_WER = 1 / 3  # a near miss ("end" heard as "and"); worse is noise that teaches random words are commands


def training_rows(folder: Path, typed: list[dict], *, max_wer: float = MAX_WER) -> list[dict]:
    """What the heard rows add to training: the near misses, whose words the recogniser changed (the rest
    repeat a typed row) by at most `max_wer`, of phrasings still in the typed training rows (a regenerated
    dataset leaves old heard rows behind)."""
    from slm_desktop.bench.wer import word_error_rate

    path = folder / f"{HEARD}.jsonl"
    if not path.exists():
        return []
    current = {(r["text"], r["intent"], r["group"]) for r in typed}
    rows = [r for r in load_split(HEARD, folder) if (r["spoken"], r["intent"], r["group"]) in current]
    return [r for r in rows if r["text"] and 0 < word_error_rate(r["spoken"], r["text"]) <= max_wer]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hear_dataset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=repo_root() / "models" / "whisper-base")
    parser.add_argument("--dataset", type=Path, default=resources_dir() / "intents")
    parser.add_argument("--limit", type=int, default=0, help="hear only the first N training rows (0: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not (args.model / "model.bin").is_file():
        print(f"hear_dataset: no Whisper model at {args.model}", file=sys.stderr)
        return 2
    rows = load_split("train", args.dataset)
    count = heard_rows(rows[: args.limit] if args.limit else rows, args.model, args.dataset / f"{HEARD}.jsonl")
    kept = training_rows(args.dataset, rows)
    print(f"heard {count} rows; {len(kept)} are near misses (`slm-desktop-build-intent --heard` trains on them)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
