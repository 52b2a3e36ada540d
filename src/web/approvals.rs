//! Approvals: the inbox ("waiting for me", "decided by me") and the
//! decision page at `/approvals/{id}` that mail links open.

use super::AppState;
use super::render::{self, Layout};
use crate::auth::{CurrentUser, MaybeUser, Permission};
use crate::domain::approval::{self, DecideError, Decision, Task};
use crate::domain::requirement::{self, Requirement, TransitionError};
use crate::domain::{FieldErrors, SaveError, history};
use crate::error::AppError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/approvals", get(inbox))
        .route("/approvals/{id}", get(show))
        .route("/approvals/{id}/decision", post(decide))
        .route("/approvals/{id}/reassignment", post(reassign))
        .route("/approvals/{id}/link", post(open_link))
}

#[derive(Template)]
#[template(path = "pages/approvals/inbox.html")]
struct InboxPage {
    layout: Layout,
    me: Uuid,
    waiting: Vec<Task>,
    decided: Vec<Task>,
}

async fn inbox(State(state): State<AppState>, me: CurrentUser) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let waiting = approval::inbox(&mut conn, me.id, true).await?;
    let decided = approval::inbox(&mut conn, me.id, false).await?;
    render::ok(&InboxPage {
        layout: Layout::new(&me, "Approvals").await?,
        me: me.id,
        waiting,
        decided,
    })
}

#[derive(Template)]
#[template(path = "pages/approvals/show.html")]
struct DecisionPage {
    layout: Layout,
    task: Task,
    r: Requirement,
    trail: Vec<Task>,
    /// What changed since the approval before this one: its heading and the
    /// fields (None for a first approval).
    since: Option<(String, Vec<history::FieldChange>)>,
    mine: bool,
    /// Admins may hand a waiting task to someone else: the choices.
    reassign_to: Vec<(Uuid, String)>,
    comment: String,
    errors: FieldErrors,
    problem: Option<String>,
}

impl DecisionPage {
    fn open(&self) -> bool {
        self.mine && self.task.status == "pending"
    }
}

/// The session key that lets a signed-out approver, who followed a good
/// emailed link, see and decide that one approval: `(task, approver)`.
const GRANT: &str = "approval_grant";

/// Who is looking at a decision page: a signed-in user, or an approver who
/// came by an emailed link (then only for that task).
struct Viewer {
    id: Uuid,
    roles: Vec<crate::auth::Role>,
    admin: bool,
    layout: Layout,
}

impl Viewer {
    async fn of(user: &CurrentUser, title: &str) -> Result<Viewer, AppError> {
        Ok(Viewer {
            id: user.id,
            roles: user.roles.clone(),
            admin: user.can(Permission::ManageWorkflows),
            layout: Layout::new(user, title).await?,
        })
    }
}

/// The page for `task`: its approver sees it; so does whoever may see the
/// requirement (read-only), as DOMAIN.md lets everyone read requirements.
async fn page(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    comment: String,
    errors: FieldErrors,
    problem: Option<String>,
) -> Result<DecisionPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let (task, trail) = approval::task_with_trail(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = requirement::find(&mut conn, task.requirement_id)
        .await?
        .filter(|r| r.visible_to(viewer.id, &viewer.roles) || task.approver_id == viewer.id)
        .ok_or(AppError::NotFound)?;
    // Only a later round has an earlier one to compare with; every round
    // that was decided keeps its deciding tasks in the trail.
    let later_round = trail.iter().any(|t| t.approval_id != task.approval_id);
    let earlier = if later_round {
        approval::earlier(&mut conn, id).await?
    } else {
        None
    };
    let since = match earlier {
        Some(e) => {
            let changes = history::diff(&e.fields, &r.fields());
            let when = e.decided_at.map(|d| d.format(" on %Y-%m-%d").to_string());
            let heading = if e.approved {
                format!("Changed since it was approved{}", when.unwrap_or_default())
            } else {
                format!(
                    "Changed since changes were asked for{}",
                    when.unwrap_or_default()
                )
            };
            Some((heading, history::describe(&mut conn, &changes).await?))
        }
        None => None,
    };
    let mine = approval::may_decide(&mut conn, viewer.id, &task).await?;
    let reassign_to = if viewer.admin && task.status == "pending" {
        let people = crate::domain::user::choices(&mut conn).await?;
        people
            .into_iter()
            .filter(|(id, _)| !r.names(*id) && *id != task.approver_id)
            .collect()
    } else {
        Vec::new()
    };
    Ok(DecisionPage {
        layout: viewer.layout,
        mine,
        reassign_to,
        task,
        r,
        trail,
        since,
        comment,
        errors,
        problem,
    })
}

/// The approver an emailed link let into this task's page, if any.
async fn granted(who: &MaybeUser, task: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(who
        .session
        .get::<(Uuid, Uuid)>(GRANT)
        .await?
        .filter(|(t, _)| *t == task)
        .map(|(_, approver)| approver))
}

async fn viewer(who: &MaybeUser, id: Uuid) -> Result<Option<Viewer>, AppError> {
    if let Some(user) = &who.user {
        return Ok(Some(Viewer::of(user, "Approval").await?));
    }
    Ok(match granted(who, id).await? {
        Some(approver) => Some(Viewer {
            id: approver,
            roles: Vec::new(),
            admin: false,
            layout: Layout::anonymous(&who.session, "Approval").await?,
        }),
        None => None,
    })
}

#[derive(serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

fn sign_in_for(id: Uuid) -> AppError {
    AppError::SignInRequired {
        next: format!("/approvals/{id}"),
        htmx: false,
    }
}

async fn show(
    State(state): State<AppState>,
    who: MaybeUser,
    Path(id): Path<Uuid>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    if who.user.is_none() && granted(&who, id).await?.is_none() {
        if q.token.is_empty() {
            return Err(sign_in_for(id));
        }
        // Looking is not using: a mail scanner's GET must not spend the link.
        let mut conn = state.pool.acquire().await?;
        return match approval::check_link(&mut conn, &state.mail.secret, id, &q.token).await? {
            approval::Link::Valid { approver } => {
                let name: String = crate::domain::user::find(&mut conn, approver)
                    .await?
                    .map(|u| u.full_name)
                    .unwrap_or_default();
                let page = LinkPage {
                    layout: Layout::anonymous(&who.session, "Open the approval").await?,
                    id,
                    token: q.token,
                    name,
                };
                render::ok(&page)
            }
            dead => dead_link(&state, &who, id, dead).await,
        };
    }
    let viewer = viewer(&who, id).await?.ok_or_else(|| sign_in_for(id))?;
    render::ok(
        &page(
            &state,
            viewer,
            id,
            String::new(),
            FieldErrors::default(),
            None,
        )
        .await?,
    )
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
    who: MaybeUser,
    Path(id): Path<Uuid>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    match approval::use_link(&mut conn, &state.mail.secret, id, &form.token).await? {
        approval::Link::Valid { approver } => {
            who.session.insert(GRANT, (id, approver)).await?;
            Ok(render::see_other(&format!("/approvals/{id}")))
        }
        dead => dead_link(&state, &who, id, dead).await,
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
    state: &AppState,
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
        approval::Link::Stale { requirement, sent } => {
            let mut conn = state.pool.acquire().await?;
            let mut events = history::timeline(&mut conn, requirement).await?;
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
        layout: Layout::anonymous(&who.session, "Link no longer valid").await?,
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
    who: MaybeUser,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let decision = Decision::parse(&form.decision).ok_or(AppError::NotFound)?;
    let (actor, done) = match &who.user {
        Some(user) => (user.actor(), "/approvals".to_owned()),
        None => {
            let approver = granted(&who, id).await?.ok_or_else(|| sign_in_for(id))?;
            (who.meta.actor(Some(approver)), format!("/approvals/{id}"))
        }
    };
    let mut tx = state.pool.begin().await?;
    let (status, errors, problem) =
        match approval::decide(&mut tx, &actor, &state.mail, id, decision, &form.comment).await {
            Ok(()) => {
                return render::saved(tx, &who.session, "Your decision is recorded.", &done).await;
            }
            Err(DecideError::NotYours) => return Err(AppError::Forbidden),
            Err(DecideError::CommentRequired) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::one(
                    "comment",
                    "Say why: the requester needs to know what to change.",
                ),
                None,
            ),
            Err(DecideError::Transition(TransitionError::BadReason(problem))) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::one("comment", problem),
                None,
            ),
            Err(DecideError::Decided) => (
                StatusCode::CONFLICT,
                FieldErrors::default(),
                Some("This approval was already decided.".to_owned()),
            ),
            Err(DecideError::Transition(TransitionError::Save(SaveError::NotFound))) => {
                return Err(AppError::NotFound);
            }
            Err(DecideError::Transition(
                TransitionError::NotAllowed { .. } | TransitionError::Save(SaveError::Stale),
            )) => (
                StatusCode::CONFLICT,
                FieldErrors::default(),
                Some(
                    "The requirement changed meanwhile; it is no longer waiting for this decision."
                        .to_owned(),
                ),
            ),
            Err(e) => return Err(AppError::internal(e)),
        };
    tx.rollback().await?;
    let viewer = viewer(&who, id).await?.ok_or_else(|| sign_in_for(id))?;
    let p = page(&state, viewer, id, form.comment, errors, problem).await?;
    render::status(status, &p)
}

#[derive(serde::Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    to: String,
}

/// Admins hand a waiting task to another approver.
async fn reassign(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<ReassignForm>,
) -> Result<Response, AppError> {
    me.require(Permission::ManageWorkflows)?;
    let to: Uuid = form.to.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    match approval::reassign(&mut tx, &me.actor(), &state.mail, id, to).await {
        Ok(()) => {
            render::saved(
                tx,
                &me.session,
                "The approval is reassigned.",
                &format!("/approvals/{id}"),
            )
            .await
        }
        Err(DecideError::NotYours) => Err(AppError::Forbidden),
        Err(DecideError::Decided) => {
            tx.rollback().await?;
            let viewer = Viewer::of(&me, "Approval").await?;
            let problem = Some("It can no longer be reassigned: it was decided, or that person is already on this step.".to_owned());
            let p = page(
                &state,
                viewer,
                id,
                String::new(),
                FieldErrors::default(),
                problem,
            )
            .await?;
            render::status(StatusCode::CONFLICT, &p)
        }
        Err(DecideError::Transition(TransitionError::Save(SaveError::NotFound))) => {
            Err(AppError::NotFound)
        }
        Err(e) => Err(AppError::internal(e)),
    }
}
