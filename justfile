# Hiring Hare — common tasks. `just --list` shows them.

# Serve the app (embedded PostgreSQL under ./data unless DATABASE_URL is set).
run:
    cargo run --release

# Every test: unit tests, the app's integration tests and the browser tests.
test:
    cargo test --workspace

# Formatting and clippy, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Only the browser tests (headless Chromium over chromedriver).
e2e:
    cargo test --test app browser

# Create the demo organisation: one user per role, departments, job levels.
seed:
    cargo run --release -- seed-demo

# Load test: release build on its own embedded database (target/bench/<size>),
# seed-load up to BENCH_REQUIREMENTS (100,000), wrk at 16 clients on the hot
# pages, the approvals inbox, a 1 % search, the approve POST; then the full
# CSV export and 100 simultaneous sign-ins with the app's memory. Prints
# req/s and p50/p95/p99. `BENCH_REQUIREMENTS=1000000 just bench` for the
# large run.
bench:
    bench/run

# Live updates: 5,000 SSE streams on one process (its memory), and commit to
# stream latency over 1,000 events.
bench-live:
    bench/live
