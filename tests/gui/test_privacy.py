"""Privacy: the running app listens on no socket, and INFO logs never carry the user's text."""

from __future__ import annotations

import ipaddress
import logging
import shutil
from pathlib import Path

import pytest
from gui_process import GuiProcess
from PySide6.QtWidgets import QFileDialog

SECRET = "Zebulon-the-confidential-merger-7731"
LISTENING_UNIX = 0x10000  # __SO_ACCEPTCON in /proc/net/unix's Flags column


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if str(target).startswith("socket:["):
            inodes.add(str(target)[8:-1])
    return inodes


def _listening(pid: int) -> list[str]:
    """Sockets of this process that accept connections: TCP LISTEN, any bound UDP, listening unix."""
    mine = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for fields in (line.split() for line in lines):
            listening = fields[3] == "0A" if table.startswith("tcp") else True
            if fields[9] in mine and listening:
                found.append(f"{table} {fields[1]}")
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[6] in mine and int(fields[3], 16) & LISTENING_UNIX:
            found.append(f"unix {fields[-1] if len(fields) > 7 else '(anonymous)'}")
    return found


def _proc_ip(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp* addresses: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    return ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4)))


def _remote_peers(pid: int) -> list[str]:
    """Connected TCP/UDP peers of this process that are not loopback."""
    mine = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for fields in (line.split() for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]):
            peer = _proc_ip(fields[2].split(":")[0])
            if fields[9] in mine and not peer.is_unspecified and not peer.is_loopback:
                found.append(f"{table} {peer}")
    return found


def test_the_running_app_opens_no_listening_socket_and_connects_nowhere(gui_env):
    gui = GuiProcess("idle", gui_env)
    try:
        pid = int(gui.wait_for(lambda s: s.startswith("ready ")).split()[1])
        assert pid == gui.process.pid
        assert _listening(pid) == []
        assert _remote_peers(pid) == []
    finally:
        gui.close()


def test_proc_addresses_parse():
    assert str(_proc_ip("0100007F")) == "127.0.0.1"
    assert str(_proc_ip("00000000000000000000000001000000")) == "::1"


def test_the_probe_sees_a_listening_socket_when_there_is_one():
    """The check above can fail: this test process listening on TCP is found."""
    import os
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert any(entry.startswith("tcp ") for entry in _listening(os.getpid()))


@pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")
def test_info_logs_never_contain_the_document_text(qtbot, window, caplog, tmp_path, monkeypatch):
    caplog.set_level(logging.INFO)
    qtbot.keyClicks(window.editor, f"Dear board, {SECRET} closes Friday.")
    window.autosave_now()
    target = tmp_path / "letter.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.save_document()
    assert window.open_path(target)
    window.editor.selectAll()
    window.commands.submit("translate this into spanish")
    panel = window.translation_panel
    qtbot.waitUntil(
        lambda: SECRET in panel.source_edit.toPlainText() and "Zebulon" in panel.translation(), timeout=30000
    )
    assert SECRET in target.read_text()  # the text really went through save, open and the translate command
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for step in ("status: Saved letter.txt", "status: Opened letter.txt", "status: Done: Translate"):
        assert step in logged, f"{step!r} was not logged: the check would not cover that step"
    assert SECRET not in logged


def test_a_configured_server_that_is_off_is_never_contacted(gui_env, tmp_path):
    """Settings name a server (key, every capability ticked) but "Use a server" is off: while the real app
    types and suggests, the server's port receives no connection at all (and nothing else is contacted)."""
    import socket
    import threading

    import tomli_w

    accepted: list[object] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept())
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    server = {"enabled": False, "url": f"http://127.0.0.1:{port}", "api_key": "sk-1", "speech": True}
    settings = tmp_path / "config" / "settings.toml"
    settings.write_text(tomli_w.dumps({"ui": {"autosave_seconds": 1}, "server": server}))
    gui = GuiProcess("type", gui_env)
    try:
        gui.wait_for(lambda s: s == "typed 15")
        assert _remote_peers(gui.process.pid) == []
    finally:
        gui.close()
        listener.close()
    assert accepted == [], "the app connected to a server that is switched off"


def test_real_app_typing_dictation_and_translation_connect_only_to_loopback_and_unix_sockets(gui_env, tmp_path):
    """The whole GUI process tree under `strace -f -e trace=connect`: suggestions from the real GGUF model,
    push-to-talk from the PulseAudio virtual microphone (real PocketSphinx) and an Apertium translation.
    Every connect() the kernel saw must be AF_UNIX/AF_NETLINK or loopback (tests/strace_connect.py, whose
    failure is shown in tests/unit/test_strace_connect.py)."""
    import tomli_w
    from speech_support import VirtualMic, librivox_references
    from strace_connect import connects, outside, strace_prefix

    out = tmp_path / "connect.trace"
    prefix = tuple(strace_prefix(out))
    wav = next(w for w in librivox_references() if w.name.endswith("0930.wav"))
    settings = {
        "ui": {"autosave_seconds": 1},
        "speech": {"engine": "pocketsphinx", "input_device": "pulse", "mode": "dictation"},
        "translation": {"engine": "apertium", "source": "en", "target": "es"},
    }
    (tmp_path / "config" / "settings.toml").write_text(tomli_w.dumps(settings))
    mic = VirtualMic().start()
    env = {**gui_env, "PULSE_SERVER": mic.env["PULSE_SERVER"], "SLM_TEST_WAV": str(wav)}
    gui = GuiProcess("privacy", env, prefix=prefix)
    try:
        gui.wait_for(lambda s: s == "suggested", timeout=120)
        dictated = gui.wait_for(lambda s: s.startswith("dictated "), timeout=120)
        translated = gui.wait_for(lambda s: s.startswith("translated "), timeout=120)
        assert gui.wait(60) == 0, gui.stderr()
    finally:
        gui.close()
        mic.stop()
    assert "might" in dictated and len(translated) > len("translated ")
    found = connects(out.read_text(errors="replace").splitlines())
    assert any(c.family == "AF_UNIX" and "native" in c.address for c in found), "the trace saw no PulseAudio connect"
    assert outside(found) == []
