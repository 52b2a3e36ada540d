//! Health and metrics for operators: `/health/live` (the process answers),
//! `/health/ready` (the database answers and is migrated), `/health` (both,
//! as JSON) and `/metrics` (Prometheus text).

use super::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/health", get(health))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// How long readiness waits for a request connection: a pool that cannot
/// hand one out this fast is as good as down for the pages.
const POOL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

async fn check_ready(state: &AppState) -> Result<(), String> {
    let mut conn = tokio::time::timeout(POOL_PATIENCE, state.pool.acquire())
        .await
        .map_err(|_| "no database connection free for requests".to_owned())?
        .map_err(|e| e.to_string())?;
    crate::db::migrated(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    // A process that does not hear events cannot pass them to its streams.
    if !state.live.listening() {
        return Err("not listening for live updates yet".into());
    }
    Ok(())
}

async fn ready(State(state): State<AppState>) -> Response {
    match check_ready(&state).await {
        Ok(()) => "ready".into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")).into_response(),
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let ready = check_ready(&state).await;
    let body = serde_json::json!({
        "live": true,
        "ready": ready.is_ok(),
        "error": ready.as_ref().err(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if ready.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder (once; tests build many apps).
pub fn install_metrics() {
    PROMETHEUS.get_or_init(|| PrometheusBuilder::new().install_recorder().ok());
}

async fn metrics(State(state): State<AppState>) -> Response {
    metrics::gauge!("db_pool_connections").set(f64::from(state.pool.size()));
    metrics::gauge!("db_pool_idle_connections").set(state.pool.num_idle() as f64);
    let body = PROMETHEUS
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
