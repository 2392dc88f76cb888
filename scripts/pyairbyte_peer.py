"""The peer of `transform sync` in scripts/pipeline_bench.sh: PyAirbyte (`airbyte` from PyPI) running the same
source-bitcoin executable (`local_executable`, same config, one stream) and reading its records into
PyAirbyte's DuckDB cache, as `transform sync` reads them into DuckDB. Not a test: it prints the records the
cache holds afterwards; the caller times the process (wall, CPU, peak RSS).

Run: python3 pyairbyte_peer.py SOURCE_EXECUTABLE CONFIG_JSON STREAM DUCKDB_PATH
"""
import json
import os
import sys

os.environ.setdefault("DO_NOT_TRACK", "1")  # no telemetry from a benchmark
os.environ.setdefault("NO_LIVE_PROGRESS", "1")
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry look-up: the source is a local executable

import airbyte as ab  # noqa: E402


def main() -> None:
    exe, config_path, stream, db_path = sys.argv[1:5]
    with open(config_path) as f:
        config = json.load(f)
    source = ab.get_source("source-bitcoin", local_executable=exe, config=config, install_if_missing=False)
    source.select_streams([stream])
    cache = ab.DuckDBCache(db_path=db_path, schema_name="main")
    source.read(cache=cache, force_full_refresh=True)
    print(f"records {len(cache[stream])}")


if __name__ == "__main__":
    main()
