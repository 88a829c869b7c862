"""The PyInstaller bundle, built once per test session and shared by test_packaging.py and test_deb.py."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slm_desktop.paths import repo_root


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """packaging/build.sh (default models inside) with this interpreter's venv, into a temporary dist/; build/
    stays as PyInstaller's cache, so a later session rebuilds only what changed."""
    dist = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent), DIST=str(dist))
    result = subprocess.run(
        [str(repo_root() / "packaging" / "build.sh"), "--no-tar"],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(result.stdout[-1500:])
    return dist / "slm-desktop"
