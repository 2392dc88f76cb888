"""The Bitcoin pipeline on Airflow with astronomer-cosmos, `transform` standing in for dbt:

    sync (source-bitcoin -> raw tables, `transform sync`)
      -> transform (Cosmos DbtTaskGroup: one run task per model, its data tests after it)
      -> source_freshness (`transform source freshness`)

Cosmos calls the `transform` binary exactly as it calls dbt (`ExecutionConfig(dbt_executable_path=...)`):
`transform ls --output json --output-keys ...` to render the graph (LoadMode.DBT_LS) or target/manifest.json
(LoadMode.DBT_MANIFEST), then `transform run --select <model> --project-dir ... --profile bitcoin --target ...`
per task. Settings: bitcoin_pipeline_settings.py and orchestration/airflow/README.md.
"""

from __future__ import annotations

import json
import os
import tempfile

import pendulum
from airflow.decorators import dag, task
from airflow.exceptions import AirflowException
from airflow.hooks.base import BaseHook
from airflow.hooks.subprocess import SubprocessHook
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    InvocationMode,
    LoadMode,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
    TestBehavior,
)
from cosmos.operators.local import DbtSourceLocalOperator

import bitcoin_pipeline_settings as s

LOAD_MODE = LoadMode(s.COSMOS_LOAD_MODE)

profile_config = ProfileConfig(profile_name=s.PROFILE, target_name=s.TARGET, profiles_yml_filepath=s.PROFILES_YML)
project_config = ProjectConfig(
    dbt_project_path=s.PROJECT_DIR,
    manifest_path=s.MANIFEST_PATH if LOAD_MODE == LoadMode.DBT_MANIFEST else None,
    env_vars=s.TRANSFORM_ENV,
)
# SUBPROCESS: always run the binary, even where dbt-core happens to be importable (Cosmos would otherwise
# switch to dbt's in-process runner).
execution_config = ExecutionConfig(dbt_executable_path=s.TRANSFORM_BIN, invocation_mode=InvocationMode.SUBPROCESS)
render_config = RenderConfig(
    load_method=LOAD_MODE,
    dbt_executable_path=s.TRANSFORM_BIN,
    invocation_mode=InvocationMode.SUBPROCESS,
    test_behavior=TestBehavior.AFTER_EACH,
    # A relationships test reads two models: it gets its own task after both (with dbt's eager selection a
    # model's test task would otherwise run it before the other model exists).
    should_detach_multiple_parents_tests=True,
)


def write_private_json(directory: str, name: str, value: dict) -> str:
    """`value` as JSON in a file only this user can read (the config holds API keys)."""
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(value, f)
    return path


@dag(
    dag_id="bitcoin_pipeline_cosmos",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=s.DEFAULT_ARGS,
    tags=["bitcoin", "cosmos", "transform"],
    doc_md=__doc__,
)
def bitcoin_pipeline_cosmos():
    @task(task_id="sync", pool=s.DUCKDB_POOL)
    def sync() -> None:
        """`transform sync` of source-bitcoin; the config is the `bitcoin_source` connection's extra JSON."""
        config = BaseHook.get_connection(s.SOURCE_CONNECTION_ID).extra_dejson
        with tempfile.TemporaryDirectory() as private:
            config_path = write_private_json(private, "config.json", config)
            command = [s.TRANSFORM_BIN, "sync", "--source", s.SOURCE_BIN, "--config", config_path,
                       "--project-dir", str(s.PROJECT_DIR), "--profiles-dir", str(s.PROJECT_DIR),
                       "--target", s.TARGET]
            result = SubprocessHook().run_command(command, env=s.process_env(), cwd=str(s.PROJECT_DIR))
        if result.exit_code != 0:
            raise AirflowException(f"transform sync exited with {result.exit_code}: {result.output}")

    transform = DbtTaskGroup(
        group_id="transform",
        project_config=project_config,
        profile_config=profile_config,
        execution_config=execution_config,
        render_config=render_config,
        operator_args={"pool": s.DUCKDB_POOL, "install_deps": False},
    )

    source_freshness = DbtSourceLocalOperator(
        task_id="source_freshness",
        project_dir=str(s.PROJECT_DIR),
        profile_config=profile_config,
        dbt_executable_path=s.TRANSFORM_BIN,
        invocation_mode=InvocationMode.SUBPROCESS,
        env=s.TRANSFORM_ENV,
        append_env=True,
        install_deps=False,
        pool=s.DUCKDB_POOL,
    )

    sync() >> transform >> source_freshness


bitcoin_pipeline_cosmos()
