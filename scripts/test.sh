#!/usr/bin/env bash
# Every test: lint (ruff, sqlfluff), dbt build with all data and unit tests on the
# bundled sample, then pytest (Python package, malformed inputs, the same sample built on
# Spark and compared with this build when Java is there, and builds on the real files in
# ../shared/data when that folder exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check src tests python_models scripts bench
ruff format --check src tests python_models scripts bench

echo "== sqlfluff"
sqlfluff lint models tests/singular

# PyTensor (the value models) compiles its C backend with g++; without one it falls back to
# NumPy, several times slower on every build of the suite. Installed from apt as root, as Java.
if ! command -v g++ >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing a C++ compiler for PyTensor (apt-get)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null 2>&1 \
        || echo "== g++ could not be installed: the value models run on PyTensor's NumPy backend"
fi

# Headless Chromium for the browser tests of the docs site and the segment report, and tmux for
# the Harlequin test (tests/python/test_bi_clients.py); the main job needs neither. Installed
# only when missing and when running as root with apt-get; otherwise those tests skip.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]} for the browser and terminal tests (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
        || echo "== could not install ${missing[*]}: the tests that need them will skip" >&2
fi

echo "== dbt build (bundled sample)"
CUSTSEG_DUCKDB_PATH=warehouse/test.duckdb dbt build --target-path target/test

echo "== spark packages (for tests/python/test_spark.py: the sample on Spark against this build)"
# The Spark packages (requirements-spark.txt) go into .venv here only, never in the default
# set-up. Java comes from apt when it is missing and we run as root (Spark 4 needs 17 or 21);
# without Java the Spark build cannot run: say so, and test_spark.py skips it.
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null 2>&1; then
    echo "== spark: installing a Java runtime (apt-get)"
    apt-get update -qq >/dev/null 2>&1 || true
    for jre in openjdk-17-jre-headless openjdk-21-jre-headless; do
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$jre" >/dev/null 2>&1; then break; fi
    done
fi
if command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ]; then
    bash scripts/setup.sh --spark
else
    echo "== spark: SKIPPED, no Java runtime (java not on PATH, JAVA_HOME unset):" \
        "install one (e.g. apt-get install openjdk-17-jre-headless) to build and compare on Spark"
fi

echo "== pytest"
# The tests that read the sample build share this one (tests/python/conftest.py, sample_build).
CUSTSEG_TEST_WAREHOUSE=warehouse/test.duckdb CUSTSEG_TEST_TARGET=target/test python -m pytest "$@"
