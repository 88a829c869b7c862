"""Safe formats only, no network in tests, no pickle anywhere in the package."""

from __future__ import annotations

import pickle
import re
import socket
from pathlib import Path

import pytest
from network_guard import is_local

from slm_desktop.errors import ModelError
from slm_desktop.paths import repo_root
from slm_desktop.store.validate import inspect

PACKAGE = repo_root() / "slm_desktop"
UNSAFE = re.compile(
    r"^\s*(import|from)\s+(pickle|cPickle|dill|cloudpickle|joblib|shelve|marshal|jinja2)\b"
    r"|pickle\.loads?\(|torch\.load\(|allow_pickle\s*=\s*True|numpy\.load\(|np\.load\(",
    re.MULTILINE,
)


def test_no_module_of_the_app_can_unpickle_or_render_templates_itself():
    """Never pickle (arbitrary code on load); chat templates only via llama-cpp-python's sandboxed Jinja."""
    found = [
        f"{path.relative_to(repo_root())}: {match.group(0).strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for match in UNSAFE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_grep_would_catch_it():
    assert UNSAFE.search("import pickle\n")
    assert UNSAFE.search("x = torch.load(path)\n")
    assert UNSAFE.search("np.load(f, allow_pickle=True)")
    assert not UNSAFE.search("# we never unpickle\n")


@pytest.mark.parametrize("name", ["model.pkl", "model.pt", "pytorch_model.bin", "model.gguf", "weights.joblib"])
def test_a_pickle_file_is_refused_whatever_its_name(tmp_path: Path, name: str):
    """A pickle renamed to .gguf fails the magic check; other extensions are unknown types."""
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelError) as caught:
        inspect(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("family", "address", "local"),
    [
        (socket.AF_INET, ("127.0.0.1", 80), True),
        (socket.AF_INET, ("127.5.0.1", 80), True),
        (socket.AF_INET, ("localhost", 80), True),
        (socket.AF_INET6, ("::1", 80, 0, 0), True),
        (socket.AF_UNIX, "/tmp/pulse/native", True),
        (socket.AF_INET, ("192.0.2.1", 443), False),
        (socket.AF_INET, ("huggingface.co", 443), False),
        (socket.AF_INET6, ("2001:db8::1", 443, 0, 0), False),
    ],
)
def test_the_guard_tells_loopback_from_the_network(family, address, local):
    assert is_local(family, address) is local


def test_the_guard_refuses_and_records_a_real_connect(network_guard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="network guard"):
        sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed
    assert network_guard.attempts == ["('192.0.2.1', 9)"]
    network_guard.attempts.clear()  # this test wanted it; any other test would fail at teardown


def test_loopback_connections_pass_the_guard():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
