#!/usr/bin/env bash
# Install everything tinyq needs on a fresh Debian machine: the Arm toolchain and QEMU (apt),
# a virtual environment in .venv with tinyq and its Python dependencies (PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi)
[ -f /usr/lib/arm-none-eabi/newlib/libc.a ] || [ -d /usr/lib/arm-none-eabi/newlib ] || need_apt+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need_apt+=(qemu-system-arm)
command -v cc >/dev/null || need_apt+=(gcc)
command -v cmake >/dev/null || need_apt+=(cmake)     # the CMake export's tests
command -v make >/dev/null || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
echo "setup: installing tinyq and its dependencies into .venv (first time: a few minutes)"
.venv/bin/python -m pip install -q -e '.[all]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/tinyq --version
