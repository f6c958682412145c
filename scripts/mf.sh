#!/usr/bin/env bash
# MetricFlow (mf) on the serving file, read-only, from any folder: ./scripts/mf.sh list metrics,
# ./scripts/mf.sh query --metrics ... (arguments go to mf; see python -m custseg.tools.metrics).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
exec "$root/.venv/bin/python" -m custseg.tools.metrics --project-dir "$root" "$@"
