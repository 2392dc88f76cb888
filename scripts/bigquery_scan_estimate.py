#!/usr/bin/env python3
"""What each incremental model's query would scan on BigQuery, estimated by BigQuery's on-demand rules from the
DuckDB warehouse (the local emulator's dry runs report 0 bytes for every query, so they cannot be used).

Rules (BigQuery "data size calculation"): INT64/FLOAT64/DATE/TIMESTAMP 8 bytes, BOOL 1, STRING and JSON
2 + UTF-8 length, NULL 0; a query is billed the referenced columns of the partitions it cannot prune. This
counts every column of each table read (an upper bound on referenced columns), and per incremental model:
  target   the model's own table: whole, and only the partitions its lookback window reaches
           (partition_by of its BigQuery config; what a constant partition filter would leave);
  upstream the tables and raw tables its lineage reads, whole (raw tables are not partitioned, and the
           watermarks are subqueries, which BigQuery does not use for pruning).
Usage: bigquery_scan_estimate.py TRANSFORM_BIN MANIFEST LOOKBACK_DAYS   (TRANSFORM_DUCKDB_PATH set)
"""
import json
import re
import subprocess
import sys

transform, manifest_path, lookback = sys.argv[1], sys.argv[2], int(sys.argv[3])
manifest = json.load(open(manifest_path))
nodes = {**manifest["nodes"], **manifest["sources"]}


def scalar(sql):
    out = subprocess.run([transform, "show", "--limit", "1", "--inline", sql], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2].strip("| ").strip()


def size_expr(column, data_type):
    q = f'"{column}"'
    t = data_type.upper()
    if t in ("VARCHAR", "JSON") or t.startswith("VARCHAR"):
        return f"coalesce(sum(strlen(cast({q} as varchar)) + 2), 0)"
    if t == "BOOLEAN":
        return f"count({q})"
    return f"count({q}) * 8"


def table_bytes(schema, table, where="true"):
    cols = scalar(
        "select string_agg(column_name || ':' || data_type, '|') from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}'"
    )
    if not cols or cols == "NULL":
        return 0
    parts = [size_expr(*c.split(":", 1)) for c in cols.split("|")]
    return int(float(scalar(f'select {" + ".join(parts)} from "{schema}"."{table}" where {where}')))


def relation(node):
    return node["schema"], node.get("alias") or node.get("identifier") or node["name"]


def lineage(uid, seen):
    for dep in nodes[uid].get("depends_on", {}).get("nodes", []):
        if dep in seen or dep not in nodes:
            continue
        seen.add(dep)
        d = nodes[dep]
        if d["resource_type"] == "source" or d.get("config", {}).get("materialized") in ("table", "incremental"):
            yield dep
        if d["resource_type"] != "source" and d.get("config", {}).get("materialized") not in ("table", "incremental"):
            yield from lineage(dep, seen)


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024


print(f"{'incremental model (BigQuery est.)':<32}{'target all':>12}{'target window':>15}{'upstream':>12}")
for uid, node in sorted(manifest["nodes"].items()):
    if node["resource_type"] != "model" or node.get("config", {}).get("materialized") != "incremental":
        continue
    text = open(node["original_file_path"]).read()
    field = re.search(r"partition_by=\{'field': '(\w+)'", text)
    grain = re.search(r"'granularity': '(\w+)'", text)
    schema, table = relation(node)
    whole = table_bytes(schema, table)
    window = whole
    if field:
        col, g = field.group(1), (grain.group(1) if grain else "day")
        since = f"date_trunc('{g}', (select max({col}) from \"{schema}\".\"{table}\") - interval {lookback} day)"
        window = table_bytes(schema, table, f"{col} >= {since}")
    upstream = sum(table_bytes(*relation(nodes[d])) for d in lineage(uid, set()))
    print(f"{node['name']:<32}{human(whole):>12}{human(window):>15}{human(upstream):>12}")
