//! The one application error type, and how each kind becomes a response.
//!
//! Handlers return `Result<_, AppError>`. The response carries an
//! [`ErrorPage`] marker and no body; the `error_pages` middleware renders the
//! real page inside the layout, where it can see the signed-in user. Internal
//! errors are logged once, with their chain, and users see only a request id.

use crate::auth::throttle::RetryAfter;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Not signed in: go to the sign-in page and come back to `next`.
    #[error("sign-in required")]
    SignInRequired { next: String, htmx: bool },
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("too many requests")]
    TooManyRequests(RetryAfter),
    /// A request body over the limit for its kind.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Refused by a rule or the state machine where no form shows why
    /// (see [`crate::web::problems`] for where one does): a 409 page
    /// saying why.
    #[error("{0}")]
    Refused(String),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(e.into())
    }
}

macro_rules! internal_from {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self { AppError::Internal(Box::new(e)) }
        }
    )*};
}
internal_from!(
    sqlx::Error,
    askama::Error,
    crate::domain::messaging::LetterError,
    tower_sessions::session::Error,
    crate::auth::password::HashError,
    jobs::JobsError,
);

/// A domain refusal that reaches a handler's `?`: the handler has no form
/// to show it beside, so it is a page of its own.
impl From<crate::domain::Error> for AppError {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Forbidden => AppError::Forbidden,
            E::Refused(why) => AppError::Refused(why),
            E::Stale(_) => AppError::Refused(
                "Someone else changed this meanwhile. Go back, reload the page and try again."
                    .into(),
            ),
            E::Invalid(_) => AppError::Refused(
                "Some of what the form sent is not valid. Go back, reload the page and try again."
                    .into(),
            ),
            E::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::auth::throttle::CheckError> for AppError {
    fn from(e: crate::auth::throttle::CheckError) -> Self {
        match e {
            crate::auth::throttle::CheckError::Limited(retry) => AppError::TooManyRequests(retry),
            crate::auth::throttle::CheckError::Db(e) => e.into(),
        }
    }
}

/// Marks a response whose body the `error_pages` middleware must render.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    /// Why a rule refused (a 409), in words for the person.
    pub reason: Option<String>,
}

impl ErrorPage {
    pub fn response(status: StatusCode, retry_after: Option<u64>) -> Response {
        Self::with(ErrorPage {
            status,
            retry_after,
            reason: None,
        })
    }

    fn with(page: ErrorPage) -> Response {
        let mut res = page.status.into_response();
        res.extensions_mut().insert(page);
        res
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => ErrorPage::response(StatusCode::NOT_FOUND, None),
            AppError::Forbidden | AppError::Csrf => {
                ErrorPage::response(StatusCode::FORBIDDEN, None)
            }
            AppError::PayloadTooLarge => ErrorPage::response(StatusCode::PAYLOAD_TOO_LARGE, None),
            AppError::Refused(reason) => ErrorPage::with(ErrorPage {
                status: StatusCode::CONFLICT,
                retry_after: None,
                reason: Some(reason),
            }),
            AppError::TooManyRequests(RetryAfter(secs)) => {
                let mut res = ErrorPage::response(StatusCode::TOO_MANY_REQUESTS, Some(secs));
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                res
            }
            AppError::SignInRequired { next, htmx } => {
                let to = format!("/sign-in?next={}", urlencode(&next));
                if htmx {
                    // A fragment request cannot follow a redirect into a whole page.
                    let mut res = StatusCode::NO_CONTENT.into_response();
                    if let Ok(v) = HeaderValue::from_str(&to) {
                        res.headers_mut().insert("HX-Redirect", v);
                    }
                    res
                } else {
                    Redirect::to(&to).into_response()
                }
            }
            AppError::Internal(e) => {
                let mut chain = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error = %chain, "internal error");
                ErrorPage::response(StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
