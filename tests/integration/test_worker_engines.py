"""The worker's least-recently-used engines with real engines: Apertium pairs on one lane."""

from __future__ import annotations

import shutil

import pytest
from qt_support import WorkerEvents

from slm_desktop.engines.apertium import ApertiumEngine, apertium_pairs
from slm_desktop.errors import ModelError
from slm_desktop.worker import Worker, WorkerConfig

PAIRS = [("en", "es"), ("es", "en"), ("en", "ca")]

pytestmark = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="needs apertium-eng-spa and apertium-eng-cat (scripts/setup.sh --test)"
)


def test_three_apertium_pairs_with_room_for_two_close_the_first(qtbot):
    installed = {(p.source, p.target) for p in apertium_pairs()}
    assert set(PAIRS) <= installed, installed
    worker = Worker(config=WorkerConfig(lane_max_engines=(("translation", 2),)))
    events, engines = WorkerEvents(qtbot, worker), {}

    def translate(pair):
        def job(ctx):
            engine = ctx.engine(f"apertium:{pair[0]}-{pair[1]}", ApertiumEngine)
            engines[pair] = engine
            return next(engine.translate(["The house is big."], source=pair[0], target=pair[1])).text

        return job

    try:
        for pair in PAIRS:
            worker.submit("translate", translate(pair), lane="translation")
        qtbot.waitUntil(lambda: len(events.args("finished")) == 3, timeout=60000)
        outputs = [args[2] for args in events.args("finished")]
        assert "casa" in outputs[0].lower() and "casa" in outputs[2].lower()
        assert worker.engines("translation") == ["apertium:es-en", "apertium:en-ca"]
        assert events.args("engineClosed") == [["translation", "apertium:en-es"]]
        with pytest.raises(ModelError):  # closed for real: the engine knows no pair any more
            next(engines[("en", "es")].translate(["house"], source="en", target="es"))
        assert engines[("en", "ca")].pairs()
    finally:
        worker.shutdown()
