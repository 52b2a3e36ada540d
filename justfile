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

# Placeholder: the benchmarks arrive with the requirements list (a later
# issue replaces this recipe with the real load test).
bench:
    @echo "No benchmarks yet: they arrive with the requirements list."
