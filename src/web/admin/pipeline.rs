//! The pipeline's configuration: the template's stages (add, rename,
//! archive) and the reasons an application ends (add, rename, archive).
//! Every form posts and comes back to the one page.

use crate::domain::Error;
use crate::domain::access::Permission;
use crate::domain::recruiting::stage::{self, Reason, ReasonId, Side, Stage, StageId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/pipeline"), show)
        .serve(route!(POST "/admin/pipeline/stages"), add_stage)
        .serve(route!(POST "/admin/pipeline/stages/{id}"), rename_stage)
        .serve(
            route!(POST "/admin/pipeline/stages/{id}/archive"),
            archive_stage,
        )
        .serve(route!(POST "/admin/pipeline/reasons"), add_reason)
        .serve(route!(POST "/admin/pipeline/reasons/{id}"), rename_reason)
        .serve(
            route!(POST "/admin/pipeline/reasons/{id}/archive"),
            archive_reason,
        )
}

#[derive(Template)]
#[template(path = "pages/admin/pipeline.html")]
struct PipelinePage {
    layout: Layout,
    stages: Vec<Stage>,
    reasons: Vec<Reason>,
    sides: [Side; 2],
    /// The form that failed (its action), with what was typed.
    failed: Option<(String, String)>,
    problems: Problems,
}

impl PipelinePage {
    /// What the form posting to `action` holds: as typed when it failed,
    /// else `saved`.
    fn typed<'a>(&'a self, action: &str, saved: &'a str) -> &'a str {
        match &self.failed {
            Some((a, typed)) if a == action => typed,
            _ => saved,
        }
    }

    /// The problem of the form posting to `action`.
    fn problem(&self, action: &str) -> Option<&str> {
        match &self.failed {
            Some((a, _)) if a == action => self
                .problems
                .get("name")
                .or_else(|| self.problems.get("label"))
                .or_else(|| self.problems.get("side")),
            _ => None,
        }
    }
}

async fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    failed: Option<(String, String)>,
    problems: Problems,
) -> Result<Response, AppError> {
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        problems.status()
    };
    let page = PipelinePage {
        layout: Layout::new(me, "Pipeline").await?,
        stages: stage::template(&mut *conn).await?,
        reasons: stage::reasons(&mut *conn).await?,
        sides: [Side::WeRejected, Side::TheyWithdrew],
        failed,
        problems,
    };
    render::status(status, &page)
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    page(db.conn().await?, &me, None, Problems::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
    side: String,
}

/// Runs one change, then back to the page: with its message, or with the
/// failed form as typed and why.
async fn change(
    mut db: Db,
    me: CurrentUser,
    action: String,
    typed: String,
    message: &str,
    run: impl AsyncFnOnce(&mut PgConnection) -> Result<(), Error>,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let problems = match run(&mut tx).await {
        Ok(()) => return render::saved(tx, &me.session, message, "/admin/pipeline").await,
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    page(conn, &me, Some((action, typed)), problems).await
}

async fn add_stage(db: Db, me: CurrentUser, Form(f): Form<NameForm>) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = "/admin/pipeline/stages".to_owned();
    let name = f.name.clone();
    change(db, me, action, f.name, "Stage added.", async |c| {
        stage::add_stage(c, &actor, &name).await
    })
    .await
}

async fn rename_stage(
    db: Db,
    me: CurrentUser,
    Path(id): Path<StageId>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/admin/pipeline/stages/{id}");
    let name = f.name.clone();
    change(db, me, action, f.name, "Stage renamed.", async |c| {
        stage::rename_stage(c, &actor, id, &name).await
    })
    .await
}

async fn archive_stage(
    db: Db,
    me: CurrentUser,
    Path(id): Path<StageId>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/admin/pipeline/stages/{id}/archive");
    change(
        db,
        me,
        action,
        String::new(),
        "Stage archived.",
        async |c| stage::archive_stage(c, &actor, id).await,
    )
    .await
}

async fn add_reason(
    db: Db,
    me: CurrentUser,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = "/admin/pipeline/reasons".to_owned();
    let (name, side) = (f.name.clone(), f.side);
    change(db, me, action, f.name, "Reason added.", async |c| {
        stage::add_reason(c, &actor, &name, &side).await
    })
    .await
}

async fn rename_reason(
    db: Db,
    me: CurrentUser,
    Path(id): Path<ReasonId>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/admin/pipeline/reasons/{id}");
    let name = f.name.clone();
    change(db, me, action, f.name, "Reason renamed.", async |c| {
        stage::rename_reason(c, &actor, id, &name).await
    })
    .await
}

async fn archive_reason(
    db: Db,
    me: CurrentUser,
    Path(id): Path<ReasonId>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/admin/pipeline/reasons/{id}/archive");
    change(
        db,
        me,
        action,
        String::new(),
        "Reason archived.",
        async |c| stage::archive_reason(c, &actor, id).await,
    )
    .await
}
