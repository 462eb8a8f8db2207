#!/usr/bin/env bash
# Makes this checkout runnable on a brand-new Debian machine: system libraries, .venv (Python 3.11) and every
# Python dependency at the versions pinned in constraints.txt. Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# FFmpeg shared libraries for torchcodec, Mesa EGL for offscreen MuJoCo, libusb for pyrealsense2, Chromium
# for the headless test of the teleop page.
APT_PACKAGES=(ffmpeg libusb-1.0-0 libegl1 libegl-mesa0 libgl1 libgles2 chromium)
UV_VERSION=0.13.9

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python_bin=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi

# The stamp names a hash of everything that decides the environment, so editing a pin reinstalls.
stamp=".venv/.deps-$(cat requirements.txt constraints.txt pyproject.toml ros2_ws/src/*/setup.py | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python dependencies (pinned in constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  .venv/bin/uv pip install --python .venv/bin/python -r requirements.txt -c constraints.txt
  .venv/bin/uv pip install --python .venv/bin/python --no-deps -e . \
    -e ros2_ws/src/clam_ros -e ros2_ws/src/clam_bringup
  rm -f .venv/.deps-*
  touch "$stamp"
fi
