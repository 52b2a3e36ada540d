//! Approvals: the inbox ("waiting for me", "decided by me") and the
//! decision page at `/approvals/{id}` that mail links open.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Hx, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::approval::{self, Decision, SubjectKind, Task};
use crate::domain::kernel::After;
use crate::domain::messaging::Letters;
use crate::domain::org::user;
use crate::domain::requisition::form::RequirementFields;
use crate::domain::requisition::history;
use crate::domain::requisition::requirement::{self, Requirement};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::{CurrentUser, MaybeUser};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/approvals"), inbox)
        .serve(route!(GET "/approvals/{id}"), show)
        .serve(route!(POST "/approvals/{id}/decision"), decide)
        .serve(route!(POST "/approvals/{id}/reassignment"), reassign)
        .serve(route!(POST "/approvals/{id}/link"), open_link)
}

#[derive(Template)]
#[template(path = "pages/approvals/inbox.html", blocks = ["inbox"])]
struct InboxPage {
    layout: Layout,
    /// What this page is, for the live update to read it again.
    here: String,
    /// Each tab's page, when this page shows it: both on `/approvals`, one
    /// with `?tab=`.
    waiting: Option<approval::InboxPage>,
    decided: Option<approval::InboxPage>,
}

#[derive(serde::Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    after: String,
    /// `inbox`: only the tabs, for a live update.
    #[serde(default)]
    part: String,
}

/// `/approvals` shows the first page of both tabs; `?tab=waiting` or
/// `?tab=decided` one tab, paged with `&after=<time>,<id>`. Each tab is its
/// own statement over its own index.
async fn inbox(
    mut db: Db,
    me: CurrentUser,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let after = match q.after.as_str() {
        "" => None,
        a => Some(After::parse(a).ok_or(AppError::NotFound)?),
    };
    let (show_waiting, show_decided) = match q.tab.as_str() {
        "" if after.is_none() => (true, true),
        "waiting" => (true, false),
        "decided" => (false, true),
        _ => return Err(AppError::NotFound),
    };
    let conn = db.conn().await?;
    let waiting = if show_waiting {
        Some(approval::waiting(conn, me.id, after).await?)
    } else {
        None
    };
    let decided = if show_decided {
        Some(approval::decided(conn, me.id, after).await?)
    } else {
        None
    };
    db.release();
    let here = match (q.tab.as_str(), after) {
        ("", _) => "/approvals".to_owned(),
        (tab, None) => format!("/approvals?tab={tab}"),
        (tab, Some(a)) => format!("/approvals?tab={tab}&after={}", a.param()),
    };
    let page = InboxPage {
        layout: Layout::new(&me, "Approvals").await?,
        here,
        waiting,
        decided,
    };
    match q.part.as_str() {
        "" => render::ok(&page),
        "inbox" => render::ok(&page.as_inbox()),
        _ => Err(AppError::NotFound),
    }
}

impl InboxPage {
    /// This page's tabs alone, for the live update.
    fn region(&self) -> String {
        let join = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{join}part=inbox", self.here)
    }
}

#[derive(Template)]
#[template(path = "pages/approvals/show.html")]
struct DecisionPage {
    layout: Layout,
    task: Task,
    r: Requirement,
    /// The description, rendered: the approver decides on it too.
    description_html: String,
    trail: Vec<Task>,
    /// What changed since the approval before this one (None for a first
    /// approval).
    since: Option<Since>,
    mine: bool,
    /// Signed in (not let in by a mailed link): the rest of the app is a
    /// link away.
    signed_in: bool,
    /// Admins may hand a waiting task to someone else.
    can_reassign: bool,
    /// Who to hand it to, as typed.
    reassign_to: String,
    comment: String,
    /// Why a decision or a reassignment was refused.
    problems: Problems,
}

/// The fields changed since an earlier approval, and when that was
/// decided (shown in the viewer's zone).
struct Since {
    heading: &'static str,
    decided_at: Option<DateTime<Utc>>,
    changes: Vec<history::FieldChange>,
}

impl DecisionPage {
    fn open(&self) -> bool {
        self.mine && self.task.status == approval::TaskStatus::Pending
    }

    fn label(&self, choices: &[(&'static str, &'static str)], value: &str) -> &'static str {
        crate::domain::kernel::label(choices, value)
    }
}

/// The session key that lets a signed-out approver, who followed a good
/// emailed link, see and decide that one approval: `(task, approver)`.
const GRANT: &str = "approval_grant";

/// Who is looking at a decision page: a signed-in user, or an approver who
/// came by an emailed link (then only for that task).
struct Viewer {
    id: Uuid,
    roles: Vec<crate::domain::access::Role>,
    admin: bool,
    signed_in: bool,
    layout: Layout,
}

impl Viewer {
    async fn of(user: &CurrentUser, title: &str) -> Result<Viewer, AppError> {
        Ok(Viewer {
            id: user.id,
            roles: user.roles.clone(),
            admin: user.can(Permission::ManageWorkflows),
            signed_in: true,
            layout: Layout::new(user, title).await?,
        })
    }
}

/// The page for `task`: its approver sees it; so does whoever may see the
/// requirement (read-only), as DOMAIN.md lets everyone read requirements.
/// Everything needed to decide is on it, so an approver who came by a
/// mailed link never needs the requirement's own page.
/// The requirement a task decides on, if the viewer may see it: those who
/// may see the requirement, and the task's approver.
async fn subject_seen_by(
    conn: &mut PgConnection,
    viewer: &Viewer,
    task: &Task,
) -> Result<Requirement, AppError> {
    // The decision page shows requirements; an offer's comes with offers.
    let r = match task.subject_type {
        SubjectKind::Requirement => requirement::find(conn, task.subject_id).await?,
        SubjectKind::Offer => None,
    };
    r.filter(|r| r.visible_to(viewer.id, &viewer.roles) || task.approver_id == viewer.id)
        .ok_or(AppError::NotFound)
}

/// The decisions so far alone: what a live update of the page re-reads.
#[derive(Template)]
#[template(path = "fragments/approvals/_decisions.html")]
struct DecisionsRegion {
    task: Task,
    r: Requirement,
    trail: Vec<Task>,
}

async fn page(
    conn: &mut PgConnection,
    viewer: Viewer,
    id: Uuid,
    comment: String,
    problems: Problems,
) -> Result<DecisionPage, AppError> {
    let (task, trail) = approval::task_with_trail(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = subject_seen_by(&mut *conn, &viewer, &task).await?;
    // Only a later round has an earlier one to compare with; every round
    // that was decided keeps its deciding tasks in the trail.
    let later_round = trail.iter().any(|t| t.approval_id != task.approval_id);
    let earlier = if later_round {
        approval::earlier::<RequirementFields>(&mut *conn, id).await?
    } else {
        None
    };
    let since = match earlier {
        Some(e) => {
            let changes = history::diff(&e.fields, &r.fields());
            let heading = if e.approved {
                "Changed since it was approved"
            } else {
                "Changed since changes were asked for"
            };
            Some(Since {
                heading,
                decided_at: e.decided_at,
                changes: history::describe(&mut *conn, &changes).await?,
            })
        }
        None => None,
    };
    let mine = approval::may_decide(&mut *conn, viewer.id, &task).await?;
    Ok(DecisionPage {
        layout: viewer.layout,
        mine,
        signed_in: viewer.signed_in,
        can_reassign: viewer.admin && task.status == approval::TaskStatus::Pending,
        reassign_to: String::new(),
        description_html: super::markdown::to_safe_html(&r.description),
        task,
        r,
        trail,
        since,
        comment,
        problems,
    })
}

/// The approver an emailed link let into this task's page, if any, while
/// that still stands: the task is still theirs and their account active.
/// A grant that no longer stands is dropped from the session.
async fn granted(
    conn: &mut PgConnection,
    who: &MaybeUser,
    task: Uuid,
) -> Result<Option<Uuid>, AppError> {
    let Some((t, approver)) = who.session.get::<(Uuid, Uuid)>(GRANT).await? else {
        return Ok(None);
    };
    if t != task {
        return Ok(None);
    }
    if approval::grant_holds(conn, task, approver).await? {
        Ok(Some(approver))
    } else {
        who.session.remove_value(GRANT).await?;
        Ok(None)
    }
}

async fn viewer(
    conn: &mut PgConnection,
    who: &MaybeUser,
    id: Uuid,
) -> Result<Option<Viewer>, AppError> {
    if let Some(user) = &who.user {
        return Ok(Some(Viewer::of(user, "Approval").await?));
    }
    Ok(match granted(conn, who, id).await? {
        Some(approver) => Some(Viewer {
            id: approver,
            roles: Vec::new(),
            admin: false,
            signed_in: false,
            layout: Layout::anonymous(&who.session, "Approval").await?,
        }),
        None => None,
    })
}

#[derive(serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
    /// `decisions`: only that region, for a live update.
    #[serde(default)]
    part: String,
}

fn sign_in_for(id: Uuid, hx: Hx) -> AppError {
    AppError::SignInRequired {
        next: format!("/approvals/{id}"),
        htmx: hx.0,
    }
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    if let Some(viewer) = viewer(conn, &who, id).await? {
        match q.part.as_str() {
            "" => {}
            "decisions" => {
                let (task, trail) = approval::task_with_trail(&mut *conn, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let r = subject_seen_by(conn, &viewer, &task).await?;
                return render::ok(&DecisionsRegion { task, r, trail });
            }
            _ => return Err(AppError::NotFound),
        }
        let p = page(conn, viewer, id, String::new(), Problems::default()).await?;
        return render::ok(&p);
    }
    if q.token.is_empty() {
        return Err(sign_in_for(id, hx));
    }
    // Looking is not using: a mail scanner's GET must not spend the link.
    match approval::check_link(conn, state.mail.token_key(), id, &q.token).await? {
        approval::Link::Valid { approver } => {
            let name: String = crate::domain::org::user::find(conn, approver)
                .await?
                .map(|u| u.full_name)
                .unwrap_or_default();
            db.release();
            let page = LinkPage {
                layout: Layout::anonymous(&who.session, "Open the approval").await?,
                id,
                token: q.token,
                name,
            };
            render::ok(&page)
        }
        dead => dead_link(conn, &who, id, dead).await,
    }
}

/// The page a mailed link lands on: one button that uses the link.
#[derive(Template)]
#[template(path = "pages/approvals/link.html")]
struct LinkPage {
    layout: Layout,
    id: Uuid,
    token: String,
    name: String,
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    token: String,
}

/// Uses the mailed link: this session may now see and decide that one
/// approval as its approver.
async fn open_link(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Path(id): Path<Uuid>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    match approval::use_link(conn, state.mail.token_key(), id, &form.token).await? {
        approval::Link::Valid { approver } => {
            // The session gains rights: a new id, as at sign-in, so an id
            // planted in the browser beforehand (session fixation) is
            // worthless. Rotating deletes the old session from the store at
            // once: the request's connection goes back first, as at sign-in.
            db.release();
            who.session.cycle_id().await?;
            who.session.insert(GRANT, (id, approver)).await?;
            Ok(render::see_other(&format!("/approvals/{id}")))
        }
        dead => dead_link(conn, &who, id, dead).await,
    }
}

/// A mailed link that no longer works: why, and for a stale one what
/// happened since the mail (who did what, and which fields an edit changed:
/// the details wait behind signing in, which always reaches the page).
#[derive(Template)]
#[template(path = "pages/approvals/dead_link.html")]
struct DeadLinkPage {
    layout: Layout,
    id: Uuid,
    message: &'static str,
    since: Vec<history::Event>,
}

async fn dead_link(
    conn: &mut PgConnection,
    who: &MaybeUser,
    id: Uuid,
    link: approval::Link,
) -> Result<Response, AppError> {
    let (message, since) = match link {
        approval::Link::Used => (
            "This link was already used: each mailed link opens the page once. Sign in to see the approval.",
            Vec::new(),
        ),
        approval::Link::Expired => (
            "This link has expired: mailed links work for 72 hours. Sign in to see the approval.",
            Vec::new(),
        ),
        approval::Link::Cancelled => (
            "This approval was called off: the requirement was deleted or cancelled, so nothing waits for your decision.",
            Vec::new(),
        ),
        approval::Link::Withdrawn => (
            "This link no longer lets you decide: the approval went to someone else, or your account \
             or your part in the requirement changed. Sign in to see the approval.",
            Vec::new(),
        ),
        approval::Link::Stale { subject, sent } => {
            // What happened since is the requirement's history: only for
            // someone signed in who may see the requirement.
            let r = match &who.user {
                Some(user) if subject.kind == SubjectKind::Requirement => {
                    requirement::find(&mut *conn, subject.id)
                        .await?
                        .filter(|r| r.visible_to(user.id, &user.roles))
                }
                _ => None,
            };
            let mut events = match r {
                Some(r) => history::timeline(&mut *conn, r.id).await?,
                None => Vec::new(),
            };
            events.retain(|e| e.at > sent);
            (
                "The requirement changed since this mail was sent, or the approval was decided. Sign in to see the current version.",
                events,
            )
        }
        _ => (
            "This link is not valid. Sign in to see the approval.",
            Vec::new(),
        ),
    };
    let page = DeadLinkPage {
        layout: Layout::public(&who.session, "Link no longer valid").await?,
        id,
        message,
        since,
    };
    render::status(StatusCode::GONE, &page)
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let decision = Decision::parse(&form.decision).ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    let (actor, done) = match &who.user {
        Some(user) => (user.actor(), "/approvals".to_owned()),
        None => {
            let approver = granted(&mut tx, &who, id)
                .await?
                .ok_or_else(|| sign_in_for(id, hx))?;
            (who.meta.actor(Some(approver)), format!("/approvals/{id}"))
        }
    };
    let decided = approval::decide(&mut tx, &actor, &state.mail, id, decision, &form.comment);
    let problems = match decided.await {
        Ok(()) => {
            return render::saved(tx, &who.session, "Your decision is recorded.", &done).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let conn = db.conn().await?;
    let viewer = viewer(conn, &who, id)
        .await?
        .ok_or_else(|| sign_in_for(id, hx))?;
    let status = problems.status();
    render::status(
        status,
        &page(conn, viewer, id, form.comment, problems).await?,
    )
}

#[derive(serde::Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    to: String,
}

/// Admins hand a waiting task to another approver.
async fn reassign(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<ReassignForm>,
) -> Result<Response, AppError> {
    me.require(Permission::ManageWorkflows)?;
    let mut tx = db.begin().await?;
    let reassigned = async {
        let missing = "Type who should decide: a name or an email address.";
        let to = user::read_person(&mut tx, "to", &form.to, missing).await?;
        approval::reassign(&mut tx, &me.actor(), &state.mail, id, to).await
    }
    .await;
    let problems = match reassigned {
        Ok(()) => {
            let to = format!("/approvals/{id}");
            return render::saved(tx, &me.session, "The approval is reassigned.", &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let viewer = Viewer::of(&me, "Approval").await?;
    let conn = db.conn().await?;
    let status = problems.status();
    let mut p = page(conn, viewer, id, String::new(), problems).await?;
    if !p.problems.fields.is_empty() {
        // The person typed stays, beside why they cannot take it.
        p.reassign_to = form.to;
    }
    render::status(status, &p)
}
