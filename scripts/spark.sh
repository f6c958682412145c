#!/usr/bin/env bash
# The project on Apache Spark local (README "Running on Spark"): sets up .venv with the Spark
# packages of requirements-spark.txt (once), then runs dbt build, the segmentation fit and dbt
# build again in one Python process with one Spark session (python -m custseg.integration.spark).
# Needs Java 17 or 21. Spark's tables, metastore and staged inputs are in warehouse/spark
# (CUSTSEG_SPARK_DIR); dbt's target folder is target/spark. Inputs are set as for build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
    echo "spark: Java is needed (17 or 21), e.g. apt-get install openjdk-17-jre-headless" >&2
    exit 1
fi
bash scripts/setup.sh --spark
exec .venv/bin/python -m custseg.integration.spark "$@"
