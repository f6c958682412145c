#!/usr/bin/env bash
# Serve the docs site (what scripts/build.sh generated in target/) on localhost.
# PORT (default 8080) and HOST (default 127.0.0.1) choose the address; Ctrl-C stops it.
# The same site as one offline file: target/static_index.html (open it in any browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

port="${PORT:-8080}"
host="${HOST:-127.0.0.1}"
for file in index.html manifest.json catalog.json; do
    if [ ! -f "target/$file" ]; then
        echo "serve_docs: target/$file is missing: run ./scripts/build.sh first" >&2
        exit 1
    fi
done

echo "serve_docs: the docs site is at http://${HOST:-localhost}:${port}/ (Ctrl-C stops it)"
exec dbt docs serve --host "$host" --port "$port" --no-browser
