"""Settings shared by the Bitcoin pipeline DAGs, read from Airflow Variables (README: "Variables").

Variables read while the DAG file is parsed (project dir, binaries, Cosmos load mode) are best given as
environment variables (`AIRFLOW_VAR_BITCOIN_PIPELINE_PROJECT_DIR=...`): Airflow resolves those without a
metadata-database query on every parse. The connector's config, secrets included, lives in the Airflow
connection `bitcoin_source` and never in a Variable.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from airflow.models import Variable

# orchestration/airflow/dags/ -> the repository root, which is the dbt project.
_REPO_ROOT = Path(__file__).resolve().parents[3]


def _var(name: str, default: str) -> str:
    return Variable.get(f"bitcoin_pipeline_{name}", default_var=default)


def _binary(name: str) -> str:
    return shutil.which(name) or name


PROJECT_DIR = Path(_var("project_dir", str(_REPO_ROOT)))
PROFILES_YML = PROJECT_DIR / "profiles.yml"
PROFILE = "bitcoin"
TARGET = _var("target", "dev")
TRANSFORM_BIN = _var("transform_bin", _binary("transform"))
SOURCE_BIN = _var("source_bin", _binary("source-bitcoin"))
DUCKDB_PATH = _var("duckdb_path", str(PROJECT_DIR / "target" / "bitcoin.duckdb"))
# `dbt_ls` (Cosmos runs `transform ls` at parse time) or `dbt_manifest` (reads target/manifest.json,
# written by `transform parse` at deploy time).
COSMOS_LOAD_MODE = _var("cosmos_load_mode", "dbt_ls")
MANIFEST_PATH = PROJECT_DIR / "target" / "manifest.json"
# The Bash variant reads the connector config from this file (mode 600 on the worker).
SOURCE_CONFIG_FILE = _var("source_config_file", str(PROJECT_DIR / "secrets" / "source-bitcoin.json"))

SOURCE_CONNECTION_ID = "bitcoin_source"
# DuckDB allows one writer per file: every task that writes the database takes this one-slot pool.
DUCKDB_POOL = _var("duckdb_pool", "bitcoin_duckdb")

# What every transform task needs in its environment (profiles.yml reads TRANSFORM_DUCKDB_PATH).
TRANSFORM_ENV = {"TRANSFORM_DUCKDB_PATH": DUCKDB_PATH}

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": int(_var("retries", "2")),
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    # A daily run that has not finished two hours after its interval ended is an SLA miss.
    "sla": timedelta(hours=2),
}


def process_env() -> dict[str, str]:
    """The worker's environment plus TRANSFORM_ENV (PATH and LD_LIBRARY_PATH must reach the binaries)."""
    return {**os.environ, **TRANSFORM_ENV}
