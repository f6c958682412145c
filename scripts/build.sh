#!/usr/bin/env bash
# The main job: set up, build the warehouse on the configured inputs (the bundled sample by
# default) with every model, seed and test, publish it as the serving file with the Parquet set
# and the campaign lists, write the segment report, then generate the docs site. It ends by
# saying where the serving file, the docs site and the segment report are.
#
# dbt's output is summarised (python -m custseg.tools.progress: warnings, errors, the
# segmentation verdict, dbt's summary, long steps); dbt's node-by-node log is logs/dbt.log, and
# CUSTSEG_DBT_OUTPUT=full shows dbt's own output instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

# One build at a time per warehouse file: a second one stops at once, naming the first (the
# kernel releases the lock when a build ends or is killed).
build_file="${CUSTSEG_DUCKDB_PATH:-warehouse/build.duckdb}"
mkdir -p "$(dirname "$build_file")"
lock="$(dirname "$build_file")/.$(basename "$build_file").build.lock"
exec 9>>"$lock"
if ! flock -n 9; then
    echo "build: another build of $build_file is running ($(cat "$lock.owner" 2>/dev/null || echo "pid unknown")); wait for it or stop it" >&2
    exit 75
fi
echo "pid $$ since $(date '+%Y-%m-%d %H:%M:%S')" > "$lock.owner"

run_dbt() {
    if [ "${CUSTSEG_DBT_OUTPUT:-}" = full ]; then
        dbt "$@"
    else
        python -m custseg.tools.progress "$@"
    fi
}

run_dbt build "$@"

# Publish only a complete build (set -e already stops here when dbt build failed); with dbt
# arguments that select nodes (--select ...) the build file mixes old and new tables, so it is not
# published. --full-refresh and --vars (e.g. '{refit: true}') still build everything.
selects_nodes() {
    for argument in "$@"; do
        case "$argument" in
            -s | -m | --select* | --models* | --exclude* | --selector* | --resource-type* | --exclude-resource-type*) return 0 ;;
        esac
    done
    return 1
}
if ! selects_nodes "$@"; then
    python -m custseg.tools.publish
    # The segmentation pictures of the docs overview, drawn from the built warehouse.
    python -m custseg.tools.docs_site images
    # The segment report for marketers, from the serving file just published.
    python -m custseg.tools.report
else
    echo "build: dbt arguments select nodes, serving file, report and pictures not refreshed" \
        "(run: python -m custseg.tools.publish; python -m custseg.tools.docs_site images;" \
        "python -m custseg.tools.report)"
fi

run_dbt docs generate --static

echo
python -m custseg.tools.report --where
