//! Approvals: the inbox ("waiting for me", "decided by me") and the
//! decision page at `/approvals/{id}` that mail links open.

use super::AppState;
use super::render::{self, Layout};
use crate::auth::CurrentUser;
use crate::domain::approval::{self, DecideError, Decision, Task};
use crate::domain::requirement::{self, Requirement, TransitionError};
use crate::domain::{FieldErrors, SaveError};
use crate::error::AppError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/approvals", get(inbox))
        .route("/approvals/{id}", get(show))
        .route("/approvals/{id}/decision", post(decide))
}

#[derive(Template)]
#[template(path = "pages/approvals/inbox.html")]
struct InboxPage {
    layout: Layout,
    waiting: Vec<Task>,
    decided: Vec<Task>,
}

async fn inbox(State(state): State<AppState>, me: CurrentUser) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let waiting = approval::inbox(&mut conn, me.id, true).await?;
    let decided = approval::inbox(&mut conn, me.id, false).await?;
    render::ok(&InboxPage {
        layout: Layout::new(&me, "Approvals").await?,
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
    mine: bool,
    comment: String,
    errors: FieldErrors,
    problem: Option<String>,
}

impl DecisionPage {
    fn open(&self) -> bool {
        self.mine && self.task.status == "pending"
    }
}

/// The page for `task`: its approver sees it; so does whoever may see the
/// requirement (read-only), as DOMAIN.md lets everyone read requirements.
async fn page(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
    comment: String,
    errors: FieldErrors,
    problem: Option<String>,
) -> Result<DecisionPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let task = approval::task(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = requirement::find(&mut conn, task.requirement_id)
        .await?
        .filter(|r| r.visible_to(me.id, &me.roles) || task.approver_id == me.id)
        .ok_or(AppError::NotFound)?;
    let trail = approval::trail(&mut conn, r.id).await?;
    Ok(DecisionPage {
        layout: Layout::new(me, format!("Approve {}", r.reference)).await?,
        mine: task.approver_id == me.id,
        task,
        r,
        trail,
        comment,
        errors,
        problem,
    })
}

async fn show(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    render::ok(&page(&state, &me, id, String::new(), FieldErrors::default(), None).await?)
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
    me: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let decision = Decision::parse(&form.decision).ok_or(AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    let (status, errors, problem) = match approval::decide(
        &mut tx,
        &me.actor(),
        &state.mail,
        id,
        decision,
        &form.comment,
    )
    .await
    {
        Ok(()) => {
            return render::saved(tx, &me.session, "Your decision is recorded.", "/approvals")
                .await;
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
    let p = page(&state, &me, id, form.comment, errors, problem).await?;
    render::status(status, &p)
}
