"""Fixtures of the Airflow tests: a throw-away AIRFLOW_HOME (SQLite metadata DB), the repo's dbt project copied
to a temp dir, and the pipeline settings as AIRFLOW_VAR_* / AIRFLOW_CONN_* environment variables.

Run by transform/tests/airflow.rs, which builds the binaries, starts the replay server and sets:
  BITCOIN_TEST_TRANSFORM_BIN, BITCOIN_TEST_SOURCE_BIN  the real binaries
  BITCOIN_TEST_SOURCE_CONFIG                           connector config (JSON) pointing at the replay server
  BITCOIN_TEST_REPO                                    the repository (the dbt project's files are copied)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(os.environ["BITCOIN_TEST_REPO"])
DAGS = REPO / "orchestration" / "airflow" / "dags"
TRANSFORM = os.environ["BITCOIN_TEST_TRANSFORM_BIN"]
SOURCE = os.environ["BITCOIN_TEST_SOURCE_BIN"]
SOURCE_CONFIG = json.loads(os.environ["BITCOIN_TEST_SOURCE_CONFIG"])
PROJECT_FILES = ["dbt_project.yml", "profiles.yml", "models", "macros", "data_tests", "seeds", "snapshots"]

# Airflow reads its configuration when first imported: everything below must precede `import airflow`.
_HOME = Path(tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Every render runs `transform ls` (Cosmos would otherwise serve later renders from its cache).
        "AIRFLOW__COSMOS__ENABLE_CACHE": "False",
        # No usage metrics from the tests (and no network: CI has none).
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW_VAR_BITCOIN_PIPELINE_TRANSFORM_BIN": TRANSFORM,
        "AIRFLOW_VAR_BITCOIN_PIPELINE_SOURCE_BIN": SOURCE,
        "AIRFLOW_VAR_BITCOIN_PIPELINE_RETRIES": "0",
        "AIRFLOW_CONN_BITCOIN_SOURCE": json.dumps({"conn_type": "generic", "extra": SOURCE_CONFIG}),
    }
)
sys.path.insert(0, str(DAGS))


def copy_project(into: Path) -> Path:
    into.mkdir(parents=True)
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, into / name)
        elif src.is_file():
            shutil.copy(src, into / name)
    return into


def use_project(project: Path, **variables: str) -> None:
    """Points the DAGs' settings at `project` (plus bitcoin_pipeline_<key> overrides); the next DagBag sees it."""
    for key in ("COSMOS_LOAD_MODE", "SOURCE_CONFIG_FILE"):  # each test starts from the defaults
        os.environ.pop(f"AIRFLOW_VAR_BITCOIN_PIPELINE_{key}", None)
    os.environ["AIRFLOW_VAR_BITCOIN_PIPELINE_PROJECT_DIR"] = str(project)
    os.environ["AIRFLOW_VAR_BITCOIN_PIPELINE_DUCKDB_PATH"] = str(project / "target" / "pipeline.duckdb")
    for key, value in variables.items():
        os.environ[f"AIRFLOW_VAR_BITCOIN_PIPELINE_{key.upper()}"] = value
    # The settings module is read at import: forget it so the next DAG parse reads the new values.
    sys.modules.pop("bitcoin_pipeline_settings", None)


def transform(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRANSFORM_DUCKDB_PATH": str(project / "target" / "pipeline.duckdb")}
    return subprocess.run([TRANSFORM, *args], cwd=project, env=env, capture_output=True, text=True)


@pytest.fixture(scope="session", autouse=True)
def airflow_db():
    from airflow.models import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool("bitcoin_duckdb", slots=1, description="one writer per DuckDB file", include_deferred=False)
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    use_project(project)
    return project


def load_dags():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS), include_examples=False)
