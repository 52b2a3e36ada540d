//! What we record about the request behind a change: client address, user
//! agent, request id; and the slot where the signed-in user's id is noted
//! for the request log line.

use crate::domain::activity::audit::Actor;
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

/// For the pages outside the session (the careers site, candidates' own
/// links), which record who asked without anyone signed in.
impl axum::extract::FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta::from_parts(parts, state))
    }
}

impl RequestMeta {
    pub fn from_parts(parts: &Parts, state: &AppState) -> Self {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let forwarded = if state.config.trust_proxy_headers {
            let values = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok());
            forwarded_client(values, state.config.trusted_proxy_hops)
        } else {
            None
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        RequestMeta {
            ip: forwarded.or(peer),
            user_agent: header("user-agent").map(|ua| ua.chars().take(512).collect()),
            // Ids from the client were checked (or replaced) by
            // `super::middleware::request_ids`.
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

/// The client address in `X-Forwarded-For` (all its header lines, in
/// order) behind `hops` trusted proxies: the entry `hops` places from the
/// right, which our outermost proxy appended. Whatever the client wrote sits
/// further left and is never read. With fewer entries than hops, the
/// leftmost (still appended by one of ours). None when that entry is not an
/// address.
pub fn forwarded_client<'a>(values: impl Iterator<Item = &'a str>, hops: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let index = entries
        .len()
        .checked_sub(1)?
        .saturating_sub(hops.saturating_sub(1));
    entries.get(index)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_proxy_appended_address_wins_over_what_the_client_wrote() {
        let ip = |s: &str| s.parse().ok();
        let one = |v: &'static str, hops| forwarded_client([v].into_iter(), hops);
        assert_eq!(one("203.0.113.7", 1), ip("203.0.113.7"));
        // A spoofed entry on the left changes nothing.
        assert_eq!(one("6.6.6.6, 203.0.113.7", 1), ip("203.0.113.7"));
        assert_eq!(one("6.6.6.6,203.0.113.7 , 10.0.0.2", 2), ip("203.0.113.7"));
        // Several header lines read as one list.
        assert_eq!(
            forwarded_client(["6.6.6.6", "203.0.113.7, 10.0.0.2"].into_iter(), 2),
            ip("203.0.113.7")
        );
        // Fewer entries than hops: the leftmost, which one of ours appended.
        assert_eq!(one("203.0.113.7", 3), ip("203.0.113.7"));
        assert_eq!(one("2001:db8::1", 1), ip("2001:db8::1"));
        assert_eq!(one("", 1), None);
        assert_eq!(one("6.6.6.6, not-an-address", 1), None);
    }
}
