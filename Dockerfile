# syntax=docker/dockerfile:1
# trilha: build with cargo-chef so dependencies are a cached layer, run on the same Debian
# release as the builder (bookworm) so the binary finds the glibc it was linked against.

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
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin trilha \
    && mkdir -p /data \
    && chown trilha:trilha /data
WORKDIR /app
COPY --from=builder /build/target/release/trilha /usr/local/bin/trilha
# Baked-in roadmap; mount a folder over /app/roadmap to use your own.
COPY roadmap/ /app/roadmap/
ENV DATABASE_URL=sqlite:///data/trilha.db \
    ROADMAP_DIR=/app/roadmap
USER trilha
VOLUME ["/data"]
ENTRYPOINT ["trilha"]
CMD ["run"]
