//! Static files, embedded in the binary and served under content-hashed
//! names (`app.3f2a9c1b.css`) with immutable caching: a new release changes
//! the name, so browsers never hold a stale file and never re-ask for a
//! current one.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Embed)]
#[folder = "static/"]
struct Files;

struct Index {
    /// logical name → hashed name
    hashed: HashMap<String, String>,
    /// hashed name → logical name
    logical: HashMap<String, String>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut index = Index {
        hashed: HashMap::new(),
        logical: HashMap::new(),
    };
    for name in Files::iter() {
        let Some(file) = Files::get(&name) else {
            continue;
        };
        let digest = hex::encode(&sha2::Sha256::digest(&file.data)[..4]);
        let hashed = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
            None => format!("{name}.{digest}"),
        };
        index.logical.insert(hashed.clone(), name.to_string());
        index.hashed.insert(name.to_string(), hashed);
    }
    index
});

/// The URL of a static file, for templates: `{{ asset("app.css") }}`.
pub fn url(name: &str) -> String {
    match INDEX.hashed.get(name) {
        Some(hashed) => format!("/static/{hashed}"),
        None => format!("/static/{name}"),
    }
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(logical) = INDEX.logical.get(&name) else {
        return crate::error::AppError::NotFound.into_response();
    };
    let Some(file) = Files::get(logical) else {
        return crate::error::AppError::NotFound.into_response();
    };
    let mime = mime_guess::from_path(logical).first_or_octet_stream();
    let mut res = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}

/// Browsers and crawlers ask for `/favicon.ico` whatever the page links
/// to: send them to the icon under its current hashed name (temporarily,
/// as the name changes with the file).
pub async fn favicon() -> Response {
    axum::response::Redirect::temporary(&url("favicon.svg")).into_response()
}
