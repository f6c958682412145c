#!/usr/bin/env bash
# Create (or refresh) .venv with the pinned dependencies and the custseg package.
# Idempotent: it reinstalls only when requirements.txt or pyproject.toml changed.
# Needs only Python 3.11 on the machine (set PYTHON to choose the interpreter).
#
# --spark also installs the optional Spark packages of requirements-spark.txt into .venv (once;
# the Spark target, README "Running on Spark"); without it nothing of Spark is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
with_spark=0
if [ "${1:-}" = --spark ]; then with_spark=1; fi

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

# pip's output, one package a line, as a few progress lines with the time so far; while pip
# installs (it prints nothing then) a line every 20 s.
report_progress() {
    local count=0 installing=0 line
    while true; do
        if IFS= read -r -t 20 line; then
            case "$line" in
                Collecting\ *)
                    count=$((count + 1))
                    if [ $((count % 25)) -eq 0 ]; then
                        echo "setup: $count packages fetched ($((SECONDS - started)) s)"
                    fi
                    ;;
                Installing\ collected\ packages*)
                    installing=1
                    echo "setup: $count packages fetched; installing them ($((SECONDS - started)) s)"
                    ;;
            esac
        elif [ $? -gt 128 ]; then
            if [ "$installing" = 1 ]; then echo "setup: still installing ($((SECONDS - started)) s)"; fi
        else
            break
        fi
    done
}

# The installer (not a dependency of the project): pinned, so set-up is the same everywhere.
UV_VERSION=0.13.8
stamp=.venv/.custseg-installed
wanted="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    started=$SECONDS
    total="$(grep -c '^[A-Za-z0-9]' requirements.txt)"
    echo "setup: creating .venv with the $total pinned packages of requirements.txt (once; about a minute)"
    rm -rf .venv
    log="$(mktemp)"
    tools="$(mktemp -d)"
    # uv creates the environment and installs the pinned set in a fraction of pip's time; pip
    # is the fallback (no pip beside the interpreter, or an index only pip.conf names).
    echo "setup: installing them with uv $UV_VERSION"
    # uv trusts the platform's certificate store as pip does (a proxy's own CA installed there).
    export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"
    if "$python" -m pip install --quiet --disable-pip-version-check --target "$tools" "uv==$UV_VERSION" >"$log" 2>&1 \
        && "$tools/bin/uv" venv --quiet --seed --python "$python" .venv >"$log" 2>&1 \
        && "$tools/bin/uv" pip install --python .venv/bin/python -r requirements.txt >"$log" 2>&1 \
        && "$tools/bin/uv" pip install --quiet --python .venv/bin/python --no-deps -e . >>"$log" 2>&1; then
        grep -E '^ *(Resolved|Prepared|Installed) ' "$log" | sed 's/^ */setup: /' || true
    else
        echo "setup: uv could not install (last lines below); using pip"
        tail -n 5 "$log"
        rm -rf .venv
        "$python" -m venv .venv
        if ! .venv/bin/pip install --disable-pip-version-check --progress-bar off -r requirements.txt 2>&1 \
            | tee "$log" | report_progress; then
            echo "setup: pip install failed; its last lines:" >&2
            tail -n 25 "$log" >&2
            rm -rf "$log" "$tools"
            exit 1
        fi
        .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
    fi
    rm -rf "$log" "$tools"
    echo "$wanted" > "$stamp"
    echo "setup: .venv ready in $((SECONDS - started)) s"
fi
mkdir -p warehouse/tmp

spark_stamp=.venv/.custseg-spark-installed
spark_wanted="$(cat requirements-spark.txt "$stamp" | sha256sum | cut -d' ' -f1)"
if [ "$with_spark" = 1 ] && { [ ! -f "$spark_stamp" ] || [ "$(cat "$spark_stamp")" != "$spark_wanted" ]; }; then
    started=$SECONDS
    echo "setup: adding the Spark packages of requirements-spark.txt to .venv (once; pyspark builds in about a minute)"
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-spark.txt
    echo "$spark_wanted" > "$spark_stamp"
    echo "setup: Spark packages ready in $((SECONDS - started)) s"
fi
