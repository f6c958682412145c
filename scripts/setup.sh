#!/usr/bin/env bash
# Create (or refresh) .venv with the pinned dependencies and the custseg package.
# Idempotent: it reinstalls only when requirements.txt or pyproject.toml changed.
# Needs only Python 3.11 on the machine (set PYTHON to choose the interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            python="$candidate"
            break
        fi
    done
fi
if [ -z "$python" ]; then
    echo "setup: Python 3.11 is required; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

stamp=.venv/.custseg-installed
wanted="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "setup: creating .venv with the pinned dependencies (requirements.txt)"
    rm -rf .venv
    "$python" -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
    .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$wanted" > "$stamp"
fi
mkdir -p warehouse/tmp

# Headless Chromium for the docs-site browser test (tests/python/test_docs_site.py). Installed
# only when missing and when running as root with apt-get; otherwise that test skips.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (headless browser for the docs-site test)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
        || echo "setup: could not install chromium; the docs-site browser test will skip" >&2
fi
