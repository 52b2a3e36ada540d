//! The mail outbox, for admins: what was sent, what waits, and the links in
//! each message (a link's token masked: only its recipient gets it).

use crate::domain::access::Permission;
use crate::domain::kernel::After;
use crate::domain::messaging::outbox::{self, Message, PAGE_SIZE};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

pub fn routes() -> Routes {
    Routes::new().serve(route!(GET "/admin/outbox"), list)
}

#[derive(Template)]
#[template(path = "pages/admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<Message>,
    smtp: bool,
    /// What the links start with when this process sends them.
    public_url: String,
    next_page: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Page {
    after: Option<After>,
}

async fn list(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Query(page): Query<Page>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewAuditLog)?;
    let conn = db.conn().await?;
    let mut messages = outbox::recent(conn, page.after).await?;
    let next_page = if messages.len() as i64 > PAGE_SIZE {
        messages.truncate(PAGE_SIZE as usize);
        messages.last().map(|m| {
            let after = After {
                at: m.created_at,
                id: m.id,
            };
            format!("/admin/outbox?after={}", after.param())
        })
    } else {
        None
    };
    let layout = Layout::new(&user, "Outbox").await?;
    render::ok(&OutboxPage {
        layout,
        messages,
        smtp: state.config.smtp_url.is_some(),
        public_url: state.config.public_url.clone(),
        next_page,
    })
}
