//! The notification centre: the list behind the bell, marking read, and
//! each user's choice of mail per event.

use super::render::{self, Layout, filters};
use super::session::safe_next;
use crate::domain::activity::notify::{self, Delivery, Event, Item};
use crate::domain::kernel::After;
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/notifications"), list)
        .serve(route!(GET "/notifications/bell"), bell)
        .serve(route!(POST "/notifications/read"), read_all)
        .serve(route!(POST "/notifications/{id}/read"), read_one)
        .serve(route!(GET "/profile/notifications"), preferences)
        .serve(route!(POST "/profile/notifications"), save_preferences)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    unread: Option<String>,
    after: Option<After>,
}

#[derive(Template)]
#[template(path = "pages/notifications/list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Item>,
    unread_only: bool,
    /// Where the next page starts, when there is one.
    next: Option<After>,
}

async fn list(
    mut db: Db,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let unread_only = q.unread.is_some();
    let mut items = notify::list(conn, me.id, unread_only, q.after).await?;
    let next = (items.len() as i64 > notify::PAGE_SIZE)
        .then(|| {
            items.truncate(notify::PAGE_SIZE as usize);
            items.last().map(|i| After {
                at: i.created_at,
                id: i.id,
            })
        })
        .flatten();
    render::ok(&ListPage {
        layout: Layout::new(&me, "Notifications").await?,
        items,
        unread_only,
        next,
    })
}

/// The bell alone, for the header to refresh when the live stream says
/// something changed, and the navigation's count of approvals waiting.
#[derive(Template)]
#[template(path = "fragments/notifications/_badges.html")]
struct Bell {
    unread: i64,
    waiting: i64,
}

async fn bell(me: CurrentUser) -> Result<Response, AppError> {
    render::ok(&Bell {
        unread: me.unread_notifications,
        waiting: me.pending_approvals,
    })
}

/// Opens one notification: it is read, and its subject is where it leads.
async fn read_one(mut db: Db, me: CurrentUser, Path(id): Path<Uuid>) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let link = notify::mark_read(conn, me.id, Some(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render::see_other(safe_next(&link)))
}

async fn read_all(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    let mut tx = db.begin().await?;
    notify::mark_read(&mut tx, me.id, None).await?;
    render::saved(
        tx,
        &me.session,
        "Every notification is marked read.",
        "/notifications",
    )
    .await
}

#[derive(Template)]
#[template(path = "pages/notifications/preferences.html")]
struct PreferencesPage {
    layout: Layout,
    rows: Vec<(Event, Delivery)>,
}

impl PreferencesPage {
    fn choices(&self, event: &Event) -> Vec<Delivery> {
        Delivery::ALL
            .into_iter()
            .filter(|d| *d != Delivery::Off || event.may_be_off())
            .collect()
    }
}

async fn preferences(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let rows = notify::preferences(conn, me.id).await?;
    render::ok(&PreferencesPage {
        layout: Layout::new(&me, "Notification mail").await?,
        rows,
    })
}

/// Each event's choice arrives as `<event>=<delivery>`; unknown names and
/// values are ignored (the form only offers valid ones).
async fn save_preferences(
    mut db: Db,
    me: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut tx = db.begin().await?;
    for (event, wanted) in &form {
        if let (Some(event), Some(wanted)) = (Event::parse(event), Delivery::parse(wanted)) {
            notify::set_preference(&mut tx, me.id, event, wanted).await?;
        }
    }
    render::saved(
        tx,
        &me.session,
        "Your notification mail choices are saved.",
        "/profile/notifications",
    )
    .await
}
