#!/usr/bin/env bash
# Debian packages for OpenCV (libGL, GLib), the offscreen renderer (EGL on Mesa's software rasteriser) and for the
# headless-browser test. Installed only when missing and only when we can (root + apt-get);
# otherwise the tests that need them skip with a clear reason.
set -u
PKGS="libgl1 libglib2.0-0 libegl1 libgles2 libgl1-mesa-dri libegl-mesa0 chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing$missing"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing) >/dev/null 2>&1 \
    || echo "system-deps: could not install$missing; render/browser tests will skip"
else
  echo "system-deps: missing$missing (not root); render/browser tests will skip"
fi
exit 0
