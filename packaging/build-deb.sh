#!/usr/bin/env bash
# Wraps the one-folder bundle (packaging/build.sh) in a Debian package, with dpkg-deb:
#   packaging/build-deb.sh [BUNDLE]       (default: $DIST/slm-desktop; writes $DIST/slm-desktop_VERSION_ARCH.deb)
# The same script serves x86-64 (`make deb`) and arm64 (packaging/build-arm.sh): the architecture is dpkg's own.
# Layout: the bundle in /opt/slm-desktop, /usr/bin/slm-desktop -> /opt/slm-desktop/slm-desktop, the desktop entry
# (with "Open With" for text/plain), hicolor icons and AppStream metainfo in /usr/share, maintainer scripts that
# refresh the desktop and icon caches. Depends: dpkg-shlibdeps over the bundle's ELF files, so the system libraries
# PyInstaller did not bundle (libc, libGL/libEGL, fontconfig, the xcb libraries Qt's platform plugin needs, ...) come
# from apt, plus libportaudio2, which sounddevice opens with ctypes (invisible to shlibdeps).
# Environment: DIST (dist), WORK (build/deb), DEB_COMPRESS (gzip; xz is somewhat smaller and many times slower:
# most of the package is models, which compress little), DEB_MAINTAINER.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

APP=slm-desktop
DIST=${DIST:-dist}
WORK=${WORK:-build/deb}
BUNDLE=${1:-$DIST/$APP}
COMPRESS=${DEB_COMPRESS:-gzip}
MAINTAINER=${DEB_MAINTAINER:-slm-desktop maintainers <maintainers@slm-desktop.invalid>}
# Opened at run time by name (ctypes or a subprocess), so dpkg-shlibdeps cannot see them.
RUNTIME_DEPENDS="libportaudio2"
# Apertium's English-Spanish pair gives translation with no model at all; apt installs Recommends by default.
RECOMMENDS="apertium-eng-spa"
# Libraries the bundle carries (for the tarball, which must run anywhere) that the .deb takes from apt instead, so
# they match the system they run on and get its security updates: PortAudio with JACK and ALSA (the system's ALSA
# plugins for PulseAudio/PipeWire), the X11/xcb/xkbcommon libraries Qt's xcb platform plugin links, and fontconfig and
# FreeType (a bundled fontconfig older than the system's fonts.conf warns and may find no fonts). dpkg-shlibdeps
# then names their packages in Depends. Only the plain system names: hashed copies that wheels grafted in
# (libxcb-5ddf6756.so.1.1.0 in av.libs) are what those wheels link to, and stay.
FROM_SYSTEM='lib(portaudio|jack|asound|X11|X11-xcb|Xau|xcb(-[a-z-]+)?|xkbcommon(-x11)?|fontconfig|freetype)\.so(\.[0-9]+)*'


die() { echo "build-deb: $*" >&2; exit 2; }

[ -x "$BUNDLE/$APP" ] || die "no bundle at $BUNDLE (run packaging/build.sh first)"
for tool in dpkg-deb dpkg-shlibdeps; do  # dpkg-deb --root-owner-group: no fakeroot needed
    command -v "$tool" >/dev/null || die "$tool is missing: apt install dpkg-dev"
done

VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' slm_desktop/__init__.py)
ARCH=${ARCH:-$(dpkg --print-architecture)}
ROOT="$WORK/${APP}_${VERSION}_$ARCH"
DEB="$DIST/${APP}_${VERSION}_${ARCH}.deb"
RES=resources

stage_bundle() {
    rm -rf "$ROOT"
    mkdir -p "$ROOT/opt"
    cp -a "$BUNDLE" "$ROOT/opt/$APP"
    rm -rf "$ROOT/opt/$APP/install-desktop-entry.sh" "$ROOT/opt/$APP/models"  # per-user installer; dropped models
    find "$ROOT/opt/$APP/_internal" -maxdepth 1 -regextype posix-extended -regex ".*/$FROM_SYSTEM" -delete
    find "$ROOT/opt/$APP" -type d -exec chmod 0755 {} +
    find "$ROOT/opt/$APP" -type f -exec chmod u+rw,go+r,go-w {} +
    find "$ROOT/opt/$APP" -type f \( -name '*.so' -o -name '*.so.*' \) -exec chmod 0644 {} +
    chmod 0755 "$ROOT/opt/$APP/$APP"
}

stage_desktop_files() {
    local share="$ROOT/usr/share" png size
    mkdir -p "$ROOT/usr/bin" "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps" \
        "$share/doc/$APP"
    ln -s "/opt/$APP/$APP" "$ROOT/usr/bin/$APP"
    install -m 0644 "$RES/$APP.desktop" "$share/applications/$APP.desktop"
    # AppStream wants the file named after the component id.
    local id
    id=$(sed -n 's:.*<id>\(.*\)</id>.*:\1:p' "$RES/$APP.metainfo.xml" | head -1)
    install -m 0644 "$RES/$APP.metainfo.xml" "$share/metainfo/$id.metainfo.xml"
    install -m 0644 "$RES/icons/$APP.svg" "$share/icons/hicolor/scalable/apps/$APP.svg"
    for png in "$RES"/icons/hicolor/*/"$APP".png; do
        size=$(basename "$(dirname "$png")")
        install -D -m 0644 "$png" "$share/icons/hicolor/$size/apps/$APP.png"
    done
    install -m 0644 packaging/deb/copyright "$share/doc/$APP/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Built from the slm-desktop sources.\n\n -- %s  %s\n' \
        "$APP" "$VERSION" "$MAINTAINER" "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")" \
        | gzip -9n > "$share/doc/$APP/changelog.gz"
    chmod 0644 "$share/doc/$APP/changelog.gz"
}

# dpkg-shlibdeps over every ELF file of the bundle. -l points it at the bundle's own library folders first, so a
# library PyInstaller bundled resolves there (no package: ignored) rather than to a system copy; what is left is
# what the system must provide. It reads debian/control, so it runs in a scratch source tree.
shlib_depends() {
    local scratch="$WORK/shlibdeps" internal
    internal=$(cd "$ROOT/opt/$APP/_internal" && pwd)
    rm -rf "$scratch"
    mkdir -p "$scratch/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$APP" "$APP" > "$scratch/debian/control"
    local -a elves libdirs
    mapfile -d '' elves < <(find "$internal" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
    elves+=("$internal/../$APP")
    mapfile -t libdirs < <(find "$internal" -type f \( -name '*.so' -o -name '*.so.*' \) -printf '%h\n' | sort -u)
    local -a dirflags=()
    local dir
    for dir in "${libdirs[@]}"; do dirflags+=("-l$dir"); done
    (cd "$scratch" && dpkg-shlibdeps -O --ignore-missing-info --warnings=0 "${dirflags[@]}" "${elves[@]}") \
        | sed -n 's/^shlibs:Depends=//p'
}

write_control() {
    local shlibs depends installed
    shlibs=$(shlib_depends)
    [ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies (is the bundle's ELF layout broken?)"
    depends="$shlibs, ${RUNTIME_DEPENDS// /, }"
    installed=$(du -sk --apparent-size "$ROOT" | cut -f1)
    mkdir -p "$ROOT/DEBIAN"
    sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@INSTALLED_SIZE@|$installed|" \
        -e "s|@DEPENDS@|$depends|" -e "s|@RECOMMENDS@|$RECOMMENDS|" -e "s|@MAINTAINER@|$MAINTAINER|" \
        packaging/deb/control.in > "$ROOT/DEBIAN/control"
    install -m 0755 packaging/deb/postinst packaging/deb/postrm "$ROOT/DEBIAN/"
    (cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
        > "$ROOT/DEBIAN/md5sums"
    chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"
    echo "build-deb: Depends: $depends"
}

build_package() {
    mkdir -p "$DIST"
    rm -f "$DEB"
    dpkg-deb --root-owner-group -Z"$COMPRESS" --build "$ROOT" "$DEB" >/dev/null
    local installed_kb
    installed_kb=$(sed -n 's/^Installed-Size: //p' "$ROOT/DEBIAN/control")
    awk -v d="$(stat -c %s "$DEB")" -v i="$installed_kb" -v f="$DEB" \
        'BEGIN { printf "build-deb: %s %.1f MB; installed %.1f MB\n", f, d / 1e6, i * 1024 / 1e6 }'
    rm -rf "$ROOT"  # the staging copy is as big as the bundle
}

stage_bundle
stage_desktop_files
write_control
build_package
