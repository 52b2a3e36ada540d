//! The requirement as a subject of the approval engine: its facts for the
//! workflow's conditions, its people, its words, and what each outcome
//! does to its lifecycle. Submitting is here too: the requirement moves
//! into approval first, then the engine starts the approval.

use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::Actor;
use crate::domain::activity::notify::{Event, Named};
use crate::domain::approval;
use crate::domain::approval::subject::{
    About, Applied, Ending, Facts, Outcome, Subject, SubjectKind, SubjectRef,
};
use crate::domain::messaging::Letters;
use crate::domain::requisition::form::RequirementFields;
use crate::domain::requisition::history;
use crate::domain::requisition::lifecycle::{self, Action, Asker};
use crate::domain::requisition::requirement::{self, Requirement, RequirementId};
use futures::future::BoxFuture;
use serde::Deserialize as _;
use sqlx::PgConnection;
use uuid::Uuid;

/// The requirements' answer to the engine.
pub struct Requirements;

/// Requirement `id` as a subject (of approvals, comments, live events).
pub fn subject(id: RequirementId) -> SubjectRef {
    SubjectRef::new(SubjectKind::Requirement, id.uuid())
}

impl Requirement {
    /// How notices name it and where they lead.
    pub fn named(&self) -> Named<'_> {
        Named {
            subject: subject(self.id),
            reference: &self.reference,
            title: &self.title,
            path: format!("/requirements/{}", self.id),
        }
    }

    /// Who requested it or works on it: never the ones to decide on it.
    pub fn own_people(&self) -> Vec<Uuid> {
        [
            Some(self.hiring_manager_id),
            Some(self.created_by),
            self.recruiter_id,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The requirement as the approval engine sees it.
    pub fn about(&self) -> About {
        About {
            subject: subject(self.id),
            version: self.version,
            reference: self.reference.clone(),
            title: self.title.clone(),
            path: format!("/requirements/{}", self.id),
            requester_id: self.hiring_manager_id,
            requester_name: self.hiring_manager_name.clone(),
            summary: format!(
                "{} × {} in {}, salary {}{}",
                self.headcount,
                self.job_level_name,
                self.department_name,
                self.salary_range(),
                if self.above_band() {
                    " (above the level's band)"
                } else {
                    ""
                }
            ),
            own_people: self.own_people(),
            facts: Facts {
                department_id: Some(self.department_id),
                level_rank: Some(self.level_rank),
                headcount: Some(self.headcount),
                above_band: Some(self.above_band()),
                employment_type: Some(self.employment_type.clone()),
                reason: Some(self.reason.clone()),
                amount: None,
            },
            snapshot: serde_json::to_value(self.fields()).unwrap_or_default(),
        }
    }
}

impl Subject for Requirements {
    fn kind(&self) -> SubjectKind {
        SubjectKind::Requirement
    }

    fn about<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Option<About>, sqlx::Error>> {
        let id = RequirementId::new(id);
        Box::pin(async move { Ok(requirement::find(conn, id).await?.map(|r| r.about())) })
    }

    fn visible_to<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        viewer: Uuid,
        roles: &'a [Role],
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
        let id = RequirementId::new(id);
        Box::pin(async move {
            let r = requirement::find(conn, id).await?;
            Ok(r.is_some_and(|r| r.visible_to(viewer, roles)))
        })
    }

    fn history<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Vec<history::Event>, sqlx::Error>> {
        Box::pin(history::timeline(conn, RequirementId::new(id)))
    }

    fn changes_since<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        earlier: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Vec<history::FieldChange>, Error>> {
        let id = RequirementId::new(id);
        Box::pin(async move {
            let r = requirement::find(&mut *conn, id)
                .await?
                .ok_or(Error::NotFound)?;
            let earlier = RequirementFields::deserialize(earlier)
                .map_err(|e| Error::Internal(Box::new(e)))?;
            Ok(history::describe(conn, &history::diff(&earlier, &r.fields())).await?)
        })
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        actor: &'a Actor,
        ending: Ending<'a>,
    ) -> BoxFuture<'a, Result<Applied, Error>> {
        Box::pin(apply(conn, actor, ending))
    }
}

/// What an outcome does to the requirement. Approved: approved (and back
/// to recruiting or on hold, when the approval was for a change made
/// there). Rejected: rejected, unless it had been approved before: then
/// the change is declined, the values last approved come back and it
/// returns to where the change found it. Changes requested: back to its
/// requester.
async fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    ending: Ending<'_>,
) -> Result<Applied, Error> {
    let id = RequirementId::new(ending.subject.id);
    let comment = ending.comment;
    match ending.outcome {
        Outcome::Approved => {
            step(conn, actor, id, Action::Approve, "").await?;
            return_to(conn, actor, id, ending.resume_status).await?;
            Ok(Applied::AsDecided)
        }
        Outcome::Rejected => {
            let approved = ending
                .last_approved
                .map(|f| serde_json::from_value::<RequirementFields>(f.clone()))
                .transpose()
                .map_err(|e| Error::Internal(Box::new(e)))?;
            let Some(approved) = approved else {
                step(conn, actor, id, Action::Reject, comment).await?;
                return Ok(Applied::AsDecided);
            };
            let version = current_version(conn, id).await?;
            requirement::update(&mut *conn, actor, id, version, &approved).await?;
            step(conn, actor, id, Action::DeclineChange, comment).await?;
            return_to(conn, actor, id, ending.resume_status).await?;
            Ok(Applied::ChangeDeclined)
        }
        Outcome::ChangesRequested => {
            step(conn, actor, id, Action::RequestChanges, comment).await?;
            Ok(Applied::AsDecided)
        }
    }
}

/// One lifecycle step taken by the application, on the current version.
async fn step(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RequirementId,
    action: Action,
    reason: &str,
) -> Result<(), Error> {
    let version = current_version(conn, id).await?;
    match lifecycle::apply(conn, actor, Asker::App, id, version, action, reason).await {
        // A decision arriving after the requirement moved on.
        Err(Error::Refused(_) | Error::Stale(_)) => Err(Error::refused(
            "The requirement changed meanwhile; it is no longer waiting for this decision.",
        )),
        other => other.map(|_| ()),
    }
}

/// After a change was decided, the requirement goes back to recruiting (or
/// on hold) if that is where the change found it.
async fn return_to(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RequirementId,
    resume: Option<&str>,
) -> Result<(), Error> {
    let steps: &[Action] = match resume {
        Some("open") => &[Action::Open],
        Some("on_hold") => &[Action::Open, Action::Hold],
        _ => &[],
    };
    for action in steps {
        step(
            conn,
            actor,
            id,
            *action,
            "back to where the change found it",
        )
        .await?;
    }
    Ok(())
}

async fn current_version(conn: &mut PgConnection, id: RequirementId) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Submits the requirement and starts its approval (in the caller's
/// transaction). `action` is [`Action::Submit`] for a draft (or a
/// requirement whose changes were requested), or [`Action::SubmitChange`]
/// for an approved one whose material fields were just edited: the
/// approval is then for the change, and the requirement returns to where it
/// was once the change is decided. Each is refused where the lifecycle
/// does not have it, and to anyone `asker` says may not ask for it.
pub async fn submit(
    conn: &mut PgConnection,
    actor: &Actor,
    asker: Asker<'_>,
    mail: &dyn Letters,
    id: RequirementId,
    version: i32,
    action: Action,
) -> Result<(), Error> {
    let before = requirement::find(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    let resume_status = match action {
        Action::SubmitChange => Some(before.status.as_str().to_owned()),
        // A resubmission after "request changes" carries on what the
        // asking approval was for.
        Action::Submit => approval::resume_status(&mut *conn, subject(id)).await?,
        _ => return Err(lifecycle::not_while(before.status)),
    };
    lifecycle::apply(&mut *conn, actor, asker, id, version, action, "").await?;
    let what = "was submitted for approval";
    requirement::announce(
        &mut *conn,
        actor,
        mail,
        id,
        Event::RequirementSubmitted,
        what,
    )
    .await?;
    approval::submit(
        conn,
        actor,
        mail,
        &Requirements,
        id.uuid(),
        resume_status.as_deref(),
    )
    .await
}

/// The fields of the requirement's newest approved approval: what was last
/// agreed to.
pub async fn last_approved_fields(
    conn: &mut PgConnection,
    id: RequirementId,
) -> Result<Option<RequirementFields>, sqlx::Error> {
    approval::last_approved_fields(conn, subject(id)).await
}
