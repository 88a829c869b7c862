#!/usr/bin/env bash
# Prints the CMAKE_ARGS that build llama.cpp (inside llama-cpp-python) for a distributable target instead of
# the build machine's own CPU (GGML_NATIVE=ON, the default, bakes in -march=native: SIGILL on older CPUs).
#   CMAKE_ARGS="$(packaging/llama-cmake-args.sh pi5)" pip wheel --no-deps --no-binary llama-cpp-python llama-cpp-python==X
# Targets:
#   x86-64-v2  any x86-64 CPU since ~2009 (SSE4.2, no AVX)
#   x86-64-v3  Haswell (2013) / Zen and newer: AVX2, FMA, F16C  (the recommended laptop build)
#   pi4        Raspberry Pi 4 (Cortex-A72): plain armv8-a with NEON
#   pi5        Raspberry Pi 5 (Cortex-A76): armv8.2-a with the dot-product instructions Q4_0 repacking uses
#   auto       pi5 or pi4 on an aarch64 board (from /proc/cpuinfo), x86-64-v3 elsewhere
# A second argument --name prints the resolved target's name instead (auto -> x86-64-v3, ...).
set -euo pipefail
TARGET=${1:-auto}
if [ "$TARGET" = auto ]; then
    if [ "$(uname -m)" = aarch64 ]; then
        grep -qw asimddp /proc/cpuinfo && TARGET=pi5 || TARGET=pi4
    else
        TARGET=x86-64-v3
    fi
fi
if [ "${2:-}" = --name ]; then
    case "$TARGET" in x86-64-v2 | x86-64-v3 | pi4 | pi5) echo "$TARGET"; exit 0 ;; esac
fi
COMMON="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
case "$TARGET" in
    x86-64-v2) echo "$COMMON -DGGML_SSE42=ON -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX512=OFF" ;;
    x86-64-v3) echo "$COMMON -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF" ;;
    pi4) echo "$COMMON -DGGML_CPU_ARM_ARCH=armv8-a" ;;
    pi5) echo "$COMMON -DGGML_CPU_ARM_ARCH=armv8.2-a+dotprod" ;;
    *) echo "llama-cmake-args: unknown target $TARGET (x86-64-v2, x86-64-v3, pi4, pi5, auto)" >&2; exit 2 ;;
esac
