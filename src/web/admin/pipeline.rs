//! The pipeline's configuration: the template's stages (add, rename,
//! archive) and the reasons an application ends (add, rename, archive);
//! and a requirement's own copy of the stages, for one that needs its
//! own. Every form posts and comes back to its one page.

use crate::domain::Error;
use crate::domain::access::Permission;
use crate::domain::recruiting::stage::{self, Reason, ReasonId, Side, Stage, StageId};
use crate::domain::requisition::requirement::{Requirement, RequirementId};
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
        .serve(route!(GET "/requirements/{id}/pipeline"), show_own)
        .serve(route!(POST "/requirements/{id}/pipeline"), copy)
        .serve(
            route!(POST "/requirements/{id}/pipeline/stages"),
            add_own_stage,
        )
        .serve(
            route!(POST "/requirements/{id}/pipeline/stages/{stage}"),
            rename_own_stage,
        )
        .serve(
            route!(POST "/requirements/{id}/pipeline/stages/{stage}/archive"),
            archive_own_stage,
        )
}

/// Whose stages a page configures: the admins' template, or one
/// requirement's (its own copy, once it has one).
enum Scope {
    Template,
    Requirement(Box<Requirement>),
}

impl Scope {
    /// Where its forms post, and where they come back to.
    fn base(&self) -> String {
        match self {
            Scope::Template => "/admin/pipeline".into(),
            Scope::Requirement(r) => format!("/requirements/{}/pipeline", r.id),
        }
    }

    /// The pipeline its stages are in (none: the template).
    fn pipeline(&self) -> Option<RequirementId> {
        match self {
            Scope::Template => None,
            Scope::Requirement(r) => Some(r.id),
        }
    }
}

/// The scope, if `me` may configure it: the template is admins'; a
/// requirement's, for those who see it and manage candidates.
async fn scope(
    conn: &mut PgConnection,
    me: &CurrentUser,
    requirement: Option<RequirementId>,
) -> Result<Scope, AppError> {
    match requirement {
        None => {
            me.require(Permission::ConfigureRecruiting)?;
            Ok(Scope::Template)
        }
        Some(id) => {
            let r = crate::web::requirements::visible(conn, me, id).await?;
            me.require(Permission::ManageCandidates)?;
            Ok(Scope::Requirement(Box::new(r)))
        }
    }
}

#[derive(Template)]
#[template(path = "pages/admin/pipeline.html")]
struct PipelinePage {
    layout: Layout,
    base: String,
    /// The requirement whose pipeline this is; none for the template.
    requirement: Option<Requirement>,
    /// The stages can be changed here: the template's, or a requirement's
    /// own copy (a requirement on the template changes nothing here).
    editable: bool,
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
    scope: Scope,
    failed: Option<(String, String)>,
    problems: Problems,
) -> Result<Response, AppError> {
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        problems.status()
    };
    let base = scope.base();
    let (title, stages, editable, reasons) = match &scope {
        Scope::Template => (
            "Pipeline".to_owned(),
            stage::template(&mut *conn).await?,
            true,
            stage::reasons(&mut *conn).await?,
        ),
        Scope::Requirement(r) => (
            format!("{} {}: pipeline", r.reference, r.title),
            stage::pipeline(&mut *conn, r.id).await?,
            stage::has_own(&mut *conn, r.id).await?,
            Vec::new(),
        ),
    };
    let page = PipelinePage {
        layout: Layout::new(me, title).await?,
        base,
        requirement: match scope {
            Scope::Template => None,
            Scope::Requirement(r) => Some(*r),
        },
        editable,
        stages,
        reasons,
        sides: [Side::WeRejected, Side::TheyWithdrew],
        failed,
        problems,
    };
    render::status(status, &page)
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let scope = scope(conn, &me, None).await?;
    page(conn, &me, scope, None, Problems::default()).await
}

async fn show_own(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let scope = scope(conn, &me, Some(id)).await?;
    page(conn, &me, scope, None, Problems::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
    side: String,
}

/// Runs one change in the scope of `requirement` (none: the template),
/// then back to its page: with its message, or with the failed form (its
/// action below the page's base) as typed, and why.
async fn change(
    mut db: Db,
    me: CurrentUser,
    requirement: Option<RequirementId>,
    action: &str,
    typed: String,
    message: &str,
    run: impl AsyncFnOnce(&mut PgConnection, Option<RequirementId>) -> Result<(), Error>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let scope = scope(conn, &me, requirement).await?;
    let base = scope.base();
    let mut tx = conn.begin().await?;
    let problems = match run(&mut tx, scope.pipeline()).await {
        Ok(()) => return render::saved(tx, &me.session, message, &base).await,
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let action = format!("{base}{action}");
    page(conn, &me, scope, Some((action, typed)), problems).await
}

async fn add_stage(db: Db, me: CurrentUser, Form(f): Form<NameForm>) -> Result<Response, AppError> {
    adding_stage(db, me, None, f).await
}

async fn add_own_stage(
    db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    adding_stage(db, me, Some(id), f).await
}

async fn adding_stage(
    db: Db,
    me: CurrentUser,
    requirement: Option<RequirementId>,
    f: NameForm,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let name = f.name.clone();
    change(
        db,
        me,
        requirement,
        "/stages",
        f.name,
        "Stage added.",
        async |c, p| stage::add_stage(c, &actor, p, &name).await,
    )
    .await
}

async fn rename_stage(
    db: Db,
    me: CurrentUser,
    Path(id): Path<StageId>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    renaming_stage(db, me, None, id, f).await
}

async fn rename_own_stage(
    db: Db,
    me: CurrentUser,
    Path((requirement, id)): Path<(RequirementId, StageId)>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    renaming_stage(db, me, Some(requirement), id, f).await
}

async fn renaming_stage(
    db: Db,
    me: CurrentUser,
    requirement: Option<RequirementId>,
    id: StageId,
    f: NameForm,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/stages/{id}");
    let name = f.name.clone();
    change(
        db,
        me,
        requirement,
        &action,
        f.name,
        "Stage renamed.",
        async |c, p| stage::rename_stage(c, &actor, p, id, &name).await,
    )
    .await
}

async fn archive_stage(
    db: Db,
    me: CurrentUser,
    Path(id): Path<StageId>,
) -> Result<Response, AppError> {
    archiving_stage(db, me, None, id).await
}

async fn archive_own_stage(
    db: Db,
    me: CurrentUser,
    Path((requirement, id)): Path<(RequirementId, StageId)>,
) -> Result<Response, AppError> {
    archiving_stage(db, me, Some(requirement), id).await
}

async fn archiving_stage(
    db: Db,
    me: CurrentUser,
    requirement: Option<RequirementId>,
    id: StageId,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/stages/{id}/archive");
    change(
        db,
        me,
        requirement,
        &action,
        String::new(),
        "Stage archived.",
        async |c, p| stage::archive_stage(c, &actor, p, id).await,
    )
    .await
}

/// Gives the requirement a pipeline of its own, copied from the template.
async fn copy(
    db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let message = "This requirement has a pipeline of its own now: its changes stay here.";
    change(
        db,
        me,
        Some(id),
        "",
        String::new(),
        message,
        async |c, _| stage::copy_template(c, &actor, id).await,
    )
    .await
}

async fn add_reason(
    db: Db,
    me: CurrentUser,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let (name, side) = (f.name.clone(), f.side);
    change(
        db,
        me,
        None,
        "/reasons",
        f.name,
        "Reason added.",
        async |c, _| stage::add_reason(c, &actor, &name, &side).await,
    )
    .await
}

async fn rename_reason(
    db: Db,
    me: CurrentUser,
    Path(id): Path<ReasonId>,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/reasons/{id}");
    let name = f.name.clone();
    change(
        db,
        me,
        None,
        &action,
        f.name,
        "Reason renamed.",
        async |c, _| stage::rename_reason(c, &actor, id, &name).await,
    )
    .await
}

async fn archive_reason(
    db: Db,
    me: CurrentUser,
    Path(id): Path<ReasonId>,
) -> Result<Response, AppError> {
    let actor = me.actor();
    let action = format!("/reasons/{id}/archive");
    change(
        db,
        me,
        None,
        &action,
        String::new(),
        "Reason archived.",
        async |c, _| stage::archive_reason(c, &actor, id).await,
    )
    .await
}
