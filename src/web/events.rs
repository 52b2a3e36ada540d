//! `/events`: one Server-Sent Events stream per signed-in browser tab.
//!
//! A message for this user becomes an unnamed event carrying a toast (htmx
//! swaps it into the live region) and a named `notification` event the
//! bell, the inbox and the requirement pages listen for to re-read what
//! they show. A change to a subject becomes a `<kind>-<id>` event
//! (`requirement-<id>`) for the pages showing it, on the streams of everyone
//! who may see it (for a confidential one, see `crate::live`). A resync (after the process lost its LISTEN connection, or
//! this stream fell behind) asks them to re-read without a toast.

use super::AppState;
use crate::error::AppError;
use crate::live::Message;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub fn routes() -> Routes {
    Routes::new().serve(route!(GET "/events"), events)
}

/// The toast for one message (escaped by Askama like every page).
#[derive(Template)]
#[template(path = "fragments/notifications/_toast.html")]
struct Toast<'a> {
    text: &'a str,
    link: &'a str,
}

/// How often an idle stream says it is alive, so proxies keep it open and
/// a dead peer is noticed.
const HEARTBEAT: Duration = Duration::from_secs(20);

async fn events(State(state): State<AppState>, me: CurrentUser) -> Result<Response, AppError> {
    let rx = state.live.subscribe(me.id);
    let stream = stream::unfold(rx, |mut rx| async move {
        let events = match rx.recv().await {
            Ok(m) => for_message(&m),
            Err(RecvError::Lagged(_)) => vec![changed()],
            Err(RecvError::Closed) => return None,
        };
        Some((stream::iter(events.into_iter().map(Ok)), rx))
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(futures::StreamExt::flatten(stream));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response())
}

fn changed() -> Event {
    Event::default().event("notification").data("")
}

fn for_message(m: &Arc<Message>) -> Vec<Event> {
    if let Some(subject) = m.subject {
        return vec![
            Event::default()
                .event(format!("{}-{}", subject.kind.as_str(), subject.id))
                .data(""),
        ];
    }
    if m.text.is_empty() {
        return vec![changed()];
    }
    let toast = Toast {
        text: &m.text,
        link: &m.link,
    }
    .render()
    .unwrap_or_default();
    vec![Event::default().data(toast), changed()]
}
