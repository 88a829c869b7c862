"""The fake microphone's per-block levels, computed in one numpy pass, equal the per-block reference."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from slm_desktop.audio.resample import block_levels, int16_to_float, rms_level


@given(
    samples=st.lists(st.integers(-32768, 32767), max_size=900),
    block=st.integers(1, 320),
)
def test_block_levels_equal_each_blocks_rms_level(samples, block):
    pcm = np.array(samples, dtype="<i2").tobytes()
    step = block * 2
    expected = [rms_level(int16_to_float(pcm[i : i + step])) for i in range(0, len(pcm), step)]
    assert np.allclose(block_levels(pcm, block), expected, rtol=1e-12, atol=1e-15)


def test_an_odd_trailing_byte_is_ignored():
    pcm = np.array([1000, -1000, 500], dtype="<i2").tobytes() + b"\x01"
    assert np.allclose(block_levels(pcm, 2), [1000 / 32768, 500 / 32768])
