#!/usr/bin/env python3
"""What each incremental model's build would be billed on BigQuery, estimated by BigQuery's on-demand rules from the
DuckDB warehouse (the local emulator's dry runs report 0 bytes for every query, so they cannot be used).

Rules (BigQuery "data size calculation"): INT64/FLOAT64/DATE/TIMESTAMP 8 bytes, BOOL 1, STRING and JSON
2 + UTF-8 length, NULL 0; a query is billed the referenced columns of the partitions it cannot prune, and a
MERGE also every column of the target partitions it scans. Per incremental model, from its compiled SQL
(target/compiled: the SQL its last run executed, constants included):
  query    every table scan in DuckDB's plan of that SQL (EXPLAIN: views inlined, constant filters pushed into
           the scans as BigQuery pushes them): the scan's columns, over the partitions a constant filter on the
           table's partition column selects (partition_by of a model's BigQuery config). The raw tables, which
           `transform sync` partitions by day of _airbyte_extracted_at on BigQuery (unless --unpartitioned-raw),
           count the rows extracted since the constant: in a daily pipeline those are the partitions of the last
           sync's day and today's; the benchmark runs both syncs minutes apart, on one day;
  merge    the target's partitions the MERGE scans: those from today - incremental_merge_days with the model's
           incremental_predicates (merge_window_predicates), else the whole table; plus the batch;
  marks    the watermark queries (run_query of max() over the target): its date column(s) over the partitions
           of the last incremental_merge_days (incremental_values' recent_column; the indicators' anchor query
           reads them whole); a watermark subquery is part of the query's plan instead.
BigQuery's minimum of 10 MB per table a query references is not applied (these tables are far smaller).
Partitions are counted with the tables as they are after the build (a new day more than the build saw).
Usage: bigquery_scan_estimate.py MANIFEST LOOKBACK_DAYS MERGE_DAYS [--unpartitioned-raw] [--verbose: every scan]
       (TRANSFORM_DUCKDB_PATH, DUCKDB_LIB_DIR set; run from the project directory)
"""
import ctypes
import datetime
import json
import os
import re
import sys


class DuckDb:
    """The warehouse through libduckdb's C API (the prebuilt library the project links; no Python package)."""

    class Result(ctypes.Structure):
        _fields_ = [("deprecated", ctypes.c_uint64 * 3), ("pointers", ctypes.c_void_p * 2), ("internal", ctypes.c_void_p)]

    def __init__(self, lib_dir, path):
        lib = self.lib = ctypes.CDLL(os.path.join(lib_dir, "libduckdb.so"))
        lib.duckdb_value_varchar.restype = ctypes.c_void_p
        lib.duckdb_row_count.restype = lib.duckdb_column_count.restype = ctypes.c_uint64
        lib.duckdb_result_error.restype = ctypes.c_char_p
        self.db, self.con = ctypes.c_void_p(), ctypes.c_void_p()
        if lib.duckdb_open(path.encode(), ctypes.byref(self.db)) or lib.duckdb_connect(self.db, ctypes.byref(self.con)):
            sys.exit(f"cannot open {path}")

    def rows(self, sql):
        lib, r = self.lib, self.Result()
        if lib.duckdb_query(self.con, sql.encode(), ctypes.byref(r)):
            error = lib.duckdb_result_error(ctypes.byref(r)).decode()
            lib.duckdb_destroy_result(ctypes.byref(r))
            raise RuntimeError(f"{error}\n{sql[:300]}")
        out = []
        for i in range(lib.duckdb_row_count(ctypes.byref(r))):
            row = []
            for j in range(lib.duckdb_column_count(ctypes.byref(r))):
                p = lib.duckdb_value_varchar(ctypes.byref(r), ctypes.c_uint64(j), ctypes.c_uint64(i))
                row.append(ctypes.string_at(p).decode() if p else None)
                if p:
                    lib.duckdb_free(ctypes.c_void_p(p))
            out.append(row)
        lib.duckdb_destroy_result(ctypes.byref(r))
        return out

    def scalar(self, sql):
        return self.rows(sql)[0][0]


def size_expr(column, data_type):
    q = f'"{column}"'
    t = data_type.upper()
    if t in ("VARCHAR", "JSON") or t.startswith("VARCHAR"):
        return f"coalesce(sum(strlen(cast({q} as varchar)) + 2), 0)"
    if t == "BOOLEAN":
        return f"count({q})"
    return f"count({q}) * 8"


def columns(db, schema, table):
    return dict(db.rows("select column_name, data_type from information_schema.columns "
                        f"where table_schema = '{schema}' and table_name = '{table}'"))


def bytes_of(db, relation, cols, types, where="true"):
    parts = [size_expr(c, types[c]) for c in cols if c in types]
    if not parts:
        return 0
    return int(float(db.scalar(f'select {" + ".join(parts)} from {relation} where {where}') or 0))


COMPARISON = re.compile(r"^\(?\"?(\w+)\"?\s*(>=|<=|=|>|<)\s*'([^']+)'::(DATE|TIMESTAMP)\)?$")


def partition_filter(filters, field, grain):
    """The constant comparisons on the partition column among a scan's pushed filters, widened to whole
    partitions (what BigQuery prunes to); "true" when there are none."""
    conds = []
    for f in re.split(r"\n| AND ", filters):
        m = COMPARISON.match(f.strip())
        if not m or m.group(1) != field:
            continue
        literal = f"'{m.group(3)}'::{m.group(4)}"
        if grain is None:  # row-precise (see the raw tables above)
            conds.append(f'"{field}" {m.group(2)} {literal}')
        else:
            op = {">": ">=", "<": "<="}.get(m.group(2), m.group(2))
            conds.append(f"date_trunc('{grain}', \"{field}\") {op} date_trunc('{grain}', {literal})")
    return " and ".join(conds) or "true"


def scans(plan):
    if plan.get("name", "").strip() in ("SEQ_SCAN", "TABLE_SCAN"):
        yield plan.get("extra_info", {})
    for child in plan.get("children", []):
        yield from scans(child)


def model_partitioning(node):
    text = open(node["original_file_path"]).read()
    field = re.search(r"partition_by=\{'field': '(\w+)'", text)
    grain = re.search(r"'granularity': '(\w+)'", text)
    predicate = re.search(r"incremental_predicates=merge_window_predicates\('(\w+)'", text)
    # Watermarks read by run_query (macros/incremental_window.sql); subquery watermarks are in the query's plan.
    marks = 0 if "run_query" not in open("macros/incremental_window.sql").read() else \
        2 if "staging_window(" in text else 3 if "rsi_avg_loss_usd is not null" in text else 1
    return (field.group(1) if field else None, grain.group(1) if grain else "day", predicate is not None, marks)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    manifest, lookback, merge_days = json.load(open(args[0])), int(args[1]), int(args[2])
    raw_partitioned = "--unpartitioned-raw" not in sys.argv
    verbose = "--verbose" in sys.argv
    db = DuckDb(os.environ["DUCKDB_LIB_DIR"], os.environ["TRANSFORM_DUCKDB_PATH"])
    catalog = db.scalar("select current_database()")
    partitioning = {}  # "schema.table" -> (field, grain)
    for uid, node in {**manifest["nodes"], **manifest["sources"]}.items():
        name = f'{node["schema"]}.{node.get("alias") or node.get("identifier") or node["name"]}'
        if node["resource_type"] == "source":
            partitioning[name] = ("_airbyte_extracted_at", None) if raw_partitioned else (None, None)
        elif node["resource_type"] == "model":
            partitioning[name] = model_partitioning(node)[:2]
    cutoff = (datetime.date.today() - datetime.timedelta(days=merge_days)).isoformat()
    print(f"{'incremental model (BigQuery est.)':<34}{'query':>11}{'merge':>11}{'marks':>10}{'total':>11}{'  (whole target)':>16}")
    totals = [0, 0, 0]
    for uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model" or node.get("config", {}).get("materialized") != "incremental":
            continue
        schema, table = node["schema"], node.get("alias") or node["name"]
        field, grain, predicated, marks = model_partitioning(node)
        compiled = open(os.path.join("target/compiled", node["package_name"], node["original_file_path"])).read()
        plan = json.loads(db.rows(f"explain (format json) {compiled}")[0][1])
        query = 0
        for scan in (s for p in plan for s in scans(p)):
            rel = scan["Table"].removeprefix(f"{catalog}.")
            s_schema, s_table = rel.split(".", 1)
            types = columns(db, s_schema, s_table)
            filters = scan.get("Filters") or ""
            filters = "\n".join(filters) if isinstance(filters, list) else filters
            used = set(scan.get("Projections") or []) | {c for c in types if c in filters}
            s_field, s_grain = partitioning.get(rel, (None, None))
            where = partition_filter(filters, s_field, s_grain) if s_field else "true"
            scanned_bytes = bytes_of(db, f'"{s_schema}"."{s_table}"', sorted(used), types, where)
            query += scanned_bytes
            if verbose:
                print(f"    {rel}: {human(scanned_bytes)} ({len(used)} columns; {where})")
        types = columns(db, schema, table)
        target = f'"{schema}"."{table}"'
        whole = bytes_of(db, target, types, types)
        scanned = whole
        if predicated and field:
            scanned = bytes_of(db, target, types, types, f"date_trunc('{grain}', \"{field}\") >= date_trunc('{grain}', date '{cutoff}')")
        batch = bytes_of(db, f"({compiled}) as batch", types, types)
        recent = "true"
        if field and "rsi_avg_loss_usd is not null" not in open(node["original_file_path"]).read():
            recent = f"date_trunc('{grain}', \"{field}\") >= date_trunc('{grain}', date '{cutoff}')"
        mark = 8 * marks * int(db.scalar(f"select count(*) from {target} where {recent}"))
        cells = [query, scanned + batch, mark]
        totals = [t + c for t, c in zip(totals, cells)]
        print(f"{node['name']:<34}" + "".join(f"{human(c):>11}" for c in cells[:2]) + f"{human(mark):>10}"
              + f"{human(sum(cells)):>11}{human(whole):>16}")
    print(f"{'all incremental models':<34}" + "".join(f"{human(c):>11}" for c in totals[:2]) + f"{human(totals[2]):>10}{human(sum(totals)):>11}")
    print(f"BENCH name=scale_new_day_bigquery_bytes ours={sum(totals)} peer= unit=bytes")


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024


if __name__ == "__main__":
    main()
