#!/usr/bin/env bash
# Every test: lint (ruff, sqlfluff), dbt build with all data and unit tests on the
# bundled sample, then pytest (Python package, malformed inputs, and builds on the real
# files in ../shared/data when that folder exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check src tests python_models scripts bench
ruff format --check src tests python_models scripts bench

echo "== sqlfluff"
sqlfluff lint models tests/singular

echo "== dbt build (bundled sample)"
CUSTSEG_DUCKDB_PATH=warehouse/test.duckdb dbt build --target-path target/test

echo "== pytest"
# The tests that read the sample build share this one (tests/python/conftest.py, sample_build).
CUSTSEG_TEST_WAREHOUSE=warehouse/test.duckdb CUSTSEG_TEST_TARGET=target/test python -m pytest "$@"
