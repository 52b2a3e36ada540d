//! The audit log search, for admins.

use crate::domain::access::Permission;
use crate::domain::activity::audit::{self, Entity, Entry, PAGE_SIZE, Search};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::render::{self, Hx, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;

pub fn routes() -> Routes {
    Routes::new().serve(route!(GET "/admin/audit"), search)
}

#[derive(Template)]
#[template(path = "pages/admin/audit.html", blocks = ["results"])]
struct AuditPage {
    layout: Layout,
    search: Search,
    entries: Vec<Entry>,
    entity_types: &'static [Entity],
    next_page: Option<String>,
}

async fn search(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Query(search): Query<Search>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewAuditLog)?;
    let conn = db.conn().await?;
    let mut entries = audit::search(conn, &search).await?;
    let next_page = if entries.len() as i64 > PAGE_SIZE {
        entries.truncate(PAGE_SIZE as usize);
        entries.last().map(|last| {
            let next = Search {
                before: Some(last.id),
                ..search.clone()
            };
            format!(
                "/admin/audit?{}",
                serde_urlencoded::to_string(SearchQuery::from(&next)).unwrap_or_default()
            )
        })
    } else {
        None
    };
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(&user, "Audit log").await?
    };
    let page = AuditPage {
        layout,
        search,
        entries,
        entity_types: &Entity::ALL,
        next_page,
    };
    render::page_or_fragment(hx, &page, page.as_results())
}

/// The search as query parameters (for the "older entries" link).
#[derive(serde::Serialize)]
struct SearchQuery<'a> {
    actor: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    from: &'a str,
    to: &'a str,
    before: Option<i64>,
}

impl<'a> From<&'a Search> for SearchQuery<'a> {
    fn from(s: &'a Search) -> Self {
        SearchQuery {
            actor: &s.actor,
            action: &s.action,
            entity_type: &s.entity_type,
            entity_id: &s.entity_id,
            from: &s.from,
            to: &s.to,
            before: s.before,
        }
    }
}
