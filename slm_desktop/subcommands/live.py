"""`slm-desktop live --to es [--from en] [--file FILE.wav] [--fast] [--json]`: speak, read the translation.

Prints each finished phrase and its translation as they come, from the microphone (Ctrl+C stops)
or from a WAV file played at real-time speed (``--fast``: as fast as the engines go, for tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.engines.speech_select import ENGINES as SPEECH_ENGINES

TRANSLATION_ENGINES = ("auto", "ct2", "apertium", "llm")


def register(sub) -> None:
    parser = sub.add_parser("live", help="live speech translation: print phrases and their translations")
    parser.add_argument("--to", dest="target", required=True, help="target language code, e.g. es")
    parser.add_argument(
        "--from", dest="source", help="spoken language, or auto: detected per phrase by Whisper (default: settings)"
    )
    parser.add_argument("--file", type=Path, help="an audio file instead of the microphone (played in real time)")
    parser.add_argument("--fast", action="store_true", help="with --file: do not pace the file in real time")
    parser.add_argument("--device", help="input device name or index (default: settings, then the system's)")
    parser.add_argument("--speech-engine", choices=SPEECH_ENGINES, help="default: settings")
    parser.add_argument("--engine", choices=TRANSLATION_ENGINES, default="auto", help="translation engine")
    add_json_flag(parser)
    parser.set_defaults(func=run)


class _Printer:
    """Phrases and translations as lines (text) or one JSON object per line (--json)."""

    def __init__(self, as_json: bool, source: str, target: str):
        self.as_json, self.source, self.target = as_json, source, target
        self._partial_shown = False

    def __call__(self, event) -> None:
        from slm_desktop.live import FINAL, PARTIAL

        if event.kind == PARTIAL:
            self._show_partial(event.text)
            return
        self._clear_partial()
        if event.kind == FINAL and not event.text:
            return
        if self.as_json:
            kind = "phrase" if event.kind == FINAL else "translation"
            data = {"type": kind, "index": event.phrase, "text": event.text, "ms": round(event.ms, 1)}
            print_json(data | ({"language": event.language} if event.kind == FINAL else {}))
        else:
            language = (event.language or self.source) if event.kind == FINAL else self.target
            print(f"[{language}] {event.text}", flush=True)
        sys.stdout.flush()

    def _show_partial(self, text: str) -> None:
        if not self.as_json and sys.stderr.isatty():
            print(f"\r… {text}\033[K", end="", file=sys.stderr, flush=True)
            self._partial_shown = True

    def _clear_partial(self) -> None:
        if self._partial_shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
            self._partial_shown = False


def _open_source(args, settings):
    if args.file is not None:
        from slm_desktop.audio.decode import probe
        from slm_desktop.audio.ptt import WavSource

        probe(args.file)  # a bad file fails in one line before any engine loads
        return WavSource(args.file, realtime=not args.fast)
    from slm_desktop.audio.capture import CaptureConfig, Microphone

    device = args.device if args.device is not None else settings.speech.input_device
    return Microphone(CaptureConfig(device=int(device) if str(device).isdigit() else device or None))


def run(args) -> int:
    import dataclasses

    from slm_desktop.config import load_settings
    from slm_desktop.engines.speech_select import choose_speech_engine
    from slm_desktop.live import AutoPhraseTranslator, LivePipeline, OwnedEngines, live_speech_engine, plan_translator
    from slm_desktop.translation import discover

    settings = load_settings(args.paths.settings_file).settings
    source_language = (args.source or settings.speech.language).lower()
    speech_settings = dataclasses.replace(settings.speech, language=source_language)
    catalog = discover(args.paths, threads=settings.translation.threads)
    engines = OwnedEngines(catalog)
    choice = choose_speech_engine(speech_settings, args.paths, engine=args.speech_engine)
    if choice.message:
        print(choice.message, file=sys.stderr)
    if source_language == "auto":
        translator = AutoPhraseTranslator(catalog, args.target, engine=args.engine, engine_for=engines)
    else:
        translator = plan_translator(catalog, source_language, args.target, engine=args.engine, engine_for=engines)
    audio = _open_source(args, settings)
    shows_partials = not args.json and sys.stderr.isatty()  # partial text costs Whisper a decode a second
    speech = live_speech_engine(dataclasses.replace(choice, in_process=True, partials=shows_partials))
    printer = _Printer(args.json, source_language, args.target)
    pipeline = LivePipeline(speech, translator, on_event=printer)
    try:
        if args.file is None:
            print(f"listening on {audio.device_name}; Ctrl+C stops", file=sys.stderr, flush=True)
        pipeline.run(audio)
    except KeyboardInterrupt:
        pipeline.cut()
    finally:
        if hasattr(audio, "close"):
            audio.close()
        speech.close()
        engines.close()
    return 0
