"""The llama.cpp thread policy: only the cores nobody else is using."""

from pathlib import Path

import pytest

from slm_desktop.threads import Load, LoadSampler, ThreadPolicy, choose_threads


@pytest.mark.parametrize(
    ("cores", "others", "lanes", "expected"),
    [
        (2, 0.0, 0, 2),  # idle 2-core machine: both cores
        (2, 1.0, 0, 1),  # one busy process
        (2, 2.0, 0, 1),  # two: still one thread, never zero
        (2, 0.6, 0, 1),  # a half-busy core counts as busy (the barrier waits for the slowest)
        (2, 0.2, 0, 2),  # noise does not
        (2, 0.0, 1, 1),  # speech or translation running in another lane
        (8, 1.0, 0, 4),  # capped at 4
        (4, 1.0, 1, 2),
        (1, 0.0, 0, 1),
    ],
)
def test_threads_follow_idle_cores(cores, others, lanes, expected):
    assert choose_threads(Load(cores, others, lanes)) == expected


def test_a_configured_count_wins():
    assert choose_threads(Load(2, 2.0), configured=2) == 2


def _fake_proc(tmp_path: Path, running: int, own_states: list[str]) -> Path:
    (tmp_path / "stat").write_text(f"cpu  1 2 3\nprocs_running {running}\nprocs_blocked 0\n")
    for i, state in enumerate(own_states):
        task = tmp_path / "self" / "task" / str(i)
        task.mkdir(parents=True)
        (task / "stat").write_text(f"{i} (python (x)) {state} 1 2 3\n")
    return tmp_path


def test_sampler_subtracts_this_process_s_running_threads(tmp_path, monkeypatch):
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))
    sampler = LoadSampler(proc=_fake_proc(tmp_path, running=4, own_states=["R", "S", "R"]))
    assert sampler.sample().others == 2.0


@pytest.mark.parametrize(("load_average", "expected"), [(3.0, 1), (0.0, 2)])
def test_policy_sets_the_engine_s_threads_from_the_load(tmp_path, monkeypatch, load_average, expected):
    monkeypatch.setattr("os.getloadavg", lambda: (load_average, 0.0, 0.0))

    class Engine:
        threads = 0

        def set_threads(self, count):
            self.threads = count

    engine = Engine()
    sampler = LoadSampler(proc=_fake_proc(tmp_path, running=1, own_states=["R"]), cores=2)
    assert ThreadPolicy(sampler=sampler).apply(engine) == expected
    assert engine.threads == expected
