"""The server engines' reading of reply shapes: a buggy or hostile server's odd JSON adds nothing, never raises."""

from slm_desktop.engines.server_completion import _choice_text, _top_tokens
from slm_desktop.engines.server_translate import _delta_text


def test_odd_server_replies_add_nothing_instead_of_raising():
    odd = [{}, {"choices": None}, {"choices": []}, {"choices": ["x"]}, {"choices": [{"delta": "x"}]}]
    assert [_delta_text(event) for event in odd] == ["", "", "", "", ""]
    assert _delta_text({"choices": [{"delta": {"content": "hola"}}]}) == "hola"
    assert [_choice_text(event) for event in odd] == ["", "", "", "", ""]
    logprobs = {"a": -0.1, "b": "x", "c": float("nan"), "d": 1e400, "e": True, "f": -2.0, "g": 1e-9}
    top = _top_tokens({"choices": [{"logprobs": {"top_logprobs": [logprobs]}}]})
    assert [token for token, _p in top] == ["g", "a", "f"]
    assert top[0][1] == 1.0 and 0 < top[2][1] < top[1][1] < 1
