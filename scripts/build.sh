#!/usr/bin/env bash
# The main job: set up, build the warehouse on the configured inputs (the bundled
# sample by default) with every model, seed and test, publish it as the serving file,
# then generate the docs site.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

dbt build "$@"

# Publish only a complete build (set -e already stops here when dbt build failed); with extra
# dbt arguments such as --select the build file mixes old and new tables, so it is not published.
if [ "$#" -eq 0 ]; then
    python -m custseg.publish
else
    echo "build: extra dbt arguments given, serving file not republished (run: python -m custseg.publish)"
fi

dbt docs generate
