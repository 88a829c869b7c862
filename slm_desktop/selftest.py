"""Self-test checks of the translation side: `slm-desktop self-test` runs them (diagnostics.SELF_TESTS).

They live here, not in the modules they check, so that translation.py and live.py hold only what the app
runs. Each check loads the real engines and models and returns one line, or raises.
"""

from __future__ import annotations

from slm_desktop.diagnostics import NotInstalled


def check_translation(paths) -> str:
    """Self-test: one sentence through each installed engine (the first pair of each)."""
    from slm_desktop.translation import ENGINE_PREFERENCE, discover

    catalog = discover(paths, threads=1)
    if not catalog.pairs:
        raise NotInstalled("no translation engine: apt install apertium-eng-spa, or install a CTranslate2 model")
    details = []
    for engine_name in ENGINE_PREFERENCE:
        pairs = [p for p in catalog.pairs if p.engine == engine_name]
        if not pairs:
            continue
        pair = next((p for p in pairs if (p.source, p.target) == ("en", "es")), pairs[0])
        engine = catalog.open(pair)
        try:
            out = next(engine.translate(["Hello world."], source=pair.source, target=pair.target))
        finally:
            engine.close()
        if not out.text.strip():
            raise RuntimeError(f"{engine_name} {pair.source}→{pair.target} returned nothing")
        details.append(f"{engine_name} {pair.source}→{pair.target}: {out.text!r}")
    return "; ".join(details) + f" ({len(catalog.pairs)} pairs)"


def check_language_detection(paths) -> str:
    """py3langid's model is found and loaded (a frozen app must bundle its data file), and it says
    "unknown" rather than guessing on a word that many languages share."""
    from slm_desktop.languages import detect_language

    found = detect_language("El gato está en la casa y es muy bonito")
    unsure = detect_language("Hola")
    if found.language != "es" or unsure.known:
        raise RuntimeError(f"expected es and unknown, got {found.language} and {unsure.language}")
    return f"es ({found.confidence:.2f}); 'Hola' → unknown ({unsure.reason})"


def check_live(paths) -> str:
    """Self-test: a known clip between two pauses through PocketSphinx + the en→es route: one phrase,
    translated once."""
    import tempfile
    from pathlib import Path

    from slm_desktop.audio.vad import VadConfig
    from slm_desktop.audio.wav import read_pcm16k
    from slm_desktop.engines.sphinx_engine import SphinxEngine
    from slm_desktop.live import TRANSLATED, LiveEvent, LivePipeline, live_sphinx_config, plan_translator
    from slm_desktop.speech_checks import _sample_clip
    from slm_desktop.translation import NoModel, discover

    try:
        translator = plan_translator(discover(paths, threads=1), "en", "es")
    except NoModel as exc:
        raise NotInstalled(f"{exc}: apt install apertium-eng-spa") from exc
    with tempfile.TemporaryDirectory() as tmp:
        clip, origin = _sample_clip(Path(tmp))
        pause = bytes(16000)  # 0.5 s of digital silence
        pcm = pause + read_pcm16k(clip) + pause * 3
    events: list[LiveEvent] = []
    pipeline = LivePipeline(SphinxEngine(live_sphinx_config()), translator, on_event=events.append, vad=VadConfig())
    try:
        pipeline.feed(pcm)
        pipeline.cut()
    finally:
        translator.close()
    done = [e for e in events if e.kind == TRANSLATED]
    if len(done) != 1 or not done[0].text:
        raise RuntimeError(f"expected one translated phrase, got {[e.text for e in done]}")
    return f"'{done[0].source}' → '{done[0].text}' ({origin}, {done[0].ms:.0f} ms after the cut)"
