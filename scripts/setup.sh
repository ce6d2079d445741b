#!/usr/bin/env bash
# Creates the virtualenv and installs everything xcoder needs on a CPU machine.
# Why a script: torch must come as the CPU build (a bare `torch` pulls several GB of CUDA),
# and the judge wants bubblewrap from the system's packages for namespace isolation.
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}

if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing bubblewrap (judge sandbox)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
      || echo "[setup] WARNING: bubblewrap not installed; the judge falls back to rlimits-only isolation" \
              "and 'make test' fails its isolation tests (XCODER_ALLOW_WEAK_SANDBOX=1 skips them)" >&2
  else
    echo "[setup] WARNING: bwrap not found and cannot install it (install the bubblewrap package as root);" \
         "the judge falls back to rlimits-only isolation and 'make test' fails its isolation tests" \
         "(XCODER_ALLOW_WEAK_SANDBOX=1 skips them)" >&2
  fi
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "[setup] installing the CPU build of torch"
  # 2.13.0 is the CPU build this machine kind keeps on disk; elsewhere pip resolves the stock wheel.
  $PIP install -q "torch==2.13.0" || $PIP install -q torch
fi
echo "[setup] installing xcoder with the training stack"
$PIP install -q -e ".[train,dev]"
echo "[setup] done. Activate the environment: source $VENV/bin/activate"
echo "[setup] then try the judge: xcoder judge --problems examples/judge/problems.jsonl --samples examples/judge/samples.jsonl --out judged.jsonl"
