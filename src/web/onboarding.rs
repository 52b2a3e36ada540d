//! Onboarding as people use it: a hire's checklist (who does what by
//! when, ticked off as it is done) and each owner's own list across hires.

use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::domain::offering::onboarding::{self, Onboarding, OnboardingId, Task, TaskId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::Path;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use sqlx::Connection as _;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/onboarding"), mine)
        .serve(route!(GET "/onboarding/{id}"), show)
        .serve(route!(POST "/onboarding/tasks/{id}"), tick)
}

#[derive(Template)]
#[template(path = "pages/onboarding/show.html")]
struct ShowPage {
    layout: Layout,
    b: Onboarding,
    tasks: Vec<Task>,
    today: NaiveDate,
    done: usize,
    problems: Problems,
}

impl ShowPage {
    fn back(&self) -> &'static str {
        ""
    }
}

#[derive(Template)]
#[template(path = "pages/onboarding/mine.html")]
struct MinePage {
    layout: Layout,
    tasks: Vec<Task>,
    today: NaiveDate,
}

impl MinePage {
    fn back(&self) -> &'static str {
        "mine"
    }
}

async fn mine(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let page = MinePage {
        layout: Layout::new(&me, "My onboarding tasks").await?,
        tasks: onboarding::owned_by(conn, me.id, &me.roles).await?,
        today: Utc::now().date_naive(),
    };
    render::ok(&page)
}

async fn show(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<OnboardingId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    if !onboarding::seen_by(&mut *conn, id, me.id, &me.roles).await? {
        return Err(AppError::NotFound);
    }
    let b = onboarding::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tasks = onboarding::tasks(&mut *conn, id).await?;
    let page = ShowPage {
        layout: Layout::new(&me, format!("Onboarding: {}", b.candidate_name)).await?,
        done: onboarding::progress(&tasks).0,
        tasks,
        b,
        today: Utc::now().date_naive(),
        problems: Problems::default(),
    };
    render::ok(&page)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TickForm {
    done: String,
    version: i32,
    /// Where to go back to: the owner's list or the hire's checklist.
    back: String,
}

async fn tick(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<TaskId>,
    axum::Form(f): axum::Form<TickForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let done = f.done == "true";
    let onboarding =
        onboarding::tick(&mut tx, &actor, me.id, &me.roles, id, done, f.version).await?;
    let to = if f.back == "mine" {
        "/onboarding".to_owned()
    } else {
        format!("/onboarding/{onboarding}")
    };
    let message = if done { "Ticked off." } else { "Opened again." };
    render::saved(tx, &me.session, message, &to).await
}
