#!/usr/bin/env bash
# The main job: set up, build the warehouse on the configured inputs (the bundled
# sample by default) with every model, seed and test, then generate the docs site.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

dbt build "$@"
dbt docs generate
