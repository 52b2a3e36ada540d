//! Approvals: the inbox ("waiting for me", "decided by me") and the
//! decision page at `/approvals/{id}` that mail links open.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Hx, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::approval::{self, Decision, SubjectKind, Task, TaskId};
use crate::domain::kernel::After;
use crate::domain::messaging::Letters;
use crate::domain::org::user;
use crate::domain::requisition::history;
use crate::domain::requisition::requirement::{self, Requirement, RequirementId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::{CurrentUser, MaybeUser};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
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

impl InboxQuery {
    /// Where the tabs start (None: at the top) and which are shown: both on
    /// `/approvals`, one with `?tab=`; None for a query that means nothing.
    fn read(&self) -> Option<(Option<After>, bool, bool)> {
        let after = match self.after.as_str() {
            "" => None,
            a => Some(After::parse(a)?),
        };
        let (waiting, decided) = match self.tab.as_str() {
            "" if after.is_none() => (true, true),
            "waiting" => (true, false),
            "decided" => (false, true),
            _ => return None,
        };
        Some((after, waiting, decided))
    }

    /// The page itself, for the live update to read it again.
    fn here(&self, after: Option<After>) -> String {
        match (self.tab.as_str(), after) {
            ("", _) => "/approvals".to_owned(),
            (tab, None) => format!("/approvals?tab={tab}"),
            (tab, Some(a)) => format!("/approvals?tab={tab}&after={}", a.param()),
        }
    }
}

/// `/approvals` shows the first page of both tabs; `?tab=waiting` or
/// `?tab=decided` one tab, paged with `&after=<time>,<id>`. Each tab is its
/// own statement over its own index.
async fn inbox(
    mut db: Db,
    me: CurrentUser,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let (after, show_waiting, show_decided) = q.read().ok_or(AppError::NotFound)?;
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
    let page = InboxPage {
        layout: Layout::new(&me, "Approvals").await?,
        here: q.here(after),
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
    /// What is decided on, as its kind shows it.
    subject: Shown,
    trail: Vec<Task>,
    /// What changed since the approval before this one (None for a first
    /// approval).
    since: Option<approval::Since>,
    mine: bool,
    /// Signed in (not let in by a mailed link) and allowed the subject's
    /// own page: it is a link away. (An approver sees an offer here, not
    /// on the offer's page.)
    whole: bool,
    /// Admins may hand a waiting task to someone else.
    can_reassign: bool,
    /// Who to hand it to, as typed.
    reassign_to: String,
    comment: String,
    /// Why a decision or a reassignment was refused.
    problems: Problems,
}

/// What a decision is on, as the page shows each kind of subject:
/// everything needed to decide, so an approver who came by a mailed link
/// never needs the subject's own page. An offer adds its own.
enum Shown {
    Requirement(Box<ShownRequirement>),
    Offer(Box<ShownOffer>),
}

/// An offer as its approver reads it: the terms and the letter.
struct ShownOffer {
    o: crate::domain::offering::Offer,
    letter: String,
}

impl ShownOffer {
    fn terms(&self) -> Vec<(&'static str, String)> {
        self.o.terms.listed()
    }
}

struct ShownRequirement {
    r: Requirement,
}

impl ShownRequirement {
    /// The description, rendered: the approver decides on it too. Only
    /// when the page is rendered (a live update of the decisions reads the
    /// requirement just to know who may see it).
    fn description_html(&self) -> String {
        super::markdown::to_safe_html(&self.r.description)
    }
}

impl Shown {
    /// Whether `user` may open its own page.
    fn visible_to(&self, user: Uuid, roles: &[crate::domain::access::Role]) -> bool {
        match self {
            Shown::Requirement(s) => s.r.visible_to(user, roles),
            Shown::Offer(s) => s.o.visible_to(user, roles),
        }
    }

    /// Who requested it or works on it: never the ones to decide on it.
    fn own_people(&self) -> Vec<Uuid> {
        match self {
            Shown::Requirement(s) => s.r.own_people(),
            Shown::Offer(s) => s.o.own_people(),
        }
    }

    /// How the page's heading names it, and where its own page is.
    fn named(&self) -> (&str, &str, String) {
        match self {
            Shown::Requirement(s) => (
                &s.r.reference,
                &s.r.title,
                format!("/requirements/{}", s.r.id),
            ),
            Shown::Offer(s) => (&s.o.reference, &s.o.title, s.o.path()),
        }
    }
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

/// What `task` decides on, if the viewer may see it: those who may see the
/// subject (read-only: DOMAIN.md lets everyone read requirements), and the
/// task's approver.
async fn subject_seen_by(
    conn: &mut PgConnection,
    viewer: &Viewer,
    task: &Task,
) -> Result<Shown, AppError> {
    let seen = |visible: bool| visible || task.approver_id == viewer.id;
    match task.subject_type {
        SubjectKind::Requirement => {
            let r = requirement::find(conn, RequirementId::new(task.subject_id)).await?;
            let r = r.filter(|r| seen(r.visible_to(viewer.id, &viewer.roles)));
            let r = r.ok_or(AppError::NotFound)?;
            Ok(Shown::Requirement(Box::new(ShownRequirement { r })))
        }
        SubjectKind::Offer => {
            let id = crate::domain::offering::OfferId::new(task.subject_id);
            let o = crate::domain::offering::find(conn, id).await?;
            let o = o.filter(|o| seen(o.visible_to(viewer.id, &viewer.roles)));
            let o = o.ok_or(AppError::NotFound)?;
            let (letter, _) = crate::domain::offering::letter(conn, id, o.terms_version)
                .await?
                .unwrap_or_default();
            let letter = super::markdown::to_safe_html(&letter);
            Ok(Shown::Offer(Box::new(ShownOffer { o, letter })))
        }
        SubjectKind::Candidate => Err(AppError::NotFound),
    }
}

/// The decisions so far alone: what a live update of the page re-reads.
#[derive(Template)]
#[template(path = "fragments/approvals/_decisions.html")]
struct DecisionsRegion {
    task: Task,
    trail: Vec<Task>,
}

impl DecisionsRegion {
    async fn read(
        conn: &mut PgConnection,
        viewer: &Viewer,
        id: TaskId,
    ) -> Result<DecisionsRegion, AppError> {
        let (task, trail) = approval::task_with_trail(&mut *conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        subject_seen_by(conn, viewer, &task).await?;
        Ok(DecisionsRegion { task, trail })
    }
}

async fn page(
    conn: &mut PgConnection,
    viewer: Viewer,
    id: TaskId,
    comment: String,
    problems: Problems,
) -> Result<DecisionPage, AppError> {
    let (task, trail) = approval::task_with_trail(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let subject = subject_seen_by(&mut *conn, &viewer, &task).await?;
    // Only a later round has an earlier one to compare with; every round
    // that was decided keeps its deciding tasks in the trail.
    let later_round = trail.iter().any(|t| t.approval_id != task.approval_id);
    let since = if later_round {
        approval::since(&mut *conn, id).await?
    } else {
        None
    };
    let mine = approval::may_decide(&mut *conn, viewer.id, &task, &subject.own_people()).await?;
    Ok(DecisionPage {
        layout: viewer.layout,
        mine,
        whole: viewer.signed_in && subject.visible_to(viewer.id, &viewer.roles),
        can_reassign: viewer.admin && task.status == approval::TaskStatus::Pending,
        reassign_to: String::new(),
        task,
        subject,
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
    task: TaskId,
) -> Result<Option<Uuid>, AppError> {
    let Some((t, approver)) = who.session.get::<(TaskId, Uuid)>(GRANT).await? else {
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
    id: TaskId,
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

fn sign_in_for(id: TaskId, hx: Hx) -> AppError {
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
    Path(id): Path<TaskId>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    if let Some(viewer) = viewer(conn, &who, id).await? {
        return match q.part.as_str() {
            "" => render::ok(&page(conn, viewer, id, String::new(), Problems::default()).await?),
            "decisions" => render::ok(&DecisionsRegion::read(conn, &viewer, id).await?),
            _ => Err(AppError::NotFound),
        };
    }
    if q.token.is_empty() {
        return Err(sign_in_for(id, hx));
    }
    // Looking is not using: a mail scanner's GET must not spend the link.
    match approval::check_link(conn, state.mail.token_key(), id, &q.token).await? {
        approval::Link::Valid { approver } => {
            let name = crate::domain::org::user::find(conn, approver).await?;
            db.release();
            let page = LinkPage {
                layout: Layout::anonymous(&who.session, "Open the approval").await?,
                id,
                token: q.token,
                name: name.map(|u| u.full_name).unwrap_or_default(),
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
    id: TaskId,
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
    Path(id): Path<TaskId>,
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
    id: TaskId,
    message: String,
    since: Vec<history::Event>,
}

async fn dead_link(
    conn: &mut PgConnection,
    who: &MaybeUser,
    id: TaskId,
    link: approval::Link,
) -> Result<Response, AppError> {
    let viewer = who.user.as_ref().map(|u| (u.id, u.roles.as_slice()));
    let page = DeadLinkPage {
        layout: Layout::public(&who.session, "Link no longer valid").await?,
        id,
        message: link.message(),
        since: approval::since_mailed(conn, link, viewer).await?,
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
    Path(id): Path<TaskId>,
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
    Path(id): Path<TaskId>,
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
