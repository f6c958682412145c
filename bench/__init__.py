"""Benchmark harness: the dbt project against a hand-written floor, a raw scan of the input
and the reference notebooks' pandas baseline. See bench/README.md; entry points
``python -m bench`` (``bench/run.sh``) and :func:`bench.harness.run_smoke`."""
