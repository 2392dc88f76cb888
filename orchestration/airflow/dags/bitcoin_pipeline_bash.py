"""The Bitcoin pipeline on plain Airflow, no Cosmos: three BashOperator tasks calling the binaries.

    sync (`transform sync` of source-bitcoin) -> build (`transform build`: models + data tests in DAG order)
      -> source_freshness (`transform source freshness`)

A failing model or test makes `transform build` exit 1, which fails the task (and, after its retries, the
run). The connector config is a file on the worker (Variable bitcoin_pipeline_source_config_file, mode 600):
its API keys never pass through a templated field.
"""

from __future__ import annotations

import pendulum
from airflow.decorators import dag
from airflow.operators.bash import BashOperator

import bitcoin_pipeline_settings as s

# Shell words come from the environment, never from string-formatted commands: paths with spaces stay whole.
ENV = {
    **s.TRANSFORM_ENV,
    "TRANSFORM": s.TRANSFORM_BIN,
    "SOURCE_BITCOIN": s.SOURCE_BIN,
    "SOURCE_CONFIG": s.SOURCE_CONFIG_FILE,
    "DBT_PROJECT_DIR": str(s.PROJECT_DIR),
    "DBT_PROFILES_DIR": str(s.PROJECT_DIR),
    "DBT_TARGET": s.TARGET,
}


def transform_task(task_id: str, arguments: str) -> BashOperator:
    return BashOperator(
        task_id=task_id,
        bash_command=f'"$TRANSFORM" {arguments} --target "$DBT_TARGET"',
        env=ENV,
        append_env=True,
        cwd=str(s.PROJECT_DIR),
        pool=s.DUCKDB_POOL,
    )


@dag(
    dag_id="bitcoin_pipeline_bash",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=s.DEFAULT_ARGS,
    tags=["bitcoin", "transform"],
    doc_md=__doc__,
)
def bitcoin_pipeline_bash():
    sync = transform_task("sync", 'sync --source "$SOURCE_BITCOIN" --config "$SOURCE_CONFIG"')
    build = transform_task("build", "build")
    source_freshness = transform_task("source_freshness", "source freshness")
    sync >> build >> source_freshness


bitcoin_pipeline_bash()
