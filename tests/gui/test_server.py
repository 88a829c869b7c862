"""The real window with a real llama-cpp-python server on 127.0.0.1 (tests/server_support.py): ghost text
streamed from the server, fallback to the local model when the server is down or slow and back when it
answers, the status bar, the Settings page (Test, key storage, http:// confirmation)."""

from __future__ import annotations

import dataclasses

import pytest
import tomli_w
from PySide6.QtWidgets import QMessageBox
from qt_support import dispose
from server_support import API_KEY, RecordingProxy, StallingServer

from slm_desktop import app as app_module
from slm_desktop.config import ServerSettings, Settings
from slm_desktop.ui.settings_dialog import SettingsDialog

TIMEOUT_MS = 60_000
TEXT = "The meeting has been moved to next"


def _window(qtbot, app_paths, server: ServerSettings, **completion):
    settings = dataclasses.replace(Settings(), server=server)
    settings = settings.with_value("completion", "debounce_ms", 50)
    for key, value in completion.items():
        settings = settings.with_value("completion", key, value)
    app_paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    app_paths.settings_file.write_bytes(tomli_w.dumps(dataclasses.asdict(settings)).encode())
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    return win


def _on(url: str, **kw) -> ServerSettings:
    kw.setdefault("first_token_timeout_s", 30.0)  # the shared test machine is busy; timeouts have their own test
    kw.setdefault("enabled", True)
    kw.setdefault("translation", False)
    return ServerSettings(url=url, api_key=API_KEY, **kw)


def _type_and_wait(qtbot, win, text: str, *, model_prefix: str) -> str:
    win.editor.setFocus()
    win.editor.clear()
    qtbot.keyClicks(win.editor, text)

    def done() -> bool:
        last = win.suggestions.last_completion
        return bool(win.editor.ghost()) and last is not None and last.model.startswith(model_prefix)

    qtbot.waitUntil(done, timeout=TIMEOUT_MS)
    return win.editor.ghost()


@pytest.fixture
def proxy(llama_server):
    found = RecordingProxy(llama_server.port)
    yield found
    found.close()


def test_ghost_text_streams_from_the_server_into_the_real_window(qtbot, app_paths, llama_server, proxy):
    win = _window(qtbot, app_paths, _on(proxy.url))
    shown: list[str] = []
    win.suggestions.suggestionShown.connect(lambda _before, text: shown.append(text))
    try:
        assert win.server_mode.label.isVisible()
        assert win.server_mode.label.text() == f"server: 127.0.0.1:{proxy.port}"
        ghost = _type_and_wait(qtbot, win, TEXT, model_prefix="server:127.0.0.1")
        assert ghost.strip()
        assert b"POST /v1/completions" in b"".join(bytes(c.to_server) for c in proxy.connections)
        assert len(shown) >= 2, "the ghost did not grow while the server streamed"
        qtbot.waitUntil(lambda: any(win.chips.words()), timeout=TIMEOUT_MS)  # chips from the server's logprobs
    finally:
        dispose(win)


def test_a_down_server_falls_back_to_local_and_is_used_again_when_it_answers(qtbot, app_paths, llama_server, proxy):
    proxy.refuse = True
    win = _window(qtbot, app_paths, _on(proxy.url))
    win.server_mode.switch.backoff_first_s = 0.0  # retried at the next request (the backoff has its own test)
    messages: list[str] = []
    win.statusBar().messageChanged.connect(lambda text: messages.append(text) if text else None)
    try:
        ghost = _type_and_wait(qtbot, win, TEXT, model_prefix="SmolLM2")
        assert ghost.strip()
        down = [m for m in messages if "uses the local engine" in m]
        assert down and down[0].startswith(f"server 127.0.0.1:{proxy.port} dropped the connection")
        assert all("\n" not in m for m in messages)
        proxy.refuse = False
        _type_and_wait(qtbot, win, "Thank you for your", model_prefix="server:")
        qtbot.waitUntil(lambda: any("answers again" in m for m in messages), timeout=TIMEOUT_MS)
    finally:
        dispose(win)


def test_a_server_slower_than_the_timeout_gives_the_local_ghost_and_one_line(qtbot, app_paths):
    stalling = StallingServer()
    win = _window(qtbot, app_paths, _on(stalling.url, first_token_timeout_s=0.5))
    messages: list[str] = []
    win.statusBar().messageChanged.connect(lambda text: messages.append(text) if text else None)
    try:
        ghost = _type_and_wait(qtbot, win, TEXT, model_prefix="SmolLM2")
        assert ghost.strip()
        assert any(m.startswith(f"server {stalling.url[7:]} sent nothing for 0.5 s") for m in messages)
        assert win.editor.toPlainText() == TEXT  # the user's text is untouched
    finally:
        dispose(win)
        stalling.close()


def test_wrong_key_falls_back_with_one_line(qtbot, app_paths, llama_server):
    win = _window(qtbot, app_paths, dataclasses.replace(_on(llama_server.url), api_key="wrong"))
    messages: list[str] = []
    win.statusBar().messageChanged.connect(lambda text: messages.append(text) if text else None)
    try:
        _type_and_wait(qtbot, win, TEXT, model_prefix="SmolLM2")
        assert any("refused the API key (401" in m for m in messages)
    finally:
        dispose(win)


def test_server_off_means_no_label_and_no_connection(qtbot, app_paths, llama_server, proxy):
    off = dataclasses.replace(_on(proxy.url), enabled=False, translation=True, speech=True)
    win = _window(qtbot, app_paths, off)
    try:
        assert not win.server_mode.label.isVisible()
        _type_and_wait(qtbot, win, TEXT, model_prefix="SmolLM2")
        win.translation_panel.translate_text("Hello world.", "es")
        qtbot.waitUntil(lambda: not win.services.worker.busy("translation"), timeout=TIMEOUT_MS)
        assert proxy.connections == []
    finally:
        dispose(win)


# ---------------------------------------------------------------- the Settings page


def _page_dialog(qtbot, server: ServerSettings, worker=None) -> SettingsDialog:
    dialog = SettingsDialog(dataclasses.replace(Settings(), server=server), worker=worker)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentWidget(dialog.server_page)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_test_button_shows_models_and_round_trip_without_blocking(qtbot, llama_server):
    from slm_desktop.worker import Worker

    worker = Worker()
    dialog = _page_dialog(qtbot, ServerSettings(url=llama_server.url), worker)
    page = dialog.server_page
    try:
        page.key.setText(API_KEY)
        page.test_button.click()
        assert page.test_result.text().startswith("Asking")  # returned at once: the request is on a lane
        qtbot.waitUntil(lambda: page.test_result.text().startswith("OK"), timeout=TIMEOUT_MS)
        assert "SmolLM2-135M-Instruct.Q4_1.gguf" in page.test_result.text()
        assert "round trip" in page.test_result.text()
        page.key.setText("wrong")
        page.test_button.click()
        qtbot.waitUntil(lambda: page.test_result.text().startswith("Failed"), timeout=TIMEOUT_MS)
        assert "401" in page.test_result.text()
    finally:
        worker.shutdown()


def test_without_a_keyring_the_key_goes_to_a_0600_settings_file(qtbot, tmp_path, monkeypatch):
    from slm_desktop import server_key
    from slm_desktop.config import load_settings, save_settings

    monkeypatch.setattr(server_key, "keyring_name", lambda: "")
    dialog = _page_dialog(qtbot, ServerSettings())
    page = dialog.server_page
    assert "settings.toml, readable only by you (0600)" in page.key_where.text()
    page.enabled.setChecked(True)
    page.url.setText("http://192.168.1.20:8080")
    page.key.setText("sk-local")
    settings = dialog.result_settings()
    path = tmp_path / "settings.toml"
    save_settings(settings, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_settings(path).settings.server.api_key == "sk-local"


def test_with_a_keyring_the_key_stays_out_of_the_file(qtbot, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}  # noqa: RUF012

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        dialog = _page_dialog(qtbot, ServerSettings())
        page = dialog.server_page
        assert page.key_where.text().startswith("Stored in the system keyring")
        page.enabled.setChecked(True)
        page.url.setText("http://127.0.0.1:8080")
        page.key.setText("sk-secret")
        settings = dialog.result_settings()
        assert settings.server.api_key == ""
        assert Memory.store[("slm-desktop", "server-api-key")] == "sk-secret"
    finally:
        keyring.set_keyring(previous)


def test_http_off_the_local_network_asks_once(qtbot, monkeypatch):
    asked: list[str] = []

    def answer(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    dialog = _page_dialog(qtbot, ServerSettings())
    page = dialog.server_page
    page.enabled.setChecked(True)
    page.url.setText("http://192.168.1.20:8080")
    assert page.confirm() and asked == []  # a private address: no question
    page.url.setText("http://models.example.com:8080")
    assert page.confirm() and len(asked) == 1
    dialog.accept()
    settings = dialog.result_settings()
    assert settings.server.confirmed_http == "http://models.example.com:8080"
    again = _page_dialog(qtbot, settings.server)
    assert again.server_page.confirm() and len(asked) == 1  # asked once only
    again.server_page.url.setText("https://models.example.com")
    assert again.server_page.confirm() and len(asked) == 1  # https: no question


def test_translation_uses_the_server_and_falls_back_to_apertium_when_it_is_down(qtbot, app_paths, llama_server, proxy):
    from speech_support import need_program

    need_program("apertium", "apertium-eng-spa")
    win = _window(qtbot, app_paths, dataclasses.replace(_on(proxy.url), completion=False, translation=True))
    messages: list[str] = []
    win.statusBar().messageChanged.connect(lambda text: messages.append(text) if text else None)
    panel = win.translation_panel
    try:
        panel.translate_text("Hello world.", "es")
        qtbot.waitUntil(lambda: panel.target_edit.toPlainText().strip() != "", timeout=TIMEOUT_MS)
        assert b"POST /v1/chat/completions" in b"".join(bytes(c.to_server) for c in proxy.connections)
        proxy.refuse = True
        panel.clear_cache()
        panel.translate_text("Good morning, my friend.", "es")
        qtbot.waitUntil(lambda: "amigo" in panel.target_edit.toPlainText(), timeout=TIMEOUT_MS)
        assert any("translation uses the local engine" in m for m in messages)
    finally:
        dispose(win)


def test_switching_the_server_on_and_off_in_settings_applies_at_once(qtbot, app_paths, llama_server, proxy):
    win = _window(qtbot, app_paths, dataclasses.replace(_on(proxy.url), enabled=False))
    try:
        assert not win.server_mode.label.isVisible()
        win.services.settings = dataclasses.replace(win.services.settings, server=_on(proxy.url))
        win.settings_changed()
        assert win.server_mode.label.isVisible()
        _type_and_wait(qtbot, win, TEXT, model_prefix="server:")
        win.services.settings = dataclasses.replace(win.services.settings, server=_on(proxy.url, enabled=False))
        win.settings_changed()
        assert not win.server_mode.label.isVisible()
        qtbot.waitUntil(lambda: not win.services.worker.busy("completion"), timeout=TIMEOUT_MS)
        seen = len(proxy.connections)
        _type_and_wait(qtbot, win, "Thank you for your", model_prefix="SmolLM2")
        assert len(proxy.connections) == seen, "the app still talked to the server after it was switched off"
    finally:
        dispose(win)
