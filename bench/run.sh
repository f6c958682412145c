#!/usr/bin/env bash
# Run the benchmark harness with the project's venv (see bench/README.md).
#   bench/run.sh [--sizes 1M,10M] [--runs 3] [--include-100m] [--smoke] [--help]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
if [ ! -x "$python" ]; then
    echo "bench: $python not found; run scripts/setup.sh first (or set PYTHON)" >&2
    exit 1
fi
if [ "${1:-}" = "--refresh" ]; then
    shift
    exec "$python" -m bench.refresh "$@"
fi
exec "$python" -m bench "$@"
