//! Health and metrics for operators: `/health/live` (the process answers),
//! `/health/ready` (the database answers and is migrated), `/health` (both,
//! as JSON) and `/metrics` (Prometheus text).
//!
//! These answer anyone, so they say ok or fail and nothing more: why a check
//! failed goes to the log. `/metrics` (routes, latencies, pool use) is only
//! served when `METRICS_TOKEN` is set, and only to a request bearing it.

use super::AppState;
use crate::config::Config;
use crate::web::routes::{Routes, route};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

pub fn routes(serve_metrics: bool) -> Routes {
    let routes = Routes::new()
        .serve(route!(GET "/health"), health)
        .serve(route!(GET "/health/live"), || async { "ok" })
        .serve(route!(GET "/health/ready"), ready);
    // Unset, the path is not routed at all: the app's own 404 page.
    if serve_metrics {
        routes.serve(route!(GET "/metrics"), metrics)
    } else {
        routes
    }
}

/// How long readiness waits for a request connection: a pool that cannot
/// hand one out this fast is as good as down for the pages.
const POOL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Each readiness check, passed or not.
struct Checks {
    database: bool,
    live_updates: bool,
}

impl Checks {
    fn ready(&self) -> bool {
        self.database && self.live_updates
    }
}

async fn check_ready(state: &AppState) -> Checks {
    let database = match database_ready(state).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database");
            false
        }
    };
    // A process that does not hear events cannot pass them to its streams.
    let live_updates = state.live.listening();
    if !live_updates {
        tracing::warn!("not ready: not listening for live updates yet");
    }
    Checks {
        database,
        live_updates,
    }
}

/// A request connection free within [`POOL_PATIENCE`], on a database with
/// every migration applied.
async fn database_ready(state: &AppState) -> Result<(), String> {
    let mut db = crate::web::Db::new(state);
    let conn = db.conn_within(POOL_PATIENCE).await?;
    crate::db::migrated(conn).await.map_err(|e| e.to_string())
}

async fn ready(State(state): State<AppState>) -> Response {
    if check_ready(&state).await.ready() {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let checks = check_ready(&state).await;
    let word = |ok: bool| if ok { "ok" } else { "fail" };
    let body = serde_json::json!({
        "live": true,
        "ready": checks.ready(),
        "checks": {
            "database": word(checks.database),
            "live_updates": word(checks.live_updates),
        },
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if checks.ready() {
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

/// True when the request bears `Authorization: Bearer <METRICS_TOKEN>`.
fn bears_token(headers: &HeaderMap, config: &Config) -> bool {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (sent, &config.metrics_token) {
        (Some(sent), Some(token)) => bool::from(sent.as_bytes().ct_eq(token.as_bytes())),
        _ => false,
    }
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !bears_token(&headers, &state.config) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let (open, idle) = state.pool_stats();
    metrics::gauge!("db_pool_connections").set(f64::from(open));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    let body = PROMETHEUS
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
