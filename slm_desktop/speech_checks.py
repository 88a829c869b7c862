"""Self-test checks for speech: each engine loads and transcribes a short real clip."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from slm_desktop.diagnostics import NotInstalled
from slm_desktop.paths import AppPaths, resources_dir

LIBRIVOX_CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")
SHIPPED_CLIP = Path("speech") / "selftest-en.wav"  # the same recording, in resources/ (the bundle has it)
PHRASE = "he was not an ill disposed young man"


def _sample_clip(folder: Path) -> tuple[Path, str]:
    """The recording the app ships, else Debian's copy of it, else espeak-ng speech, else nothing to transcribe."""
    shipped = resources_dir() / SHIPPED_CLIP
    if shipped.exists():
        return shipped, "librivox"
    if LIBRIVOX_CLIP.exists():
        return LIBRIVOX_CLIP, "librivox"
    if shutil.which("espeak-ng"):
        out = folder / "phrase.wav"
        subprocess.run(["espeak-ng", "-w", str(out), PHRASE], check=True, capture_output=True)
        return out, "espeak-ng"
    raise NotInstalled("no sample speech: apt install pocketsphinx-testdata or espeak-ng")


def _transcribe(engine, clip: Path):
    from slm_desktop.audio.wav import iter_pcm16k

    utterance = engine.start()
    for pcm in iter_pcm16k(clip, rate=engine.sample_rate):
        utterance.accept(pcm)
    return utterance.finish()


def check_pocketsphinx(paths: AppPaths) -> str:
    """The embedded English engine must recognise most of a known sentence."""
    from slm_desktop.bench.wer import word_error_rate
    from slm_desktop.engines.sphinx_engine import SphinxEngine

    with tempfile.TemporaryDirectory() as tmp:
        clip, source = _sample_clip(Path(tmp))
        engine = SphinxEngine()
        try:
            transcript = _transcribe(engine, clip)
        finally:
            engine.close()
    error_rate = word_error_rate(PHRASE, transcript.text)
    if error_rate > 0.8:
        raise RuntimeError(f"PocketSphinx heard '{transcript.text}' for '{PHRASE}'")
    return f"'{transcript.text}' ({source}, WER {error_rate:.2f}, RTF {transcript.rtf:.2f})"


def check_whisper(paths: AppPaths) -> str:
    """The default recogniser: the best installed Whisper model transcribes a known sentence."""
    from slm_desktop.bench.wer import word_error_rate
    from slm_desktop.engines.speech_select import INSTALL_WHISPER, WHISPER_BASE, WHISPER_TINY_EN, find_whisper_model

    model = find_whisper_model(paths, WHISPER_BASE) or find_whisper_model(paths, WHISPER_TINY_EN)
    if model is None:
        raise NotInstalled(f"no Whisper model: {INSTALL_WHISPER}")
    try:
        from slm_desktop.engines.whisper_engine import WhisperConfig, WhisperEngine
    except ImportError as exc:
        raise NotInstalled(f"faster-whisper is not installed ({exc.name})") from None
    with tempfile.TemporaryDirectory() as tmp:
        clip, source = _sample_clip(Path(tmp))
        engine = WhisperEngine(WhisperConfig(model, language="en", partials=False))
        try:
            transcript = _transcribe(engine, clip)
        finally:
            engine.close()
    error_rate = word_error_rate(PHRASE, transcript.text)
    if error_rate > 0.5:
        raise RuntimeError(f"Whisper {model.name} heard '{transcript.text}' for '{PHRASE}'")
    return f"{model.name}: '{transcript.text}' ({source}, WER {error_rate:.2f}, RTF {transcript.rtf:.2f})"


def check_vosk(paths: AppPaths) -> str:
    """Any Vosk model on the search path loads and decodes speech (its language may not be English)."""
    from slm_desktop.engines.speech_select import VOSK_PATTERN

    models = [p for p in paths.find_models(VOSK_PATTERN) if p.is_dir()]
    if not models:
        raise NotInstalled(f"no Vosk model: put a {VOSK_PATTERN} folder in {paths.install_dir}")
    from slm_desktop.engines.vosk_engine import VoskConfig, VoskEngine

    with tempfile.TemporaryDirectory() as tmp:
        clip, source = _sample_clip(Path(tmp))
        engine = VoskEngine(VoskConfig(models[0]))
        try:
            transcript = _transcribe(engine, clip)
        finally:
            engine.close()
    return f"{models[0].name}: {len(transcript.words)} words from {source} (RTF {transcript.rtf:.2f})"
