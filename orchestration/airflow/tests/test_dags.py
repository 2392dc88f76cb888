"""The example DAGs on real Airflow 2.10 + astronomer-cosmos 1.15, with the real `transform` and source-bitcoin
binaries against the loopback replay server: DagBag import, Cosmos rendering in both load modes, and whole DAG
runs with `dag.test()`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import SOURCE_CONFIG, TRANSFORM, load_dags, transform, use_project

DAG_IDS = {"bitcoin_pipeline_cosmos", "bitcoin_pipeline_bash", "bitcoin_pipeline_kubernetes"}


def models(project: Path) -> set[str]:
    return {p.stem for p in (project / "models").rglob("*.sql")}


def models_with_tests(project: Path) -> set[str]:
    """Models whose YAML declares a data test on the model or on one of its columns."""
    tested = set()
    for yml in (project / "models").rglob("*.yml"):
        for model in (yaml.safe_load(yml.read_text()) or {}).get("models", []):
            entries = [model, *model.get("columns", [])]
            if any(e.get("data_tests") or e.get("tests") for e in entries):
                tested.add(model["name"])
    return tested


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_dagbag_loads_every_example_dag_without_import_errors(project):
    bag = load_dags()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == DAG_IDS
    for dag_id in DAG_IDS:
        assert bag.get_dag(dag_id).default_args["retries"] == 0  # the test's Variable reached the settings


@pytest.mark.parametrize("load_mode", ["dbt_ls", "dbt_manifest"])
def test_cosmos_renders_one_run_task_per_model_and_the_test_tasks(project, load_mode):
    if load_mode == "dbt_manifest":
        parsed = transform(project, "parse")
        assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    use_project(project, cosmos_load_mode=load_mode)
    bag = load_dags()
    assert bag.import_errors == {}
    dag = bag.get_dag("bitcoin_pipeline_cosmos")

    run_tasks = {t.task_id: t for t in dag.tasks if type(t).__name__ == "DbtRunLocalOperator"}
    test_tasks = {t.task_id for t in dag.tasks if type(t).__name__ == "DbtTestLocalOperator"}
    run_models = sorted(t.removeprefix("transform.").removesuffix(".run").removesuffix("_run") for t in run_tasks)
    assert run_models == sorted(models(project)), "one run task per model"
    tested = models_with_tests(project)
    per_model = {t for t in test_tasks if t.endswith(".test")}
    assert per_model and {t.removeprefix("transform.").removesuffix(".test") for t in per_model} <= tested
    # Tests of two models (relationships) run in their own task after both parents.
    detached = test_tasks - per_model
    assert detached and all("relationships_" in t for t in detached), detached
    assert {t.dbt_executable_path for t in run_tasks.values()} == {TRANSFORM}
    # The DAG's edges follow ref(): the KPI table waits for its upstream marts.
    kpis = dag.get_task("transform.rpt_bitcoin_kpis.run")
    assert "transform.rpt_price_indicators_daily.test" in kpis.upstream_task_ids
    assert dag.get_task("sync").downstream_task_ids and dag.get_task("source_freshness").upstream_task_ids


def test_cosmos_dag_runs_the_whole_pipeline(project):
    dag = load_dags().get_dag("bitcoin_pipeline_cosmos")
    # As the scheduler would: the DAG and its dataset aliases (Cosmos emits one per model) in the metadata DB.
    dag.sync_to_db()
    run = dag.test()
    assert set(states(run).values()) == {"success"}, states(run)
    assert len(states(run)) == len(dag.tasks)
    shown = transform(project, "show", "--inline", "select count(*) as n from main_reporting.rpt_bitcoin_kpis")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.strip().splitlines()[-1].replace(" ", "") == "|1|", shown.stdout


def test_bash_dag_fails_the_build_task_when_a_model_fails(project):
    config = project / "secrets" / "source-bitcoin.json"
    config.parent.mkdir()
    config.write_text(json.dumps(SOURCE_CONFIG))
    os.chmod(config, 0o600)
    use_project(project, source_config_file=str(config))
    broken = project / "models" / "reporting" / "rpt_bitcoin_kpis.sql"
    broken.write_text("select no_such_column from {{ ref('rpt_price_indicators_daily') }}\n")

    run = load_dags().get_dag("bitcoin_pipeline_bash").test()
    assert states(run) == {"sync": "success", "build": "failed", "source_freshness": "upstream_failed"}
    assert run.state == "failed"
