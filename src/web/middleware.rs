//! Cross-cutting request handling: security headers, the JSON request log
//! with metrics, and rendering error pages inside the layout.

use super::AppState;
use super::render::filters;
use super::request::{RequestMeta, UserSlot};
use crate::error::ErrorPage;
use askama::Template;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;
use tower_sessions::Session;

/// `script-src 'self'` and `style-src 'self'`: no inline script or style
/// anywhere, so htmx is configured not to inject its indicator styles.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if state.config.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages carry personal data and CSRF tokens: never from a shared cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// After a request that may have changed something, sends what it nudged
/// (see `crate::nudge`): every change commits in a POST handler before its
/// response, so this is the one place the web needs.
pub async fn send_nudges(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let changes = !req.method().is_safe();
    let res = next.run(req).await;
    if changes {
        state.nudges.wake();
    }
    res
}

/// The longest request id taken from a client.
const MAX_REQUEST_ID: usize = 64;

/// A client's `X-Request-Id` is kept (a proxy's id ties our log lines to
/// its own) only when it is 1–64 characters of `[A-Za-z0-9._-]`; any other
/// is dropped before `SetRequestIdLayer` runs, which then makes a UUID. The
/// id goes into logs and the append-only audit trail: a client must not be
/// able to put 10 kB or control characters there.
pub async fn request_ids(mut req: Request, next: Next) -> Response {
    let well_formed = req
        .headers()
        .get_all("x-request-id")
        .iter()
        .map(|v| valid_request_id(v.as_bytes()))
        .collect::<Vec<_>>();
    if well_formed != [true] && !well_formed.is_empty() {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

fn valid_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// One JSON log line and the request metrics per request.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = req.method().clone();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let slot = UserSlot::default();
    let mut req = req;
    req.extensions_mut().insert(slot.clone());
    let res = next.run(req).await;
    let latency = start.elapsed();
    let status = res.status().as_u16();
    let user_id = slot.0.get().map(|id| id.to_string()).unwrap_or_default();
    tracing::info!(
        target: "request",
        request_id,
        user_id,
        method = %method,
        route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
    );
    metrics::counter!("http_requests_total", "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(latency.as_secs_f64());
    res
}

#[derive(Template)]
#[template(path = "pages/errors/error.html", blocks = ["content"])]
struct ErrorTemplate {
    layout: super::render::Layout,
    status: u16,
    heading: &'static str,
    message: String,
    request_id: Option<String>,
}

/// Renders responses marked with [`ErrorPage`] as real pages in the layout
/// (with the user's navigation when signed in).
pub async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let session = req.extensions().get::<Session>().cloned();
    let (parts, body) = req.into_parts();
    let meta = RequestMeta::from_parts(&parts, &state);
    let htmx = parts.headers.get("hx-request").is_some();
    let res = next.run(Request::from_parts(parts, body)).await;
    let Some(page) = res
        .extensions()
        .get::<ErrorPage>()
        .cloned()
        .or_else(|| rejection(&res))
    else {
        return res;
    };
    let Some(session) = session else { return res };
    let status = page.status;
    match render_error(&state, session, meta, page, htmx).await {
        Ok(mut rendered) => {
            // Keep headers such as Retry-After; the body is ours.
            for (k, v) in res.headers() {
                if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                    rendered.headers_mut().insert(k.clone(), v.clone());
                }
            }
            rendered
        }
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            (status, "Something went wrong.").into_response()
        }
    }
}

/// An extractor's rejection (a malformed id in the path, a bad number in
/// the query, a form field of the wrong type, a body over the limit): axum
/// answers those in plain text, which no handler of ours does for a client
/// error, so this one place catches them all and they get the app's page.
fn rejection(res: &Response) -> Option<ErrorPage> {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    let status = res.status();
    let from_extractor = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    );
    (plain && from_extractor).then_some(ErrorPage {
        status,
        retry_after: None,
        reason: None,
    })
}

async fn render_error(
    state: &AppState,
    session: Session,
    meta: RequestMeta,
    page: ErrorPage,
    htmx: bool,
) -> Result<Response, crate::error::AppError> {
    let status = page.status;
    let (heading, message) = match page.status {
        StatusCode::NOT_FOUND => ("Page not found", "There is nothing at this address. It may have moved or been removed.".into()),
        StatusCode::FORBIDDEN => (
            "Not allowed",
            "You do not have permission for this, or the form was open too long. Go back, reload the page and try again; ask an admin if you need access.".into(),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many attempts",
            format!(
                "Please wait {} before trying again.",
                minutes(page.retry_after.unwrap_or(60))
            ),
        ),
        StatusCode::BAD_REQUEST => (
            "Address not understood",
            "Part of this address is not valid (a mistyped link, perhaps). Go back, or start again from the home page.".into(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Form not understood",
            "Some of what the form sent is not valid. Go back, reload the page and try again.".into(),
        ),
        StatusCode::CONFLICT => (
            "Not possible",
            page.reason.unwrap_or_else(|| "This is not possible now. Go back, reload the page and try again.".into()),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Too much to send",
            "What you sent is bigger than this form takes. Go back, shorten it and try again.".into(),
        ),
        _ => ("Something went wrong", "We could not complete this request. It has been logged; try again in a moment.".into()),
    };
    let request_id = (status == StatusCode::INTERNAL_SERVER_ERROR)
        .then(|| meta.request_id.clone())
        .flatten();
    let user = crate::web::current_user::load_from(session.clone(), meta, state)
        .await
        .ok()
        .flatten();
    let layout = match &user {
        Some(user) => super::render::Layout::new(user, heading).await?,
        None => super::render::Layout::public(&session, heading).await?,
    };
    let t = ErrorTemplate {
        layout,
        status: status.as_u16(),
        heading,
        message,
        request_id,
    };
    let body = if htmx {
        super::render::render(&t.as_content())?
    } else {
        super::render::render(&t)?
    };
    Ok((status, Html(body)).into_response())
}

fn minutes(secs: u64) -> String {
    match secs.div_ceil(60) {
        1 => "a minute".into(),
        n => format!("{n} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_request_id;

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(valid_request_id(b"4f1c2a9e-8b7d-4c1e-9a0b-123456789abc"));
        assert!(valid_request_id(b"lb.1_2-3"));
        assert!(!valid_request_id(b""));
        assert!(!valid_request_id(&[b'a'; 65]));
        assert!(!valid_request_id(b"two words"));
        assert!(!valid_request_id(b"line\tbreak"));
        assert!(!valid_request_id("caf\u{e9}".as_bytes()));
    }
}
