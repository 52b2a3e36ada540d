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
        let mut uploaded = Uploaded {
            name: String::new(),
            bytes: Bytes::new(),
            too_large: false,
            max,
        };
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            // A plain form (its token checked by the middleware) holds no
            // file: "choose a file".
            return Ok(uploaded);
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
        while let Ok(Some(mut field)) = form.next_field().await {
            if field.name() != Some("file") {
                continue;
            }
            uploaded.name = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = BytesMut::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() <= max => {
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    // Over the limit, by this field or by the whole body
                    // (the app's body limit sits just above it).
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
            break;
        }
        Ok(uploaded)
    }
}
