"""`slm-desktop models import` on hostile tar.gz archives that also hold a valid-looking Vosk model.

These are the three archives of issue #15: links created through earlier links, a hard-link copy
written through a symlink, and a folder made outside before the check. Each must be refused with
one line naming the member, and nothing may appear outside the models folder.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from store_helpers import vosk_layout


def _tar_gz(path: Path, members: list[tuple[str, str, bytes | str]]) -> Path:
    """members: (name, file|symlink|hardlink, data or link target), after a Vosk layout in model/."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data in vosk_layout("model").items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
                continue
            info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            info.linkname = payload
            tf.addfile(info)
    return path


UP = ("model/x/y/up", "symlink", "..")
LEAK = ("model/x/y/up/leak", "symlink", "../../../flag")
CASES = {
    "link-through-link": ([UP, LEAK], "model/x/y/up"),
    "hardlink-copy-through-symlink": (
        [
            ("model/note", "file", b"written by the archive\n"),
            UP,
            LEAK,
            ("model/x/y/up/y/up/w", "symlink", "../../../../../pwned"),
            ("model/x/w", "hardlink", "model/note"),
        ],
        "model/x/y/up",
    ),
    "folder-made-before-check": (
        [
            UP,
            ("model/x/y/up/y/up/out", "symlink", "../../../../.."),
            ("model/x/y/up/y/up/out/newdir/evil", "file", b"x"),
        ],
        "model/x/y/up",
    ),
    # the same tricks through a link that is not a loop: refused where it writes through the link
    "write-through-sibling-link": (
        [
            ("model/z/keep", "file", b"k"),
            ("model/x/y/side", "symlink", "../../z"),
            ("model/x/y/side/leak", "symlink", "../../../flag"),
        ],
        "model/x/y/side/leak",
    ),
}


def _everything(root: Path) -> set[Path]:
    return set(root.rglob("*"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_tar_gz_import_is_refused_in_one_line_and_nothing_escapes(isolated_env, tmp_path, case):
    members, offender = CASES[case]
    models = tmp_path / "models"
    isolated_env["SLM_DESKTOP_MODELS"] = str(models)
    (tmp_path / "flag").write_text("outside secret\n")
    (tmp_path / "incoming").mkdir()
    archive = _tar_gz(tmp_path / "incoming" / f"{case}.tar.gz", members)
    before = _everything(tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "slm_desktop", "models", "import", str(archive)],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and "WARNING" not in result.stderr, result.stderr
    assert f"'{offender}'" in lines[0], lines[0]
    after = _everything(tmp_path)
    new_outside = {p for p in after - before if models not in p.parents and p != models}
    assert new_outside == set(), new_outside
    assert not (tmp_path / "pwned").exists() and (tmp_path / "flag").read_text() == "outside secret\n"
    for path in after:  # nothing left inside the models folder leads outside it
        if models in path.parents:
            assert Path(os.path.realpath(path)).is_relative_to(models.resolve()), path
    assert not (models / case).exists()


@pytest.mark.parametrize(
    ("link", "target"),
    [("model/am/leak", "../../../flag"), ("model/graph/loop", ".."), ("model/conf/abs", "/etc")],
    ids=["outside-file", "loop", "absolute"],
)
def test_folder_import_with_a_link_leading_out_is_refused_in_one_line(isolated_env, tmp_path, link, target):
    """Importing a model folder copies it: a link out of it would copy outside files in, a loop never ends."""
    from store_helpers import vosk_layout

    models = tmp_path / "models"
    isolated_env["SLM_DESKTOP_MODELS"] = str(models)
    (tmp_path / "flag").write_text("outside secret\n")
    folder = tmp_path / "incoming" / "vosk-model-x"
    for name, data in vosk_layout("model").items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    source = folder / "model"
    (source / "am" / "inner").symlink_to("final.mdl")  # a link that stays inside is fine
    (tmp_path / "incoming" / "vosk-model-x" / link).symlink_to(target)
    result = subprocess.run(
        [sys.executable, "-m", "slm_desktop", "models", "import", str(source)],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"'{link.removeprefix('model/')}'" in result.stderr
    assert not (models / "model").exists()
    (tmp_path / "incoming" / "vosk-model-x" / link).unlink()
    ok = subprocess.run(
        [sys.executable, "-m", "slm_desktop", "models", "import", str(source)],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert os.readlink(models / "model" / "am" / "inner") == "final.mdl"
