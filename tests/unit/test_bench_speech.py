"""bench speech's app/raw pairing (plumbing; the figures come from `slm-desktop bench speech`)."""

from pathlib import Path

from slm_desktop.bench import speech


def test_each_clip_goes_through_the_app_and_straight_after_through_the_raw_engine(monkeypatch):
    order = []
    monkeypatch.setattr(speech, "_app_pass", lambda engine, wav: order.append(("app", wav.name)) or wav.name)

    class Raw:
        def ms(self, wav: Path) -> float:
            order.append(("raw", wav.name))
            return float(len(order))

    app, raw_ms = speech._app_beside_raw(object(), Raw(), [Path("a.wav"), Path("b.wav")])
    assert order == [("app", "a.wav"), ("raw", "a.wav"), ("app", "b.wav"), ("raw", "b.wav")]
    assert (app, raw_ms) == (["a.wav", "b.wav"], [2.0, 4.0])


def test_without_a_raw_whisper_only_the_app_runs(monkeypatch):
    monkeypatch.setattr(speech, "_app_pass", lambda engine, wav: wav.name)
    assert speech._app_beside_raw(object(), None, [Path("a.wav")]) == (["a.wav"], [])
