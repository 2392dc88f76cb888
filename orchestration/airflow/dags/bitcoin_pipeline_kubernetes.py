"""The Bitcoin pipeline on Kubernetes: every step is a pod (KubernetesPodOperator), nothing runs on the worker.

    check_source (connector image: `source-bitcoin check`, fails unless CONNECTION_STATUS is SUCCEEDED)
      -> sync -> build -> source_freshness (transform image: `transform sync | build | source freshness`)

Images (README "Container images"): `bitcoin-pipeline/source-bitcoin` (the Airbyte connector, the root
Dockerfile's default target) and `bitcoin-pipeline/transform` (`--target transform`: transform, the
connector binary and the dbt project). The connector config is the Kubernetes Secret `source-bitcoin-config`
(key `config.json`), mounted read-only; the DuckDB file lives on the PersistentVolumeClaim `bitcoin-duckdb`.
For BigQuery instead, mount a profiles.yml with a `type: bigquery` output and set bitcoin_pipeline_target.
"""

from __future__ import annotations

import pendulum
from airflow.decorators import dag
from airflow.models import Variable
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.secret import Secret
from kubernetes.client import models as k8s

import bitcoin_pipeline_settings as s

NAMESPACE = Variable.get("bitcoin_pipeline_k8s_namespace", default_var="data-pipelines")
CONNECTOR_IMAGE = Variable.get("bitcoin_pipeline_connector_image", default_var="bitcoin-pipeline/source-bitcoin:0.1.0")
TRANSFORM_IMAGE = Variable.get("bitcoin_pipeline_transform_image", default_var="bitcoin-pipeline/transform:0.1.0")

CONFIG = "/secrets/source-bitcoin/config.json"
config_secret = Secret("volume", "/secrets/source-bitcoin", "source-bitcoin-config")
duckdb_volume = k8s.V1Volume(
    name="duckdb", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name="bitcoin-duckdb")
)
duckdb_mount = k8s.V1VolumeMount(name="duckdb", mount_path="/data")


def pod(task_id: str, image: str, cmds: list[str], arguments: list[str], **kwargs) -> KubernetesPodOperator:
    return KubernetesPodOperator(
        task_id=task_id,
        name=f"bitcoin-{task_id.replace('_', '-')}",
        namespace=NAMESPACE,
        image=image,
        cmds=cmds,
        arguments=arguments,
        get_logs=True,
        on_finish_action="delete_pod",
        container_resources=k8s.V1ResourceRequirements(requests={"cpu": "500m", "memory": "512Mi"}),
        **kwargs,
    )


def transform_pod(task_id: str, arguments: list[str], **kwargs) -> KubernetesPodOperator:
    return pod(
        task_id,
        TRANSFORM_IMAGE,
        ["transform"],
        [*arguments, "--target", s.TARGET],
        env_vars={"TRANSFORM_DUCKDB_PATH": "/data/bitcoin.duckdb"},
        volumes=[duckdb_volume],
        volume_mounts=[duckdb_mount],
        pool=s.DUCKDB_POOL,
        **kwargs,
    )


@dag(
    dag_id="bitcoin_pipeline_kubernetes",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=s.DEFAULT_ARGS,
    tags=["bitcoin", "kubernetes", "transform"],
    doc_md=__doc__,
)
def bitcoin_pipeline_kubernetes():
    # `check` always exits 0 (Airbyte protocol): the verdict is the CONNECTION_STATUS message on stdout.
    check_source = pod(
        "check_source",
        CONNECTOR_IMAGE,
        ["/bin/sh", "-c"],
        [f"source-bitcoin check --config {CONFIG} | tee /dev/stderr | grep -q '\"status\":\"SUCCEEDED\"'"],
        secrets=[config_secret],
    )
    sync = transform_pod(
        "sync", ["sync", "--source", "/usr/local/bin/source-bitcoin", "--config", CONFIG], secrets=[config_secret]
    )
    build = transform_pod("build", ["build"])
    source_freshness = transform_pod("source_freshness", ["source", "freshness"])
    check_source >> sync >> build >> source_freshness


bitcoin_pipeline_kubernetes()
