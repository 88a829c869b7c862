"""store.validate's GGUF check against hostile headers: every declared length is checked against the file
before the `gguf` package parses it (it allocates by declared counts)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slm_desktop.errors import ModelError
from slm_desktop.store.validate import _check_layout, check_gguf
from tests.conftest import DEFAULT_GGUF

HEADER = b"GGUF" + struct.pack("<I", 3)
KEY = struct.pack("<Q", 4) + b"key."
ARRAY, STRING, UINT8 = 9, 8, 0

HOSTILE = {
    "a billion billion entries": HEADER + struct.pack("<QQ", 1 << 60, 1 << 60) + bytes(100),
    "a key longer than the file": HEADER + struct.pack("<QQQ", 1, 1, 1 << 62) + b"abc" * 10,
    "an array of 2**61 bytes": HEADER + struct.pack("<QQ", 1, 1) + KEY + struct.pack("<IIQ", ARRAY, UINT8, 1 << 61),
    "an array of 2**40 strings": HEADER + struct.pack("<QQ", 1, 1) + KEY + struct.pack("<IIQ", ARRAY, STRING, 1 << 40),
    "a value of no known type": HEADER + struct.pack("<QQ", 1, 1) + KEY + struct.pack("<I", 77) + bytes(16),
}

# the check in a child with 1.5 GB of address space: before the layout walk, the `gguf` package allocated
# without end on these files (the kernel killed the process); in a child, a regression fails this test
# with a MemoryError instead of taking the test machine's memory
CHILD = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
from slm_desktop.errors import ModelError
from slm_desktop.store.validate import check_gguf
try:
    check_gguf(Path(sys.argv[1]), full=True)
except ModelError as exc:
    print(exc)
"""


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_header_declaring_more_than_the_file_holds_is_one_line_without_allocating(tmp_path, name):
    path = tmp_path / "hostile.gguf"
    path.write_bytes(HOSTILE[name])
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("hostile.gguf: GGUF header is damaged or truncated (")
    assert len(done.stdout.strip().splitlines()) == 1


def test_the_default_model_passes_the_layout_walk_and_the_full_check():
    _check_layout(DEFAULT_GGUF)
    assert "llama" in check_gguf(DEFAULT_GGUF, full=True).detail


@pytest.fixture(scope="module")
def real_header() -> bytes:
    with open(DEFAULT_GGUF, "rb") as handle:
        return handle.read(4 << 20)  # the metadata and the tensor table, and some tensor data


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=25, max_value=(4 << 20) - 1))
def test_a_real_model_cut_anywhere_is_a_model_error(tmp_path_factory, real_header, cut):
    path = Path(tmp_path_factory.mktemp("cut")) / "cut.gguf"
    path.write_bytes(real_header[:cut])
    with pytest.raises(ModelError):
        check_gguf(path, full=True)
