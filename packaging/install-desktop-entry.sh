#!/usr/bin/env bash
# Adds slm-desktop to the desktop's application menu for this user (no root needed):
# the .desktop entry (pointing at this folder's executable), the icons and the AppStream metainfo.
#   ./install-desktop-entry.sh            install
#   ./install-desktop-entry.sh --remove   remove again
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
RES="$HERE/_internal/resources"
APP=slm-desktop

if [ "${1:-}" = "--remove" ]; then
    rm -f "$DATA/applications/$APP.desktop" "$DATA/metainfo/$APP.metainfo.xml" "$DATA/icons/hicolor/scalable/apps/$APP.svg"
    rm -f "$DATA"/icons/hicolor/*/apps/"$APP".png
    echo "removed $APP from the application menu"
    exit 0
fi

mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps"
sed -e "s|^Exec=$APP|Exec=\"$HERE/$APP\"|" -e "s|^TryExec=.*|TryExec=$HERE/$APP|" \
    "$RES/$APP.desktop" > "$DATA/applications/$APP.desktop"
cp "$RES/$APP.metainfo.xml" "$DATA/metainfo/"
cp "$RES/icons/$APP.svg" "$DATA/icons/hicolor/scalable/apps/"
for png in "$RES"/icons/hicolor/*/"$APP".png; do
    size=$(basename "$(dirname "$png")")
    mkdir -p "$DATA/icons/hicolor/$size/apps"
    cp "$png" "$DATA/icons/hicolor/$size/apps/"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "installed $APP in the application menu ($DATA/applications/$APP.desktop)"
