//! What we record about the request behind a change: client address, user
//! agent, request id; and the slot where the signed-in user's id is noted
//! for the request log line.

use crate::domain::audit::Actor;
use crate::web::AppState;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// Filled by the user extractor, read by the request logger.
#[derive(Debug, Clone, Default)]
pub struct UserSlot(pub Arc<OnceLock<Uuid>>);

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The path and query asked for, to mark the current page in navigation.
    pub path: String,
    /// Asked by htmx (a part of a page, or a page re-read in the
    /// background), not by a navigation.
    pub htmx: bool,
    slot: UserSlot,
}

impl RequestMeta {
    pub fn from_parts(parts: &Parts, state: &AppState) -> Self {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let forwarded = state
            .config
            .trust_proxy_headers
            .then(|| header("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        RequestMeta {
            ip: forwarded.or(peer),
            user_agent: header("user-agent").map(|ua| ua.chars().take(512).collect()),
            request_id: header("x-request-id").map(str::to_owned),
            path: parts.uri.path().to_owned(),
            htmx: parts.headers.contains_key("hx-request"),
            slot: parts
                .extensions
                .get::<UserSlot>()
                .cloned()
                .unwrap_or_default(),
        }
    }

    pub fn note_user(&self, id: Uuid) {
        let _ = self.slot.0.set(id);
    }

    pub fn actor(&self, user_id: Option<Uuid>) -> Actor {
        Actor {
            user_id,
            on_behalf_of: None,
            ip: self.ip,
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
        }
    }
}
