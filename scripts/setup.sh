#!/usr/bin/env bash
# Set up a virtual environment with rushes and everything its features and tests need.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [extras]   (default extras: all,dev)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-all,dev}"
PY="${PYTHON:-python3}"

# System packages some features/tests use (installed only when missing; we are root on CI).
APT_PACKAGES="${RUSHES_APT_PACKAGES:-}"
missing=""
for pkg in $APT_PACKAGES; do  # none needed yet: PyAV bundles FFmpeg, Piper comes from PyPI
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages:$missing"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "setup: warning: could not install$missing (features needing them will report it)"
  else
    echo "setup: note: system packages not installed:$missing (run as root to install them)"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=".venv/.rushes-installed-$(sha1sum pyproject.toml | cut -c1-12)-${EXTRAS//,/_}"
if [ ! -f "$stamp" ]; then
  # torch: the CPU build on this machine's disk (a plain `pip install torch` would fetch a CUDA build)
  .venv/bin/pip install -q -e ".[${EXTRAS}]"
  rm -f .venv/.rushes-installed-*
  touch "$stamp"
fi
echo "setup: ok ($(.venv/bin/rushes --version))"
