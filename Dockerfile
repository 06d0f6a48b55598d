# syntax=docker/dockerfile:1
# trilha: built with cargo-chef so dependencies are a cached layer, and run on the same Debian
# release as the builder (bookworm) so the binary finds the glibc it was linked against.
#
#   docker build -t trilha .
#   docker run -d --env-file .env -v trilha-data:/data trilha        (or: docker compose up -d)

FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /build

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
# Dependencies only: this layer is reused until Cargo.toml or Cargo.lock change.
RUN cargo chef cook --release --locked --recipe-path recipe.json --package trilha --bin trilha
COPY . .
RUN cargo build --release --locked --package trilha --bin trilha

FROM debian:bookworm-slim AS runtime
# The system CA store, for anything in the image that speaks TLS. trilha itself (serenity's
# rustls backend) verifies Discord with the Mozilla roots compiled into the binary.
# Pinned for reproducible images: update with `apt-cache policy ca-certificates`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311+deb12u1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 trilha \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin trilha \
    && mkdir -p /data \
    && chown 10001:10001 /data
WORKDIR /app
COPY --from=builder /build/target/release/trilha /usr/local/bin/trilha
# The shipped roadmap; mount a folder over /app/roadmap to use your own.
COPY roadmap/ /app/roadmap/
ENV DATABASE_URL=sqlite:///data/trilha.db \
    ROADMAP_DIR=/app/roadmap \
    HEALTH_ADDR=0.0.0.0:8080
# /healthz and /metrics (keep it private: do not publish it to the internet).
EXPOSE 8080
VOLUME ["/data"]
# A numeric user, so orchestrators can verify it is not root.
USER 10001:10001
# trilha finishes in-flight interactions and releases prompt claims on SIGTERM (within 10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["trilha", "health"]
ENTRYPOINT ["trilha"]
CMD ["run"]
