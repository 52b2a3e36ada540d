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

# Load test: release build on its own embedded database (target/bench), 100,000
# requirements from seed-load, wrk at 16 clients; prints req/s and p50/p95/p99.
bench:
    bench/run

# Live updates: 5,000 SSE streams on one process (its memory), and commit to
# stream latency over 1,000 events.
bench-live:
    bench/live
