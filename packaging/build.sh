#!/usr/bin/env bash
# Builds the one-folder bundle dist/slm-desktop/ and dist/slm-desktop-VERSION-linux-ARCH.tar.gz, and with --deb the
# Debian package dist/slm-desktop_VERSION_ARCH.deb (packaging/build-deb.sh).
#   packaging/build.sh [--lean] [--deb] [--llama TARGET] [--no-tar] [--exclude MODULE[,MODULE]]
#   VENV=/path/to/venv packaging/build.sh      (default: the project's .venv, created by scripts/setup.sh)
# The bundle carries the default models, so it works offline from its first start: the completion model
# (SmolLM2-135M Q4_1, 98 MB), Whisper tiny.en (75 MB), the intent model and PocketSphinx's en-us model. --lean
# leaves out the first two (the app then finds them in the user data dir, $SLM_DESKTOP_MODELS, or a models/
# folder next to the executable).
# --exclude MODULE leaves a package out altogether; the self-test lists it as absent.
# --llama TARGET: the llama.cpp libraries the bundle ships. auto (default: x86-64-v3 = AVX2 on x86-64, pi4/pi5
# on a Raspberry Pi), x86-64-v2, x86-64-v3, pi4, pi5: a portable build of the pinned version, built once per
# machine and cached (about 7 minutes on 2 cores); venv: the venv's own build as it is (build-arm.sh's venv
# is already portable; scripts/setup.sh's targets this machine's CPU).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) stops the build too
cd "$(dirname "$0")/.."

WITH_MODELS=1
MAKE_DEB=0
LLAMA=auto
MAKE_TAR=1
EXCLUDE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --lean) WITH_MODELS=0 ;;
        --deb) MAKE_DEB=1 ;;
        --llama) LLAMA="${2:?--llama needs venv, auto, x86-64-v2, x86-64-v3, pi4 or pi5}"; shift ;;
        --no-tar) MAKE_TAR=0 ;;
        --exclude) EXCLUDE="${2:?--exclude needs a module name}"; shift ;;
        *) echo "build: unknown option $1 (use --lean, --deb, --llama TARGET, --no-tar, --exclude MODULE)" >&2; exit 2 ;;
    esac
    shift
done
[ "$LLAMA" = venv ] || packaging/llama-cmake-args.sh "$LLAMA" --name >/dev/null  # a bad target: one line, exit 2

VENV=${VENV:-.venv}
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}
APP=slm-desktop
CACHE=${SLM_DESKTOP_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-desktop}

ensure_venv() {
    [ -x "$VENV/bin/python" ] || ./scripts/setup.sh --bundle
    if ! "$VENV/bin/python" -c "import PyInstaller" 2>/dev/null; then
        echo "build: installing the packaging extra (PyInstaller) into $VENV"
        "$VENV/bin/pip" install -q -c constraints.txt -e ".[packaging]"
    fi
}

# The venv's llama-cpp-python (scripts/setup.sh) targets this machine's CPU; the bundle gets the lib/ folder of a
# portable wheel of the same version instead, built once per machine and target and cached beside setup's wheel.
portable_llama_libs() {
    local target version wheels wheel out
    target=$(packaging/llama-cmake-args.sh "$LLAMA" --name)
    version=$(sed -n 's/^llama-cpp-python==//p' constraints.txt)
    wheels="$CACHE/wheels-$(uname -m)-$target"
    mkdir -p "$wheels"
    if ! ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
        echo "build: building llama-cpp-python $version for $target once (about 7 minutes on 2 cores)" >&2
        CMAKE_ARGS="$(packaging/llama-cmake-args.sh "$target")" "$VENV/bin/pip" wheel -q --no-deps --no-cache-dir \
            --no-binary llama-cpp-python -w "$wheels" "llama-cpp-python==$version" >&2
    fi
    wheel=$(ls "$wheels"/llama_cpp_python-"$version"-*.whl | head -1)
    out="$WORK/llama-$target"
    rm -rf "$out"
    "$VENV/bin/python" -m zipfile -e "$wheel" "$out"
    echo "build: llama.cpp for $target from $wheel" >&2
    echo "$out/llama_cpp/lib"
}

run_pyinstaller() {
    local llama_lib=""
    [ "$LLAMA" = venv ] || llama_lib=$(portable_llama_libs)
    SLM_BUNDLE_LLAMA_LIB=$llama_lib SLM_BUNDLE_MODELS=$WITH_MODELS SLM_BUNDLE_EXCLUDE=$EXCLUDE "$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$DIST" --workpath "$WORK" packaging/slm-desktop.spec
}

# Some wheels ship their shared libraries with symbol tables (ctranslate2's _ext: 65 MB -> 1.3 MB).
# Strip only those, and never the libraries auditwheel grafted into *.libs/: patchelf rewrote their
# program headers and strip(1) breaks them ("ELF load command address/offset not page-aligned").
# The frozen self-test then proves every library still loads.
strip_libraries() {
    command -v strip >/dev/null || { echo "build: no strip(1); skipping" >&2; return 0; }
    local lib
    while IFS= read -r -d '' lib; do
        if readelf -S "$lib" 2>/dev/null | grep -q '\.symtab'; then
            strip --strip-unneeded "$lib"
        fi
    done < <(find "$DIST/$APP" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0)
}

# With --llama venv and the venv from scripts/setup.sh (GGML_NATIVE=ON): fine for this machine, SIGILL on an
# older CPU. Say so.
warn_if_native_llama() {
    local features
    features=$("$VENV/bin/python" -c "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())" 2>/dev/null || true)
    if echo "$features" | grep -Eq "AVX512 = 1|AVX512_[A-Z0-9]+ = 1|SVE = 1|MATMUL_INT8 = 1"; then
        echo "build: WARNING: this venv's llama.cpp uses CPU features (AVX-512/SVE/i8mm) that many target CPUs lack;" >&2
        echo "build:          for a bundle to share, leave out --llama venv (the default builds a portable llama.cpp)" >&2
    fi
}

# ICU's data library is 31 MB of which Qt uses collation and a few codecs (packaging/trim_icu_data.py).
trim_icu_data() {
    local lib
    for lib in "$DIST/$APP"/_internal/PySide6/Qt/lib/libicudata.so.*; do
        [ -f "$lib" ] && "$VENV/bin/python" packaging/trim_icu_data.py "$lib"
    done
}

add_desktop_integration() {
    cp packaging/install-desktop-entry.sh "$DIST/$APP/"
}

make_tarball() {
    local version arch tarball
    version=$("$VENV/bin/python" -c "import slm_desktop; print(slm_desktop.__version__)")
    arch=$(uname -m)
    local suffix="${EXCLUDE:+-lite}"
    [ "$WITH_MODELS" = 0 ] && suffix="$suffix-lean"
    tarball="$DIST/$APP-$version-linux-$arch$suffix.tar.gz"
    tar -C "$DIST" -cf - "$APP" | gzip -6 > "$tarball"
    echo "build: $tarball $(mb "$(stat -c %s "$tarball")")"
}

# Apparent sizes in bytes, printed as MB (10^6, the unit of the size budgets) and MiB.
size_of() { { du -scb "$@" 2>/dev/null || true; } | tail -1 | cut -f1; }  # a missing path counts as 0
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%.1f MiB)", b / 1e6, b / 1048576 }'; }

report_sizes() {
    local total models
    total=$(size_of "$DIST/$APP")
    models=$(size_of "$DIST/$APP"/_internal/models "$DIST/$APP"/_internal/pocketsphinx/model)
    echo "build: $DIST/$APP unpacked $(mb "$total"); models $(mb "$models"); without models $(mb $((total - models)))"
}

ensure_venv
[ "$LLAMA" = venv ] && warn_if_native_llama
run_pyinstaller
strip_libraries
trim_icu_data
add_desktop_integration
report_sizes
[ "$MAKE_TAR" = 1 ] && make_tarball
[ "$MAKE_DEB" = 1 ] && env DIST="$DIST" packaging/build-deb.sh "$DIST/$APP"
echo "build: done; try $DIST/$APP/$APP self-test"
