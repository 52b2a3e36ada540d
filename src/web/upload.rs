//! An uploaded file, read from a multipart form: its CSRF token is the
//! form's first field (the CSRF middleware leaves multipart bodies to this
//! extractor, the only one that reads them), then the file, read up to the
//! configured size and no further.

use super::AppState;
use crate::domain::kernel::FieldErrors;
use crate::domain::recruiting::files::{self, Upload};
use crate::error::AppError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use bytes::{Bytes, BytesMut};
use tower_sessions::Session;

/// The file a form sent, as far as it was read.
pub struct Uploaded {
    /// Its name as the browser gave it.
    pub name: String,
    pub bytes: Bytes,
    /// Larger than the limit: the rest was not read.
    pub too_large: bool,
    /// The limit, for the message.
    pub max: usize,
}

impl Uploaded {
    /// No file was sent.
    pub fn none(max: usize) -> Uploaded {
        Uploaded {
            name: String::new(),
            bytes: Bytes::new(),
            too_large: false,
            max,
        }
    }

    /// The upload checked (see [`Upload::parse`]), or the problem beside
    /// the `file` field.
    pub fn check(self) -> Result<Upload, FieldErrors> {
        if self.too_large {
            return Err(FieldErrors::one(
                "file",
                format!(
                    "This file is larger than the limit of {}.",
                    files::size_label(self.max as i64)
                ),
            ));
        }
        Upload::parse(&self.name, self.bytes, self.max)
    }
}

impl FromRequest<AppState> for Uploaded {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let max = state.config.file_max_bytes;
        let hint = size_hint(&req);
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            // A plain form (its token checked by the middleware) holds no
            // file: "choose a file".
            return Ok(Uploaded::none(max));
        }
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| AppError::Csrf)?;
        let req = Request::from_parts(parts, body);
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::Csrf)?;
        let token = match form.next_field().await {
            Ok(Some(field)) if field.name() == Some(crate::auth::csrf::FIELD) => {
                field.text().await.ok()
            }
            _ => None,
        };
        crate::auth::csrf::matches(&session, token.as_deref()).await?;
        let (_, file) = read_form(form, max, hint).await?;
        Ok(file)
    }
}

/// The body's declared length: room for the file is taken once, not
/// doubled and copied as it arrives (a megabyte's upload grew through
/// eight buffers).
pub fn size_hint(req: &Request) -> usize {
    req.headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The rest of a multipart form: its text fields, and its `file` read up
/// to `max` bytes and no further, into room for `hint` bytes (the body's
/// length: the file is most of it).
pub async fn read_form(
    mut form: Multipart,
    max: usize,
    hint: usize,
) -> Result<(Vec<(String, String)>, Uploaded), AppError> {
    let mut fields = Vec::new();
    let mut uploaded = Uploaded::none(max);
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return Err(AppError::Refused(
                    "The form was cut short: try again.".into(),
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            // Text fields are bounded by the body limit, and each by its
            // own check afterwards.
            let text = field.text().await.unwrap_or_default();
            fields.push((name, text));
            continue;
        }
        uploaded.name = field.file_name().unwrap_or_default().to_owned();
        let mut bytes = BytesMut::with_capacity(hint.min(max));
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() <= max => {
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // Over the limit, by this field or by the whole body (the
                // app's body limit sits just above it).
                Ok(Some(_)) => {
                    uploaded.too_large = true;
                    break;
                }
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    uploaded.too_large = true;
                    break;
                }
                // A body cut short or malformed: nothing to take.
                Err(_) => {
                    return Err(AppError::Refused(
                        "The upload was cut short: try again.".into(),
                    ));
                }
            }
        }
        uploaded.bytes = bytes.freeze();
        if uploaded.too_large {
            break;
        }
    }
    Ok((fields, uploaded))
}
