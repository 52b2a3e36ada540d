//! CSRF protection: one random token per session, required on every
//! state-changing request.
//!
//! htmx sends it as the `X-CSRF-Token` header (the layout puts it in
//! `hx-headers` on `<body>`, inherited by every element); plain forms send it
//! as the hidden `csrf_token` field. SameSite=Lax cookies alone would still
//! let a sibling subdomain or an old browser post on the user's behalf.

use crate::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

const KEY: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";
/// Forms in this app are small; a bigger urlencoded body is refused here
/// rather than buffered.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(KEY).await? {
        return Ok(t);
    }
    rotate(session).await
}

pub async fn rotate(session: &Session) -> Result<String, AppError> {
    let t = crate::tokens::random_token(32);
    session.insert(KEY, &t).await?;
    Ok(t)
}

/// Middleware: refuses POST/PUT/PATCH/DELETE without the session's token.
pub async fn verify(session: Session, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    match check(&session, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(session: &Session, req: Request) -> Result<Request, AppError> {
    let header_token = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (req, sent) = match header_token {
        Some(t) => (req, Some(t)),
        // An upload's token is its form's first field, checked by the one
        // extractor that reads such a body (`web::upload`): buffering a
        // file here to find it would hold megabytes per request. No other
        // extractor accepts a multipart body.
        None if is_multipart(&req) => return Ok(req),
        None => form_token(req).await?,
    };
    matches(session, sent.as_deref()).await?;
    Ok(req)
}

/// Refuses unless `sent` is the session's token.
pub async fn matches(session: &Session, sent: Option<&str>) -> Result<(), AppError> {
    let expected = session.get::<String>(KEY).await?.ok_or(AppError::Csrf)?;
    match sent {
        Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

/// Reads the token from an urlencoded body and puts the body back for the
/// handler.
async fn form_token(req: Request) -> Result<(Request, Option<String>), AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    // Too big is said as such (413), not as a missing token: the body is
    // read here, before any handler's extractor could say it.
    let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|e| {
        let too_large = e
            .into_inner()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some();
        if too_large {
            AppError::PayloadTooLarge
        } else {
            AppError::Csrf
        }
    })?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}
