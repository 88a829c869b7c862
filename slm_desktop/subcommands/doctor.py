"""`slm-desktop doctor`: what was found, and what to install for what is missing."""

from __future__ import annotations

import ctypes.util
import importlib.util
import shutil

from slm_desktop.cli import add_json_flag, print_json
from slm_desktop.diagnostics import format_table
from slm_desktop.paths import ct2_install_hint
from slm_desktop.translation import CT2_RUNTIME

ENGINES = {
    "llama_cpp": ("completion (llama.cpp)", "pip install llama-cpp-python"),
    "onnxruntime": ("intent (ONNX Runtime)", "pip install onnxruntime"),
    "tokenizers": ("intent tokenizer", "pip install tokenizers"),
    "vosk": ("speech (Vosk)", "pip install vosk"),
    "pocketsphinx": ("speech (PocketSphinx, English)", "pip install pocketsphinx"),
    "ctranslate2": ("translation (CTranslate2)", "pip install ctranslate2"),
    "sentencepiece": ("translation tokenizer", "pip install sentencepiece"),
    "sounddevice": ("microphone capture", "pip install sounddevice"),
}

SYSTEM = {
    "libportaudio": ("library", "portaudio", "apt install libportaudio2"),
    "apertium": ("program", "apertium", "apt install apertium-eng-spa apertium-eng-cat"),
    "espeak-ng": ("program", "espeak-ng", "apt install espeak-ng"),
    "pulseaudio": ("program", "pulseaudio", "apt install pulseaudio pulseaudio-utils"),
}

MODEL_PATTERNS = {
    "completion": "*.gguf",
    "intent": "intent-*",
    "vosk": "vosk-model-*",
    "translation": "*.argosmodel",
}


def register(sub) -> None:
    parser = sub.add_parser("doctor", help="show engines, models, audio devices and what is missing")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _engines() -> list[dict]:
    return [
        {
            "name": mod,
            "role": role,
            "found": importlib.util.find_spec(mod) is not None,
            "fix": ct2_install_hint() if mod in CT2_RUNTIME else fix,  # a frozen build without it: another build
        }
        for mod, (role, fix) in ENGINES.items()
    ]


def _system() -> list[dict]:
    found = []
    for name, (kind, target, fix) in SYSTEM.items():
        ok = bool(ctypes.util.find_library(target)) if kind == "library" else bool(shutil.which(target))
        found.append({"name": name, "kind": kind, "found": ok, "fix": fix})
    return found


def _audio_devices() -> dict:
    if not ctypes.util.find_library("portaudio"):
        return {"inputs": [], "error": "PortAudio is missing: apt install libportaudio2"}
    try:
        import sounddevice

        devices = sounddevice.query_devices()
    except Exception as exc:  # PortAudio errors vary by platform
        return {"inputs": [], "error": f"audio devices could not be listed: {exc}"}
    inputs = [d["name"] for d in devices if d.get("max_input_channels", 0) > 0]
    return {"inputs": inputs, "error": None if inputs else "no microphone (input device) found"}


def _models(paths) -> dict:
    return {
        "search_path": [str(p) for p in paths.model_search_path()],
        "found": {kind: [str(p) for p in paths.find_models(pattern)] for kind, pattern in MODEL_PATTERNS.items()},
    }


def _server(paths) -> dict:
    """The configured server and whether it answers; a server that is off is not contacted."""
    from slm_desktop.config import load_settings
    from slm_desktop.engines.openai_server import ServerClient, ServerError
    from slm_desktop.server_key import load_key
    from slm_desktop.server_select import server_config

    settings = load_settings(paths.settings_file).settings.server
    report = {"url": settings.url, "enabled": settings.enabled, "uses": [], "answers": None, "detail": ""}
    if not settings.url:
        report["detail"] = "none configured (Settings → Use a server)"
        return report
    report["uses"] = [c for c in ("completion", "translation", "speech") if getattr(settings, c)]
    if not settings.enabled:
        report["detail"] = "off: not contacted"
        return report
    client = ServerClient(server_config(settings, load_key(settings)))
    try:
        models, ms = client.round_trip()
        report.update(answers=True, ms=round(ms, 1), models=models, detail=f"answers in {ms:.0f} ms")
    except ServerError as exc:
        report.update(answers=False, detail=str(exc))
    finally:
        client.close()
    return report


def collect(paths) -> dict:
    return {
        "server": _server(paths),
        "engines": _engines(),
        "system": _system(),
        "audio": _audio_devices(),
        "models": _models(paths),
    }


def run(args) -> int:
    report = collect(args.paths)
    if args.json:
        print_json(report)
        return 0
    rows = [
        (e["name"], e["role"], "yes" if e["found"] else "NO", "" if e["found"] else e["fix"]) for e in report["engines"]
    ]
    rows += [
        (s["name"], s["kind"], "yes" if s["found"] else "NO", "" if s["found"] else s["fix"]) for s in report["system"]
    ]
    print(format_table(rows, ("component", "role", "found", "to install")))
    audio = report["audio"]
    print(
        f"\nmicrophones: {', '.join(audio['inputs']) or 'none'}" + (f"  ({audio['error']})" if audio["error"] else "")
    )
    print("\nmodel search path:\n  " + "\n  ".join(report["models"]["search_path"] or ["(no folder exists yet)"]))
    for kind, found in report["models"]["found"].items():
        print(f"{kind} models: {', '.join(found) or 'none'}")
    server = report["server"]
    where = f"{server['url']} ({', '.join(server['uses']) or 'no capability'}): " if server["url"] else ""
    print(f"\nserver: {where}{server['detail']}")
    if server.get("models"):
        print("server models: " + ", ".join(server["models"]))
    return 0
