#!/usr/bin/env bash
# The main job: set up, build the warehouse on the configured inputs (the bundled sample by
# default) with every model, seed and test, draw the docs pictures and generate the docs site,
# publish the build as one release (the serving file with the Parquet set and the campaign
# lists), then write the segment report. It ends by saying where the serving file, the docs
# site and the segment report are.
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
# The docs site and the published outputs change together or not at all: what reads the build
# file (the docs pictures, dbt docs generate) runs before the publish, so a failure there
# publishes nothing; the docs site's files are kept aside first and put back if a later step
# fails; a failure after the publish (the segment report) rolls the publish back (serving file,
# Parquet and campaign lists are one release: python -m custseg.tools.publish --rollback).
docs_files=(target/index.html target/static_index.html target/catalog.json target/docs_images)
docs_kept="$(mktemp -d)"
trap 'rm -rf "$docs_kept"' EXIT
for file in "${docs_files[@]}"; do
    if [ -e "$file" ]; then cp -a "$file" "$docs_kept/"; fi
done
restore_docs() {
    echo "build: putting the docs site of the last published build back" >&2
    for file in "${docs_files[@]}"; do
        rm -rf "$file"
        if [ -e "$docs_kept/$(basename "$file")" ]; then cp -a "$docs_kept/$(basename "$file")" "$file"; fi
    done
}

if ! selects_nodes "$@"; then
    # The segmentation pictures of the docs overview, drawn from the built warehouse.
    python -m custseg.tools.docs_site images || { restore_docs; exit 1; }
    run_dbt docs generate --static || { restore_docs; exit 1; }
    python -m custseg.tools.publish || { restore_docs; exit 1; }
    # The segment report for marketers, from the serving file just published.
    if ! python -m custseg.tools.report; then
        echo "build: the segment report failed after publishing: rolling the publish back" >&2
        python -m custseg.tools.publish --rollback || true
        restore_docs
        exit 1
    fi
else
    echo "build: dbt arguments select nodes, serving file, report and pictures not refreshed" \
        "(run: python -m custseg.tools.publish; python -m custseg.tools.docs_site images;" \
        "python -m custseg.tools.report)"
    run_dbt docs generate --static
fi

echo
python -m custseg.tools.report --where
