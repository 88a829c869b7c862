#!/usr/bin/env bash
# Native build on a Raspberry Pi 4 or 5 (aarch64 Raspberry Pi OS Bookworm / Debian 12). PyInstaller cannot
# cross-build, so run this on the board (or in an aarch64 Debian 12 container/VM of the same glibc).
#   packaging/build-arm.sh [pi4|pi5|auto] [build.sh options...]
# Produces dist/slm-desktop/, dist/slm-desktop-VERSION-linux-aarch64.tar.gz and dist/slm-desktop_VERSION_arm64.deb
# (build.sh --deb: the same packaging/build-deb.sh as on x86-64; the architecture is dpkg's own).
# A pi4 build runs on both boards; a pi5 build uses the dot-product instructions and needs a Pi 5.
set -euo pipefail
cd "$(dirname "$0")/.."

BOARD=auto
case "${1:-}" in pi4|pi5|auto) BOARD=$1; shift ;; esac
if [ "$(uname -m)" != aarch64 ]; then
    echo "build-arm: run this on the board (aarch64), not on $(uname -m); PyInstaller cannot cross-build" >&2
    exit 2
fi

VENV=${VENV:-.venv-arm}
CACHE=${SLM_DESKTOP_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-desktop}
LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==//p' constraints.txt)
CMAKE_ARGS=$(packaging/llama-cmake-args.sh "$BOARD")
TAG=$(echo "$CMAKE_ARGS" | sed -n 's/.*GGML_CPU_ARM_ARCH=\([^ ]*\).*/\1/p' | tr '+.' '__')
WHEELS="$CACHE/wheels-aarch64-$TAG"

echo "build-arm: llama.cpp flags: $CMAKE_ARGS"
# Build tools (dpkg-dev: dpkg-shlibdeps for the .deb's Depends; icu-devtools: the ICU repack) and the libraries Qt's
# xcb/wayland platforms and PortAudio need at run time.
need="build-essential cmake python3-venv python3-dev dpkg-dev icu-devtools libportaudio2 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libwayland-cursor0"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "build-arm: install first: sudo apt install$missing" >&2
    exit 1
fi

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    echo "build-arm: building llama-cpp-python $LLAMA_VERSION for $TAG (20-40 minutes on a Pi)"
    CMAKE_ARGS="$CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
        "$VENV/bin/pip" wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi
"$VENV/bin/pip" install -q --find-links "$WHEELS" -c constraints.txt -c packaging/constraints-arm.txt -e ".[packaging]"
"$VENV/bin/python" -m slm_desktop.store.defaults --into models --cache "$CACHE"
VENV=$VENV packaging/build.sh --llama venv --deb "$@"  # this venv's llama.cpp is the portable board build
