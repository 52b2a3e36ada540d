//! HTTP: one module per area. A handler extracts and validates input, checks
//! permission, calls the domain, and renders a page or a fragment.

pub mod admin;
pub mod approvals;
pub mod assets;
pub mod calendar;
pub mod candidates;
pub mod careers;
pub mod comments;
pub mod csv;
pub mod current_user;
pub mod events;
pub mod feeds;
pub mod health;
pub mod home;
pub mod interviews;
pub mod markdown;
pub mod merges;
pub mod middleware;
pub mod notifications;
pub mod offer_answers;
pub mod offers;
pub mod onboarding;
pub mod people;
pub mod personal_data;
pub mod pipeline;
pub mod postings;
pub mod problems;
pub mod profile;
pub mod render;
pub mod request;
pub mod requirements;
pub mod routes;
pub mod session;
pub mod state;
pub mod upload;
pub mod your_data;

pub use state::{AppState, Db};

use axum::Router;
use routes::{Routes, route};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(state.session_store())
        .with_name("hh_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.is_https())
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(state.config.session_idle).unwrap_or(time::Duration::hours(8)),
        ));
    let app = session_routes()
        .into_router()
        .fallback(|| async { crate::error::AppError::NotFound })
        .layer(axum::middleware::from_fn(crate::auth::csrf::verify))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::send_nudges,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::error_pages,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(render::with_viewer));
    Router::new()
        .merge(app)
        .merge(plain_routes(state.config.metrics_token.is_some()).into_router())
        // Uploads (a resume, an application's) are read up to the file
        // limit (`upload`); forms are refused far below it (`auth::csrf`).
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.file_max_bytes + 64 * 1024,
        ))
        .layer(axum::middleware::from_fn(middleware::log_requests))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(middleware::request_ids))
        // Compressed as browsers ask (zstd where they take it, then
        // brotli, then gzip) at level 2: at the default levels, brotli's 4
        // took 2 ms of CPU for a 2,000-card board (140 KB; half the
        // requests a second it otherwise serves) and gzip's 6 took 1.2 ms;
        // at 2, zstd takes 0.16 ms for as few bytes (13.5 KB; brotli 13.6,
        // gzip 14.8), and brotli and gzip take a half to two thirds.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(2)))
        .with_state(state)
}

/// The routes behind the session (with CSRF checks and error pages).
fn session_routes() -> Routes {
    Routes::new()
        .merge(home::routes())
        .merge(session::routes())
        .merge(profile::routes())
        .merge(requirements::routes())
        .merge(candidates::routes())
        .merge(merges::routes())
        .merge(personal_data::routes())
        .merge(pipeline::routes())
        .merge(interviews::routes())
        .merge(offers::routes())
        .merge(onboarding::routes())
        .merge(postings::routes())
        .merge(comments::routes())
        .merge(approvals::routes())
        .merge(notifications::routes())
        .merge(people::routes())
        .merge(events::routes())
        .merge(admin::routes())
}

/// The routes served without a session: for operators, files, and the
/// public careers site (which must leave no session behind).
fn plain_routes(metrics: bool) -> Routes {
    health::routes(metrics)
        .merge(careers::routes())
        .merge(feeds::routes())
        .merge(calendar::routes())
        .merge(your_data::routes())
        .merge(offer_answers::routes())
        .serve(route!(GET "/static/{name}"), assets::serve)
        .serve(route!(GET "/favicon.ico"), assets::favicon)
}
