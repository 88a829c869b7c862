"""Without a Whisper model the window falls back to PocketSphinx and says, in one line, how to install it."""

from __future__ import annotations


def test_a_missing_whisper_model_falls_back_to_pocketsphinx_with_the_install_line(qtbot, app_paths, monkeypatch):
    from qt_support import dispose

    from slm_desktop import app as app_module
    from slm_desktop.paths import shipped_models_dirs
    from slm_desktop.ui.main_window import MainWindow

    real = shipped_models_dirs()
    completion_only = app_paths.user_models_dir
    completion_only.mkdir(parents=True, exist_ok=True)
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "intent-minilm-int8"):
        source = real[0] / name
        if source.exists():
            (completion_only / name).symlink_to(source)
    monkeypatch.setattr("slm_desktop.paths.shipped_models_dirs", lambda: [])
    shown: list[str] = []
    original = MainWindow.show_message
    monkeypatch.setattr(MainWindow, "show_message", lambda self, m, t=8000: (shown.append(m), original(self, m, t)))
    window = app_module.create_window(app_paths)
    try:
        assert window._speech_choice().engine == "pocketsphinx"
        lines = [m for m in shown if "Whisper" in m]
        assert lines and "slm-desktop models install whisper-base" in lines[0] and "\n" not in lines[0]
    finally:
        dispose(window)
