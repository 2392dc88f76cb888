# source-bitcoin: the Airbyte source connector image.
# Build:  docker build -t bitcoin-pipeline/source-bitcoin:0.1.0 .
# Only the connector is compiled (the transform crate's DuckDB is never built here).

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
