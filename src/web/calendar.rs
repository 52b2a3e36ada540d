//! Calendars from outside: each person's private feed of their interviews
//! (`webcal://`, read-only, its token the key), and the hook a mail server
//! posts calendar replies to (signed with `INBOUND_MAIL_SECRET`), which
//! records each attendee's answer. Neither has a session.

use super::AppState;
use crate::domain::interviewing::{calendar, feed, schedule};
use crate::error::AppError;
use crate::web::Db;
use crate::web::routes::{Routes, route};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mail_parser::MimeHeaders as _;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/calendar/{user}/{token}"), show)
        .serve(route!(POST "/hooks/calendar-replies"), replies)
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    Path((user, token)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (Ok(user), Some(token)) = (user.parse::<Uuid>(), token.strip_suffix(".ics")) else {
        return Err(AppError::NotFound);
    };
    let conn = db.conn().await?;
    let public_url = state.config.public_url.clone();
    let link = move |path: &str| format!("{public_url}{path}");
    let body = feed::read(
        conn,
        &state.config.secret_key,
        user,
        token,
        chrono::Utc::now(),
        &link,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    // A private address: never kept by a shared cache, nor sent on as a
    // referrer.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"interviews.ics\""),
    );
    Ok(res)
}

/// A reply as the mail server got it: a whole message (whose calendar part
/// is read) or the calendar object alone, signed: `X-Signature:
/// sha256=<hex HMAC-SHA256 of the body with INBOUND_MAIL_SECRET>`.
async fn replies(
    State(state): State<AppState>,
    mut db: Db,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(secret) = &state.config.inbound_mail_secret else {
        return Err(AppError::NotFound);
    };
    let signed = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
        .and_then(|v| hex::decode(v.trim()).ok())
        .is_some_and(|tag| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            ring::hmac::verify(&key, &body, &tag).is_ok()
        });
    if !signed {
        return Ok((StatusCode::UNAUTHORIZED, "The signature does not match.").into_response());
    }
    let Some(reply) = calendar_in(&body).as_deref().and_then(calendar::reply) else {
        // Not a reply of ours: taken, so the server does not retry it.
        return Ok((StatusCode::ACCEPTED, "No calendar reply in it.").into_response());
    };
    let conn = db.conn().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let applied = schedule::answered(&mut tx, &reply).await?;
    tx.commit().await?;
    Ok((StatusCode::OK, format!("{applied} answers recorded.")).into_response())
}

/// The calendar object in a posted body: the body itself, or the
/// `text/calendar` part (or `.ics` attachment) of a MIME message.
fn calendar_in(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok();
    if let Some(t) = text
        && t.trim_start().starts_with("BEGIN:VCALENDAR")
    {
        return Some(t.to_owned());
    }
    let message = mail_parser::MessageParser::default().parse(body)?;
    message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        let calendar = ct.ctype().eq_ignore_ascii_case("text")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("calendar"));
        let ics = ct.ctype().eq_ignore_ascii_case("application")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("ics"));
        (calendar || ics).then(|| String::from_utf8_lossy(part.contents()).into_owned())
    })
}
