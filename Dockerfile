# Hiring Hare container image.
#
# The image holds only the binary: there is no PostgreSQL server inside, so
# the container needs DATABASE_URL (the embedded cluster that `cargo run`
# uses is for development). Set SECRET_KEY too, or keep /data on a volume so
# the generated key survives restarts.
#
#   docker build -t hiring-hare .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e PUBLIC_URL=https://... hiring-hare

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin hiring-hare \
    && cp target/release/hiring-hare /usr/local/bin/hiring-hare

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home hiring-hare \
    && mkdir /data \
    && chown hiring-hare:hiring-hare /data
COPY --from=builder /usr/local/bin/hiring-hare /usr/local/bin/hiring-hare
USER hiring-hare
WORKDIR /data
ENV BIND=0.0.0.0:8080 \
    DATA_DIR=/data
VOLUME /data
EXPOSE 8080
CMD ["hiring-hare", "serve"]
