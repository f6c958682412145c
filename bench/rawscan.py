"""The raw scan: DuckDB counting the lines of the input file, read as the project's source reads
it (header, every column text). The I/O, decompression and CSV-parsing limit: no query on
this file can be faster. Usage: ``python bench/rawscan.py INPUT [MEMORY_LIMIT]``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    import duckdb

    con = duckdb.connect(config={"memory_limit": args[1] if len(args) > 1 else "8GB"})
    query = "select count(*) from read_csv(?, header = true, all_varchar = true, null_padding = true)"
    print(con.execute(query, [args[0]]).fetchone()[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
