//! The home page: where each person starts their day. What waits for them
//! (approvals to decide, oldest first, with their age against the SLA),
//! their drafts and requirements sent back for changes, their open
//! requirements with openings left, and their latest notifications. Each
//! list shows only for the roles that can have something in it, and says
//! what to do next when it is empty.

use super::render::{self, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::activity::notify;
use crate::domain::reporting::dashboard::{self, Mine, Waiting};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::response::Response;
use chrono::{DateTime, Utc};

pub fn routes() -> Routes {
    Routes::new().serve(route!(GET "/"), home)
}

#[derive(Template)]
#[template(path = "pages/home/dashboard.html")]
struct HomePage {
    layout: Layout,
    first_name: String,
    now: DateTime<Utc>,
    /// None when the person can't decide approvals (and none wait for them).
    waiting: Option<Vec<Waiting>>,
    /// The whole count, which the navigation shows too.
    waiting_total: i64,
    /// None for those who can't draft requirements.
    to_finish: Option<Vec<Mine>>,
    recruiting: Vec<Mine>,
    /// Whether the open-requirements list concerns this person at all.
    recruits: bool,
    notifications: Vec<notify::Item>,
}

async fn home(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let decides = me.can(Permission::DecideApprovals) || me.pending_approvals > 0;
    let drafts = me.can(Permission::CreateRequirement);
    let recruits = drafts || me.can(Permission::ManageCandidates);
    let page = HomePage {
        layout: Layout::new(&me, "Home").await?,
        first_name: me
            .full_name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
        now: Utc::now(),
        waiting: match decides {
            true => Some(dashboard::waiting(conn, me.id).await?),
            false => None,
        },
        waiting_total: me.pending_approvals,
        to_finish: match drafts {
            true => Some(dashboard::to_finish(conn, me.id).await?),
            false => None,
        },
        recruiting: match recruits {
            true => dashboard::recruiting(conn, me.id).await?,
            false => Vec::new(),
        },
        recruits,
        notifications: dashboard::recent_notifications(conn, me.id).await?,
    };
    render::ok(&page)
}

impl HomePage {
    fn waited(&self, w: &Waiting) -> String {
        match w.waited_days(self.now) {
            0 => "since today".to_owned(),
            1 => "1 business day".to_owned(),
            n => format!("{n} business days"),
        }
    }

    fn overdue(&self, w: &Waiting) -> bool {
        w.waited_days(self.now) >= w.sla_days()
    }

    fn waiting_count(&self) -> String {
        render::badge(&self.waiting_total)
    }

    fn more_waiting(&self) -> bool {
        self.waiting
            .as_ref()
            .is_some_and(|w| (w.len() as i64) < self.waiting_total)
    }
}
