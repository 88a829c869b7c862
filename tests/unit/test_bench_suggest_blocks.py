"""bench suggest's app/raw blocks (plumbing; the figures come from `slm-desktop bench suggest`)."""

import pytest

from slm_desktop.bench import suggest


def _fake_passes(monkeypatch, app_ms_per_token: list[float]):
    order = []
    blocks = iter(app_ms_per_token)

    def app(_app, _text, part):
        order.append(("app", part[0][0], len(part)))
        return {
            "top3": 1.0,
            "first": 0.5,
            "two": 0.0,
            "app_ms": next(blocks) * 10 * len(part),
            "app_tokens": 10 * len(part),
        }

    def raw(_app, _model, _text, part, _settings):
        order.append(("raw", part[0][0], len(part)))
        return {"raw_first": 0.0, "raw_ms": [10.0] * len(part), "raw_tokens": 10 * len(part)}

    monkeypatch.setattr(suggest, "_word_starts", app)
    monkeypatch.setattr(suggest, "_raw_word_starts", raw)
    return order


def test_the_raw_engine_runs_each_block_straight_after_the_apps(monkeypatch):
    order = _fake_passes(monkeypatch, [1.0, 1.0, 1.0])
    spans = [(i, i + 1) for i in range(45)]
    suggest._blocks_beside_raw(object(), None, "", spans, None, block=20)
    assert order == [("app", 0, 20), ("raw", 0, 20), ("app", 20, 20), ("raw", 20, 20), ("app", 40, 5), ("raw", 40, 5)]


def test_app_over_raw_is_the_median_of_the_blocks_so_one_slow_stretch_does_not_move_it(monkeypatch):
    _fake_passes(monkeypatch, [1.0, 1.1, 5.0])  # the raw engine: 1 ms per token in every block
    spans = [(i, i + 1) for i in range(60)]
    starts = suggest._blocks_beside_raw(object(), None, "", spans, None, block=20)
    assert starts["block_ratios"] == pytest.approx([1.0, 1.1, 5.0])
    assert sorted(starts["block_ratios"])[1] == pytest.approx(1.1)
    assert starts["top3"] == pytest.approx(1.0) and starts["first"] == pytest.approx(0.5)
    assert len(starts["raw_ms"]) == 60 and starts["raw_tokens"] == 600
