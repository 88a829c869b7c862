"""The Debian package, as a person gets it: build it from the session's bundle, `apt-get install ./….deb` (root),
run it as a brand-new unprivileged user with no network, open it and a text file through the installed desktop
entry under Xvfb, then `apt-get purge` it and check that nothing is left in /opt or /usr.

The tests run in file order on one installed package (module fixtures). Part of `make test` (marker packaging).
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging_support import (
    DEFAULT_GGUF,
    distinct_colours,
    engine_checks,
    screenshot,
    start_xvfb,
    wait_for_marker,
    window_names,
)
from speech_support import need_program

from slm_desktop.paths import repo_root
from slm_desktop.startup_probe import MARKER

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]

APP = "slm-desktop"
ENTRY = Path("/usr/share/applications/slm-desktop.desktop")
DEB_BUDGET = 500 * 10**6  # issue 16: the .deb with the default models
UNPACKED_BUDGET = 800 * 10**6
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=600"]
WATCHED = (Path("/opt"), Path("/usr"))
MERGED_USR = ("/usr/lib/", "/usr/lib64/", "/usr/bin/", "/usr/sbin/")  # dpkg may list these files under /lib, /bin


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("installs a .deb with apt-get: run the tests as root (CI does)")
    need_program("dpkg-shlibdeps", "dpkg-dev")


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def deb(bundle: Path) -> Path:
    """packaging/build-deb.sh on the session's bundle (what `make deb` runs after build.sh)."""
    _need_root()
    out = bundle.parent / "deb-dist"
    env = dict(os.environ, DIST=str(out), WORK=str(bundle.parent / "deb-work"))
    done = _run([str(repo_root() / "packaging" / "build-deb.sh"), str(bundle)], env=env, cwd=repo_root())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(done.stdout)
    [package] = out.glob(f"{APP}_*.deb")
    return package


def _tree(roots: tuple[Path, ...] = WATCHED) -> set[str]:
    found: set[str] = set()
    for root in roots:
        for folder, dirs, files in os.walk(root):
            found.update(os.path.join(folder, name) for name in dirs + files)
    return found


def _owned_by_packages(paths: list[str]) -> set[str]:
    """The paths among these that some installed package owns (dpkg-query -S, one call per 500 paths)."""
    owned: set[str] = set()
    for start in range(0, len(paths), 500):
        out = _run(["dpkg-query", "-S", *paths[start : start + 500]]).stdout
        owned.update(path.strip() for line in out.splitlines() for path in line.split(": ", 1)[1:])
    return owned


@dataclass
class Installed:
    deb: Path
    before: set[str]  # /opt and /usr before the install
    files: list[str]  # dpkg -L slm-desktop


@pytest.fixture(scope="module")
def installed(deb: Path) -> Iterator[Installed]:
    if _run(["dpkg-query", "-W", APP]).returncode == 0:  # a previous run that died mid-way
        _run([*APT, "purge", APP])
    before = _tree()
    done = _run([*APT, "install", str(deb.resolve())], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    files = _run(["dpkg-query", "-L", APP], check=True).stdout.split()
    yield Installed(deb, before, files)
    if _run(["dpkg-query", "-W", APP]).returncode == 0:  # the purge test did not run
        _run([*APT, "purge", APP])


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        base = {"HOME": str(self.home), "USER": self.name, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        return base | extra

    def command(self, argv: list[str], *, network: bool = False) -> list[str]:
        """argv as this user (setpriv drops root), inside a network namespace of its own unless network=True."""
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"]
        return drop + argv if network else ["unshare", "-n", *drop, *argv]


@pytest.fixture(scope="module")
def new_user() -> Iterator[User]:
    """A throwaway unprivileged user with an empty home of its own, removed afterwards."""
    _need_root()
    home = Path(tempfile.mkdtemp(prefix="slm-deb-user-"))
    name = f"slmdeb{os.getpid() % 100000}"
    _run(["useradd", "--home-dir", str(home), "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        entry = pwd.getpwnam(name)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        home.chmod(0o700)
        yield User(name, entry.pw_uid, entry.pw_gid, home)
    finally:
        _run(["userdel", name])
        shutil.rmtree(home, ignore_errors=True)


def test_deb_is_within_its_size_budget_and_declares_what_it_needs(deb: Path):
    fields = _run(["dpkg-deb", "--field", str(deb)], check=True).stdout
    control = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line and not line[0].isspace())
    unpacked = int(control["Installed-Size"]) * 1024
    print(f"{deb.name}: {deb.stat().st_size / 1e6:.1f} MB, unpacked {unpacked / 1e6:.1f} MB")
    assert deb.stat().st_size <= DEB_BUDGET and unpacked <= UNPACKED_BUDGET
    depends = {part.split()[0] for part in control["Depends"].replace("|", ",").split(",")}
    assert {"libc6", "libportaudio2", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"} <= depends, depends
    contents = _run(["dpkg-deb", "--contents", str(deb)], check=True).stdout
    for path in (
        "./opt/slm-desktop/slm-desktop",
        f"./opt/slm-desktop/_internal/models/{DEFAULT_GGUF.name}",
        "./opt/slm-desktop/_internal/models/intent-minilm-int8/model.onnx",
        "./usr/share/applications/slm-desktop.desktop",
        "./usr/share/icons/hicolor/48x48/apps/slm-desktop.png",
        "./usr/share/icons/hicolor/scalable/apps/slm-desktop.svg",
        "./usr/share/metainfo/io.github.slm_desktop.SlmDesktop.metainfo.xml",
        "./usr/share/doc/slm-desktop/copyright",
    ):
        assert f" {path}" in contents, path
    assert "./usr/bin/slm-desktop -> /opt/slm-desktop/slm-desktop" in contents
    assert "libportaudio.so" not in contents  # the system's PortAudio (Depends), matching its ALSA plugins


def test_installed_desktop_entry_validates_and_offers_open_with_for_text_and_recordings(installed: Installed):
    need_program("desktop-file-validate", "desktop-file-utils")
    assert str(ENTRY) in installed.files
    _run(["desktop-file-validate", str(ENTRY)], check=True)
    lines = ENTRY.read_text(encoding="utf-8").splitlines()
    mime = next(line for line in lines if line.startswith("MimeType="))
    assert mime.startswith("MimeType=text/plain;") and "audio/mpeg;" in mime and "Exec=slm-desktop %f" in lines
    assert APP in Path("/usr/share/applications/mimeinfo.cache").read_text(encoding="utf-8")  # postinst/trigger
    assert Path(shutil.which(APP) or "").resolve() == Path("/opt/slm-desktop/slm-desktop")


def test_installed_app_passes_self_test_as_a_new_user_with_no_network(installed: Installed, new_user: User):
    done = _run(new_user.command([APP, "self-test", "--json"]), env=new_user.env(), timeout=600, cwd=new_user.home)
    report = json.loads(done.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert done.returncode == 0 and report["ok"], checks
    assert not [c for c in checks.values() if c["status"] == "FAIL"], checks
    for name in engine_checks():
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["completion"]["detail"].startswith(DEFAULT_GGUF.name)  # from /opt, nothing downloaded
    assert checks["speech-whisper"]["detail"].startswith("whisper-tiny-en: ")
    assert not list(new_user.home.rglob("*.gguf"))


def _exec_argv(entry: Path, file: Path | None) -> list[str]:
    """The entry's Exec line as a launcher runs it: %f becomes the file (or nothing), other field codes go."""
    exec_line = next(line for line in entry.read_text(encoding="utf-8").splitlines() if line.startswith("Exec="))
    argv = []
    for word in shlex.split(exec_line.removeprefix("Exec=")):
        if word == "%f":
            argv += [str(file)] if file else []
        elif not (len(word) == 2 and word.startswith("%")):
            argv.append(word)
    return argv


def _launch(user: User, display: str, file: Path | None) -> subprocess.Popen:
    env = user.env(DISPLAY=display, QT_QPA_PLATFORM="xcb", SLM_DESKTOP_STARTUP_PROBE="print")
    argv = user.command(_exec_argv(ENTRY, file))
    return subprocess.Popen(argv, env=env, cwd=user.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_window(display: str, title: str, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    names = window_names(display)
    while title not in names and time.monotonic() < deadline:
        time.sleep(0.2)
        names = window_names(display)
    return names


def _stop(app: subprocess.Popen) -> str:
    app.terminate()
    try:
        _, err = app.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        app.kill()
        _, err = app.communicate()
    return err


def test_first_start_through_the_desktop_entry_shows_the_window_and_the_welcome(
    installed: Installed, new_user: User, tmp_path: Path
):
    """A double-click on the menu entry, as the new user (empty settings), no network: the window, then the
    first-run Models dialog with its recommendations; a screenshot is kept (deb-first-start.png in tmp_path)."""
    need_program("Xvfb", "xvfb")
    need_program("import", "imagemagick")
    need_program("xwininfo", "x11-utils")
    server, display = start_xvfb()
    app = _launch(new_user, display, None)
    try:
        line = wait_for_marker(app, 60)
        assert line.strip() == f"{MARKER}: Untitled[*] — slm-desktop", f"{line!r}, exit code {app.poll()}"
        names = _wait_for_window(display, "Models — slm-desktop", 30)  # the first-run dialog
        assert "Untitled — slm-desktop" in names and "Models — slm-desktop" in names, names
        shot = screenshot(display, tmp_path / "deb-first-start.png")
        print(f"screenshot: {shot}")
        assert distinct_colours(shot) > 8
        assert app.poll() is None
    finally:
        err = _stop(app)
        server.terminate()
        server.wait(30)
    assert "Traceback" not in err, err[-2000:]
    assert (new_user.home / ".config" / APP / "settings.toml").is_file()  # the welcome is shown once


def test_opening_a_text_file_through_the_desktop_entry_shows_it(installed: Installed, new_user: User):
    """ "Open With slm-desktop" on a text file runs the entry's Exec line with %f = the file."""
    need_program("Xvfb", "xvfb")
    note = new_user.home / "shopping list.txt"
    note.write_text("milk\neggs\n", encoding="utf-8")
    os.chown(note, new_user.uid, new_user.gid)
    server, display = start_xvfb()
    app = _launch(new_user, display, note)
    try:
        line = wait_for_marker(app, 60)
        assert line.strip() == f"{MARKER}: {note.name}[*] — slm-desktop", f"{line!r}, exit code {app.poll()}"
    finally:
        err = _stop(app)
        server.terminate()
        server.wait(30)
    assert "Traceback" not in err, err[-2000:]
    assert note.read_text(encoding="utf-8") == "milk\neggs\n"


def test_purge_leaves_nothing_in_opt_or_usr_and_keeps_the_users_files(installed: Installed, new_user: User):
    done = _run([*APT, "purge", APP], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert _run(["dpkg-query", "-W", APP]).returncode != 0
    left = [path for path in installed.files if os.path.lexists(path) and not os.path.isdir(path)]
    assert not left, left[:20]
    assert not Path("/opt/slm-desktop").exists()
    # Anything new since before the install is either another package's (a dependency apt pulled in, or another
    # install on this machine meanwhile) or something the package left behind.
    new = sorted(_tree() - installed.before)
    aliases = {path: path.removeprefix("/usr") for path in new if path.startswith(MERGED_USR)}  # dpkg's /lib names
    owned = _owned_by_packages(new + list(aliases.values()))
    stray = [path for path in new if path not in owned and aliases.get(path) not in owned]
    assert not stray, stray[:20]
    assert (new_user.home / ".config" / APP / "settings.toml").is_file()  # the user's settings stay
