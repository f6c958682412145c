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
    python -m custseg.tools.publish
    # The segmentation pictures of the docs overview, drawn from the built warehouse.
    python -m custseg.tools.docs_site images
else
    echo "build: extra dbt arguments given, serving file and pictures not refreshed" \
        "(run: python -m custseg.tools.publish; python -m custseg.tools.docs_site images)"
fi

dbt docs generate --static
echo "build: docs site in target/ (./scripts/serve_docs.sh serves it; target/static_index.html works offline)"
