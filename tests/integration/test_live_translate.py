"""Live translation through real engines: PocketSphinx (embedded en-us) + Apertium en→es, on librivox
clips joined with pauses: from memory, through the CLI, and through the PulseAudio virtual microphone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time

import pytest
import speech_support
from live_support import join_clips

from slm_desktop.bench.live import write_wav
from slm_desktop.engines.sphinx_engine import SphinxEngine
from slm_desktop.live import FINAL, PARTIAL, TRANSLATED, LivePipeline, OwnedEngines, live_sphinx_config, plan_translator
from slm_desktop.translation import discover

virtual_mic = speech_support.virtual_mic  # the PulseAudio virtual-microphone fixture
pytestmark = pytest.mark.skipif(shutil.which("apertium") is None, reason="needs apertium-eng-spa (setup.sh --test)")


SPANISH = set(  # common Spanish function words and auxiliaries; none is an English word
    [
        "el",
        "la",
        "los",
        "las",
        "de",
        "que",
        "y",
        "es",
        "en",
        "un",
        "una",
        "por",
        "con",
        "para",
        "se",
        "su",
        "al",
        "del",
        "lo",
        "le",
        "él",
        "fue",
        "ser",
        "sido",
        "haber",
        "hasta",
        "más",
        "como",
        "muy",
        "pero",
        "podría",
        "hacer",
        "estos",
        "aquellos",
    ]
)


class CountingEngines(OwnedEngines):
    """Records every sentence the translation engine is asked for."""

    def __init__(self, catalog):
        super().__init__(catalog)
        self.asked: list[str] = []

    def __call__(self, pair):
        engine = super().__call__(pair)
        outer = self

        class Counting:
            name = engine.name

            def translate(self, sentences, **options):
                outer.asked.extend(sentences)
                return engine.translate(sentences, **options)

        return Counting()


def spanish_words(text: str) -> set[str]:
    return {w.strip(".,").lower() for w in text.split()} & SPANISH


def _sphinx_live(app_paths, joined) -> tuple[list, CountingEngines]:
    """The joined clips through PocketSphinx + Apertium en -> es, in 20 ms blocks as the microphone
    delivers them: (events, the counting translation engines)."""
    catalog = discover(app_paths, engines=("apertium",))
    engines = CountingEngines(catalog)
    translator = plan_translator(catalog, "en", "es", engine_for=engines)
    events = []
    pipeline = LivePipeline(SphinxEngine(live_sphinx_config()), translator, on_event=events.append)
    try:
        for offset in range(0, len(joined.pcm), 640):
            pipeline.feed(joined.pcm[offset : offset + 640])
        pipeline.cut()
    finally:
        engines.close()
    return events, engines


def test_pocketsphinx_and_apertium_translate_each_phrase_once_in_order(app_paths):
    joined = join_clips(3)
    events, engines = _sphinx_live(app_paths, joined)
    finals = [e for e in events if e.kind == FINAL and e.text]
    translated = [e for e in events if e.kind == TRANSLATED]
    assert len(finals) == len(translated) == 3, [(e.kind, e.text) for e in events]
    assert [e.phrase for e in translated] == [0, 1, 2]
    assert engines.asked == [e.text for e in finals]  # each phrase went to Apertium once, partials never
    for final, done, (start, end) in zip(finals, translated, joined.spans, strict=True):
        assert done.source == final.text and done.text and done.text != final.text
        assert spanish_words(done.text), done.text
        assert start - 0.4 <= done.start_s and done.end_s <= end + 0.4
    assert "joven" in translated[1].text  # "... young man" (second clip)
    assert sum(e.kind == PARTIAL for e in events) >= 3


def test_pocketsphinx_phrases_are_cut_by_silero_so_noise_between_them_merges_nothing(app_paths):
    """White noise at -35 dBFS between the clips: the energy detector's floor rose into it and merged
    the phrases; Silero cuts one phrase per clip whatever the recogniser."""
    joined = join_clips(3, pause_s=2.0, noise=600.0)
    events, _engines = _sphinx_live(app_paths, joined)
    translated = [e for e in events if e.kind == TRANSLATED]
    assert len(translated) == 3, [(e.kind, e.text) for e in events]
    for done, (start, end) in zip(translated, joined.spans, strict=True):
        assert start - 0.4 <= done.start_s and done.end_s <= end + 0.4, (done.start_s, done.end_s, start, end)


def test_cli_file_fast_json_prints_phrases_and_translations(isolated_env, tmp_path):
    wav = write_wav(join_clips(2).pcm, tmp_path / "two.wav")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "slm_desktop",
            "live",
            "--to",
            "es",
            "--from",
            "en",
            "--file",
            str(wav),
            "--fast",
            "--json",
        ],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["type"], line["index"]) for line in lines] == [
        ("phrase", 0),
        ("translation", 0),
        ("phrase", 1),
        ("translation", 1),
    ]
    assert all(spanish_words(line["text"]) for line in lines if line["type"] == "translation")


def test_cli_reports_a_missing_pair_and_a_bad_file_in_one_line(isolated_env, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    for args in (["--to", "xx"], ["--to", "es"]):
        done = subprocess.run(
            [sys.executable, "-m", "slm_desktop", "live", *args, "--file", str(bad), "--fast"],
            env=isolated_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_virtual_microphone_to_translated_phrases(virtual_mic, tmp_path, app_paths):
    from slm_desktop.audio.capture import CaptureConfig, Microphone

    wav = write_wav(join_clips(pick=(1, 4), pause_s=1.0).pcm, tmp_path / "two.wav")  # the 3 s clips
    catalog = discover(app_paths, engines=("apertium",))
    engines = OwnedEngines(catalog)
    events = []
    pipeline = LivePipeline(
        SphinxEngine(live_sphinx_config()),
        plan_translator(catalog, "en", "es", engine_for=engines),
        on_event=events.append,
    )
    mic = Microphone(CaptureConfig(device="pulse"))
    deadline = [float("inf")]

    def done() -> bool:  # both phrases translated, or 10 s after the playback ended
        return sum(e.kind == TRANSLATED for e in events) >= 2 or time.monotonic() > deadline[0]

    runner = threading.Thread(target=pipeline.run, args=(mic,), kwargs={"until": done})
    try:
        runner.start()
        assert virtual_mic.play(wav).wait(60) == 0
        deadline[0] = time.monotonic() + 10
        runner.join(60)
    finally:
        deadline[0] = 0
        mic.close()
        engines.close()
    translated = [e for e in events if e.kind == TRANSLATED]
    assert [e.phrase for e in translated] == [0, 1], [(e.kind, e.text) for e in events]
    assert all(spanish_words(e.text) for e in translated), [e.text for e in translated]
