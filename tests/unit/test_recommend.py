"""Recommendation logic: CPU feature parsing, speed scaling by model size, and the reasons given."""

from __future__ import annotations

from slm_desktop.store.catalog import load_catalog
from slm_desktop.store.recommend import Hardware, SpeedSample, _cpu_flags, _meminfo, recommend

X86 = Hardware("x86_64", 2, 8000, 6000, ("avx2", "fma"))
PI = Hardware("aarch64", 4, 4000, 3000, ("dotprod", "neon"))

ARM_CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
"""


def test_cpu_flags_from_x86_and_arm_cpuinfo():
    assert _cpu_flags("flags\t\t: fpu sse2 avx avx2 fma f16c avx512f\n") == ("avx2", "avx512f", "f16c", "fma")
    assert _cpu_flags(ARM_CPUINFO) == ("dotprod", "neon")


def test_meminfo_in_megabytes():
    assert _meminfo("MemTotal:       8000000 kB\nMemAvailable:   4096000 kB\n") == (7812, 4000)


def _by_id(recs):
    return {r.catalog_id: r for r in recs}


def test_fast_machine_gets_the_biggest_model_that_keeps_suggestions_live(app_paths):
    fast = SpeedSample("SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, 200.0, 2)
    recs = _by_id(recommend(load_catalog(app_paths), X86, fast))
    assert recs["qwen2.5-0.5b-instruct-q4_k_m"].verdict == "recommended"
    assert recs["qwen2.5-0.5b-instruct-q4_0"].verdict == "fits"  # the ARM build is not crowned on x86


def test_slow_machine_is_told_why_bigger_models_do_not_fit(app_paths):
    slow = SpeedSample("SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, 40.0, 2)
    recs = _by_id(recommend(load_catalog(app_paths), X86, slow))
    qwen = recs["qwen2.5-0.5b-instruct-q4_k_m"]
    assert qwen.verdict == "too slow" and "too slow for live suggestions" in qwen.reason
    assert qwen.est_tokens_per_s is not None and qwen.est_tokens_per_s < 40
    assert recs["smollm2-135m-instruct-q4_1"].verdict == "recommended"
    assert "~40 tok/s" in recs["smollm2-135m-instruct-q4_1"].reason


def test_arm_prefers_q4_0_builds(app_paths):
    sample = SpeedSample("SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, 150.0, 4)
    recs = _by_id(recommend(load_catalog(app_paths), PI, sample))
    crowned = [r.catalog_id for r in recs.values() if r.kind == "completion" and r.verdict == "recommended"]
    assert len(crowned) == 1 and crowned[0].endswith("q4_0")


def test_small_ram_marks_models_too_big(app_paths):
    tiny = Hardware("aarch64", 4, 1000, 500, ("neon",))
    recs = _by_id(recommend(load_catalog(app_paths), tiny, None))
    assert recs["qwen2.5-0.5b-instruct-q4_k_m"].verdict == "too big"
    assert "needs ~" in recs["qwen2.5-0.5b-instruct-q4_k_m"].reason


def test_speech_and_translation_follow_the_languages(app_paths):
    recs = _by_id(recommend(load_catalog(app_paths), X86, None, languages=("en", "de")))
    assert recs["vosk-small-de"].verdict == "recommended" and recs["vosk-small-fr"].verdict == "fits"
    assert recs["argos-en-de"].verdict == "recommended" and recs["argos-en-es"].verdict == "fits"


def test_when_nothing_is_fast_enough_the_fastest_is_kept_and_named(app_paths):
    crawl = SpeedSample("SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, 12.0, 2)
    recs = _by_id(recommend(load_catalog(app_paths), X86, crawl))
    assert recs["smollm2-135m-instruct-q4_1"].verdict == "recommended"
    assert "fastest choice here" in recs["smollm2-135m-instruct-q4_1"].reason
    qwen = recs["qwen2.5-0.5b-instruct-q4_k_m"]
    assert qwen.verdict == "too slow" and qwen.reason.endswith("keep SmolLM2-135M-Instruct Q4_1")
