"""A llama.cpp model loading on one thread must not swallow what other threads write to stdout/stderr.

Found through the GUI privacy test: its driver's "ready" line, printed by the GUI thread while the
completion engine loaded on its lane, sometimes never arrived (llama-cpp-python had /dev/null on fd 1).
"""

import os
import subprocess
import sys
import textwrap

from slm_desktop.paths import repo_root
from tests.conftest import DEFAULT_GGUF

CHILD = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    {load}
    done = threading.Event()
    def load():
        model = opener(Path(sys.argv[1]))
        done.set()
        model.close()
    thread = threading.Thread(target=load)
    count = 0
    thread.start()
    while not done.is_set():
        print(f"line {{count}}", flush=True)
        print(f"line {{count}}", file=sys.stderr, flush=True)
        count += 1
    thread.join()
    print(f"printed {{count}}", flush=True)
    """
)
APP_LOADER = """
from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
opener = lambda path: LlamaCompletionEngine(LlamaConfig(path, n_threads=1))
"""
PLAIN_LOADER = """
import llama_cpp
opener = lambda path: llama_cpp.Llama(model_path=str(path), n_threads=1, verbose=False)
"""


def _lines_while_loading(loader: str) -> tuple[int, int, int]:
    """(lines printed to stdout, of them received on stdout, received on stderr) in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(repo_root())}
    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(load=loader), str(DEFAULT_GGUF)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    out = child.stdout.splitlines()
    printed = int(out[-1].split()[1])
    received = sum(line.startswith("line ") for line in out)
    return printed, received, sum(line.startswith("line ") for line in child.stderr.splitlines())


def test_lines_other_threads_print_while_the_completion_engine_loads_all_arrive():
    printed, on_stdout, on_stderr = _lines_while_loading(APP_LOADER)
    assert printed > 0, "the main thread printed nothing while the model loaded: the check saw no overlap"
    assert (on_stdout, on_stderr) == (printed, printed)


def test_the_check_fails_for_llama_cpp_pythons_own_quiet_load():
    """The same child with plain llama_cpp.Llama(verbose=False): lines printed during its load are lost,
    so the test above can fail."""
    printed, on_stdout, on_stderr = _lines_while_loading(PLAIN_LOADER)
    assert printed > 0
    assert on_stdout < printed and on_stderr < printed
