# source-bitcoin: the Airbyte source connector image.
# Build:  docker build -t bitcoin-pipeline/source-bitcoin:0.1.0 .
# Only the connector is compiled for this default target (the transform crate's DuckDB is never built for it);
# `--target transform` builds the transform image of orchestration/airflow/ (its stages are below).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The whole workspace must be present for cargo to resolve it; only the connector is built.
COPY Cargo.toml Cargo.lock ./
COPY connector connector
COPY schemas schemas
COPY transform transform
COPY tests/replay-server tests/replay-server
RUN cargo build --release -p source-bitcoin --bin source-bitcoin \
 && install -D target/release/source-bitcoin /out/source-bitcoin

# transform: the dbt-compatible CLI, the connector binary and the dbt project, for Airflow's
# KubernetesPodOperator (orchestration/airflow/). Build:
#   docker build --target transform -t bitcoin-pipeline/transform:0.1.0 .
# DuckDB is compiled from source here (the crate's default `bundled` feature; ~35 min on 2 cores).
# These stages come before the connector's final stage, which stays the default target.
FROM rust:1.95-slim-bookworm AS transform-build
# Build stage only: the compiler comes from the pinned toolchain image's Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY connector connector
COPY schemas schemas
COPY transform transform
COPY tests/replay-server tests/replay-server
RUN cargo build --release -p transform --bin transform \
 && install -D target/release/transform /out/transform

FROM debian:bookworm-slim AS transform
# The BigQuery adapter's OAuth and API calls verify TLS against the system roots; bookworm's
# ca-certificates follows the release (pinning a version would break on its next security update).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /project --create-home transform \
 && install -d -o transform /data
COPY --from=build /out/source-bitcoin /usr/local/bin/source-bitcoin
COPY --from=transform-build /out/transform /usr/local/bin/transform
COPY --chown=transform dbt_project.yml profiles.yml /project/
COPY --chown=transform models /project/models
COPY --chown=transform macros /project/macros
WORKDIR /project
USER 10001:10001
ENV TRANSFORM_DUCKDB_PATH=/data/bitcoin.duckdb \
    DBT_PROFILES_DIR=/project
VOLUME /data
ENTRYPOINT ["/usr/local/bin/transform"]
LABEL org.opencontainers.image.title="bitcoin-pipeline/transform" \
      org.opencontainers.image.version="0.1.0"

# debian-slim, not scratch/distroless: the Airbyte platform wraps the entrypoint in a /bin/sh script.
# No CA bundle is installed: the connector's TLS (rustls) carries its own roots (webpki-roots).
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /airbyte --create-home airbyte
COPY --from=build /out/source-bitcoin /usr/local/bin/source-bitcoin
WORKDIR /airbyte
# By number (hadolint DL3066): the host resolves no name; 10001 is the `airbyte` user made above.
USER 10001:10001
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/source-bitcoin"
ENTRYPOINT ["/usr/local/bin/source-bitcoin"]
# Must equal airbyte-spec/metadata.yaml dockerRepository / dockerImageTag.
LABEL io.airbyte.name="bitcoin-pipeline/source-bitcoin" \
      io.airbyte.version="0.1.0"
