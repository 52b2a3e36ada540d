//! The approval engine: a submitted requirement runs through its
//! workflow's steps; each step's approvers decide in parallel, steps in
//! order. Decisions are rows ([`approval_tasks`]), taken under a lock on the
//! approval so two approvers deciding at once leave one consistent outcome.
//!
//! [`approval_tasks`]: ../../../migrations/20261124000003_approvals.sql

use super::SaveError;
use super::audit::{self, Actor, Changes};
use super::notify::{self, Event, Notice};
use super::outbox;
use super::requirement::{self, Action, Requirement, RequirementFields, TransitionError};
use super::workflow::{self, Step};
use crate::mail::MailRenderer;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[cfg(test)]
mod tests {
    use super::business_days_between;
    use chrono::{TimeZone, Utc};

    #[test]
    fn slas_count_weekdays_only() {
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let tuesday = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        assert_eq!(business_days_between(friday, monday), 1);
        assert_eq!(business_days_between(friday, tuesday), 2);
        assert_eq!(business_days_between(monday, tuesday), 1);
        assert_eq!(business_days_between(monday, monday), 0);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        Some(match s {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject,
            "request_changes" => Decision::RequestChanges,
            _ => return None,
        })
    }

    fn task_status(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::RequestChanges => "changes_requested",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("this approval is not waiting for you")]
    NotYours,
    #[error("this approval was already decided")]
    Decided,
    #[error("a comment is required")]
    CommentRequired,
    /// No step has anyone who may approve: submitting would approve by default.
    #[error("nobody can approve this requirement")]
    NoApprovers,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("rendering mail failed: {0}")]
    Mail(#[from] askama::Error),
    #[error(transparent)]
    Queue(#[from] outbox::QueueError),
}

impl From<notify::TellError> for DecideError {
    fn from(e: notify::TellError) -> Self {
        match e {
            notify::TellError::Db(e) => e.into(),
            notify::TellError::Mail(e) => DecideError::Mail(e),
            notify::TellError::Queue(e) => DecideError::Queue(e),
        }
    }
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Transition(e.into())
    }
}

/// Who may approve `step` for `r`: never the requirement's own people.
async fn approvers(
    conn: &mut PgConnection,
    step: &Step,
    r: &Requirement,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> =
        match step.approver_kind.as_str() {
            "users" => step.approver_ids.clone(),
            "role" => sqlx::query_scalar(
                "select id from users where $1 = any(roles) and deactivated_at is null order by id",
            )
            .bind(&step.approver_role)
            .fetch_all(&mut *conn)
            .await?,
            "department_head" => {
                sqlx::query_scalar(
                    "select head_id from departments where id = $1 and head_id is not null",
                )
                .bind(r.department_id)
                .fetch_all(&mut *conn)
                .await?
            }
            _ => {
                sqlx::query_scalar(
                    "select manager_id from users where id = $1 and manager_id is not null",
                )
                .bind(r.hiring_manager_id)
                .fetch_all(&mut *conn)
                .await?
            }
        };
    let active: Vec<Uuid> = sqlx::query_scalar(
        "select id from users where id = any($1) and deactivated_at is null order by id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(active.into_iter().filter(|id| !r.names(*id)).collect())
}

/// Submits the requirement and starts its approval (in the caller's
/// transaction): tasks for every step, the first step's approvers told.
/// An approved requirement whose material fields were just edited goes
/// through the same: the approval is then for the change, and the
/// requirement returns to where it was once the change is decided.
pub async fn submit(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    requirement_id: Uuid,
    version: i32,
) -> Result<(), DecideError> {
    let before = requirement::find(&mut *conn, requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let (action, resume_status) = if before.approved() {
        (Action::SubmitChange, Some(before.status))
    } else {
        // A resubmission after "request changes" carries on what the asking
        // approval was for.
        let earlier: Option<Option<String>> = sqlx::query_scalar(
            "select resume_status from approvals where requirement_id = $1
              order by created_at desc limit 1",
        )
        .bind(requirement_id)
        .fetch_optional(&mut *conn)
        .await?;
        (Action::Submit, earlier.flatten())
    };
    requirement::apply(&mut *conn, actor, requirement_id, version, action, "").await?;
    let r = requirement::find(&mut *conn, requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let notice = Notice::requirement(
        Event::RequirementSubmitted,
        &r,
        "was submitted for approval",
        actor.user_id,
    );
    notify::tell(&mut *conn, mail, &notice, &r.people_but(actor.user_id)).await?;
    let (workflow_id, workflow_version, steps) = workflow::for_requirement(&mut *conn, &r).await?;
    let approval_id: Uuid = sqlx::query_scalar(
        "insert into approvals (requirement_id, workflow_id, workflow_version, requester_id, fields, resume_status)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(r.id)
    .bind(workflow_id)
    .bind(workflow_version)
    .bind(r.hiring_manager_id)
    .bind(sqlx::types::Json(r.fields()))
    .bind(resume_status)
    .fetch_one(&mut *conn)
    .await?;
    // A resubmission after "request changes" resumes at the step that asked:
    // the steps before it approved this requirement already.
    let resume_at: i32 = sqlx::query_scalar(
        "select coalesce(max(t.step), 1) from approval_tasks t
           join approvals a on a.id = t.approval_id
          where a.requirement_id = $1 and t.status = 'changes_requested'
            and a.created_at = (select max(created_at) from approvals where requirement_id = $1 and id <> $2)",
    )
    .bind(r.id)
    .bind(approval_id)
    .fetch_one(&mut *conn)
    .await?;
    for (position, step) in (1..).zip(&steps).filter(|(p, _)| *p >= resume_at) {
        let people = approvers(&mut *conn, step, &r).await?;
        if people.is_empty() {
            // Nobody eligible (no head set, or only the requester): the step
            // is skipped, and the skip is on record.
            let c = Changes::new()
                .created("step", &step.name)
                .created("reason", &"no eligible approver");
            audit::record(
                &mut *conn,
                actor,
                "approval.step_skipped",
                "requirement",
                Some(r.id),
                c,
            )
            .await?;
            continue;
        }
        // The task keeps the step's terms (name, how many, SLA): a later
        // edit of the workflow does not reach this approval.
        sqlx::query(
            "insert into approval_tasks (approval_id, step, step_name, required, sla_hours, approver_id)
             select $1, $2, $3, $4, $5, unnest($6::uuid[])",
        )
        .bind(approval_id)
        .bind(position)
        .bind(&step.name)
        .bind(step.required.map(|n| n.min(people.len() as i32)))
        .bind(step.sla_hours)
        .bind(&people)
        .execute(&mut *conn)
        .await?;
    }
    let tasks: i64 =
        sqlx::query_scalar("select count(*) from approval_tasks where approval_id = $1")
            .bind(approval_id)
            .fetch_one(&mut *conn)
            .await?;
    if tasks == 0 {
        return Err(DecideError::NoApprovers);
    }
    advance(conn, actor, mail, approval_id, &r).await?;
    Ok(())
}

/// Starts the next step that has approvers, or, when none is left, marks
/// the approval and the requirement approved (and says so: true).
async fn advance(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    approval_id: Uuid,
    r: &Requirement,
) -> Result<bool, DecideError> {
    let next: Option<i32> = sqlx::query_scalar(
        "select min(step) from approval_tasks where approval_id = $1 and status = 'waiting'",
    )
    .bind(approval_id)
    .fetch_one(&mut *conn)
    .await?;
    let Some(step) = next else {
        sqlx::query("update approvals set status = 'approved', decided_at = now() where id = $1")
            .bind(approval_id)
            .execute(&mut *conn)
            .await?;
        let version = current_version(conn, r.id).await?;
        requirement::apply(&mut *conn, actor, r.id, version, Action::Approve, "").await?;
        return_to(conn, actor, approval_id, r.id).await?;
        let name = name_of(conn, actor.user_id).await?;
        tell_requester(
            conn,
            actor,
            mail,
            r,
            Event::ApprovalApproved,
            "approved",
            "",
            &name,
        )
        .await?;
        return Ok(true);
    };
    let started: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "update approval_tasks set status = 'pending', started_at = now()
          where approval_id = $1 and step = $2 and status = 'waiting'
          returning id, approver_id",
    )
    .bind(approval_id)
    .bind(step)
    .fetch_all(&mut *conn)
    .await?;
    for (task_id, approver) in started {
        ask(conn, actor, mail, r, task_id, approver).await?;
    }
    Ok(false)
}

/// Tells an approver that `task` waits for them: in the app, and by mail
/// with a link that opens it (now, unless they chose the digest).
async fn ask(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    r: &Requirement,
    task_id: Uuid,
    approver: Uuid,
) -> Result<(), DecideError> {
    let notice = Notice::task(
        Event::ApprovalPending,
        r,
        task_id,
        "waits for your approval",
        actor.user_id,
    );
    for to in notify::notify(&mut *conn, &notice, &[approver]).await? {
        let token = issue_link(&mut *conn, &mail.secret, task_id, r.id).await?;
        let m = mail.approval_pending(&to.email, &to.full_name, r, task_id, &token)?;
        outbox::queue(&mut *conn, &m).await?;
    }
    Ok(())
}

/// Tells the hiring manager how their requirement was decided.
#[allow(clippy::too_many_arguments)]
async fn tell_requester(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    r: &Requirement,
    event: Event,
    outcome: &str,
    comment: &str,
    by: &str,
) -> Result<(), DecideError> {
    let notice = Notice::requirement(event, r, &format!("was {outcome} by {by}"), actor.user_id);
    for to in notify::notify(&mut *conn, &notice, &[r.hiring_manager_id]).await? {
        let m = mail.requirement_decided(&to.email, &to.full_name, r, outcome, comment, by)?;
        outbox::queue(&mut *conn, &m).await?;
    }
    Ok(())
}

/// How long an emailed approval link works.
const LINK_LIFETIME: chrono::Duration = chrono::Duration::hours(72);

/// A new single-use link token for the task, bound to the requirement's
/// current version.
async fn issue_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: Uuid,
    requirement: Uuid,
) -> Result<String, sqlx::Error> {
    let token = crate::auth::random_token(32);
    sqlx::query(
        "insert into approval_links (task_id, requirement_version, digest, expires_at)
         select $1, version, $2, now() + $3::interval from requirements where id = $4",
    )
    .bind(task)
    .bind(crate::auth::token_digest(secret, &token))
    .bind(LINK_LIFETIME)
    .bind(requirement)
    .execute(conn)
    .await?;
    Ok(token)
}

/// What an emailed link is worth when it is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Good, and now used: act as this approver on this task only.
    Valid {
        approver: Uuid,
    },
    Used,
    Expired,
    /// The requirement changed since the mail (`sent`), or the task is
    /// decided.
    Stale {
        requirement: Uuid,
        sent: DateTime<Utc>,
    },
    Unknown,
}

/// What the link token for `task` is worth, without using it (a GET may
/// come from a mail scanner: only the person's POST uses the link).
pub async fn check_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: Uuid,
    token: &str,
) -> Result<Link, sqlx::Error> {
    let row: Option<(bool, bool, bool, Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as(
        "select l.used_at is not null, l.expires_at <= now(),
                l.requirement_version <> r.version or t.status <> 'pending', t.approver_id,
                r.id, l.created_at
           from approval_links l
           join approval_tasks t on t.id = l.task_id
           join approvals a on a.id = t.approval_id
           join requirements r on r.id = a.requirement_id
          where l.digest = $1 and l.task_id = $2",
    )
    .bind(crate::auth::token_digest(secret, token))
    .bind(task)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => Link::Unknown,
        Some((true, ..)) => Link::Used,
        Some((_, true, ..)) => Link::Expired,
        Some((_, _, true, _, requirement, sent)) => Link::Stale { requirement, sent },
        Some((_, _, _, approver, ..)) => Link::Valid { approver },
    })
}

/// Checks the link token and uses it up if it is good. The marking update
/// only succeeds once, so two clicks cannot both pass.
pub async fn use_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: Uuid,
    token: &str,
) -> Result<Link, sqlx::Error> {
    let link = check_link(&mut *conn, secret, task, token).await?;
    if !matches!(link, Link::Valid { .. }) {
        return Ok(link);
    }
    let taken = sqlx::query(
        "update approval_links set used_at = now() where digest = $1 and used_at is null",
    )
    .bind(crate::auth::token_digest(secret, token))
    .execute(conn)
    .await?;
    Ok(if taken.rows_affected() == 1 {
        link
    } else {
        Link::Used
    })
}

/// The fields of the newest approved approval of the requirement: what was
/// last agreed to.
pub async fn last_approved_fields(
    conn: &mut PgConnection,
    requirement_id: Uuid,
) -> Result<Option<RequirementFields>, sqlx::Error> {
    let fields: Option<sqlx::types::Json<RequirementFields>> = sqlx::query_scalar(
        "select fields from approvals
          where requirement_id = $1 and status = 'approved' and fields is not null
          order by created_at desc limit 1",
    )
    .bind(requirement_id)
    .fetch_optional(conn)
    .await?;
    Ok(fields.map(|f| f.0))
}

/// The approval before the one `task` belongs to: what its approvers saw,
/// so this one's approvers see what changed since.
pub struct Earlier {
    pub approved: bool,
    pub decided_at: Option<DateTime<Utc>>,
    pub fields: RequirementFields,
}

pub async fn earlier(conn: &mut PgConnection, task: Uuid) -> Result<Option<Earlier>, sqlx::Error> {
    let row: Option<(bool, Option<DateTime<Utc>>, sqlx::types::Json<RequirementFields>)> =
        sqlx::query_as(
            "select p.status = 'approved', p.decided_at, p.fields
               from approval_tasks t
               join approvals cur on cur.id = t.approval_id
               join approvals p on p.requirement_id = cur.requirement_id and p.created_at < cur.created_at
              where t.id = $1 and p.fields is not null and p.status in ('approved', 'changes_requested')
              order by p.created_at desc limit 1",
        )
        .bind(task)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(approved, decided_at, fields)| Earlier {
        approved,
        decided_at,
        fields: fields.0,
    }))
}

/// A rejected change to an approved requirement: the values last approved
/// come back (the change is refused, not the job). False when the
/// requirement was never approved, so the rejection ends it.
async fn decline_change(
    conn: &mut PgConnection,
    actor: &Actor,
    r: &Requirement,
) -> Result<bool, DecideError> {
    let Some(approved) = last_approved_fields(&mut *conn, r.id).await? else {
        return Ok(false);
    };
    requirement::update(&mut *conn, actor, r.id, r.version, &approved).await?;
    Ok(true)
}

/// After a change was decided, the requirement goes back to recruiting (or
/// on hold) if that is where the change found it.
async fn return_to(
    conn: &mut PgConnection,
    actor: &Actor,
    approval_id: Uuid,
    requirement_id: Uuid,
) -> Result<(), DecideError> {
    let resume: Option<String> =
        sqlx::query_scalar("select resume_status from approvals where id = $1")
            .bind(approval_id)
            .fetch_one(&mut *conn)
            .await?;
    let steps: &[Action] = match resume.as_deref() {
        Some("open") => &[Action::Open],
        Some("on_hold") => &[Action::Open, Action::Hold],
        _ => &[],
    };
    for action in steps {
        let version = current_version(conn, requirement_id).await?;
        requirement::apply(
            &mut *conn,
            actor,
            requirement_id,
            version,
            *action,
            "back to where the change found it",
        )
        .await?;
    }
    Ok(())
}

async fn current_version(conn: &mut PgConnection, id: Uuid) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// The name of `user`, or of the app itself for the system.
async fn name_of(conn: &mut PgConnection, user: Option<Uuid>) -> Result<String, sqlx::Error> {
    Ok(
        sqlx::query_scalar("select full_name from users where id = $1")
            .bind(user)
            .fetch_optional(conn)
            .await?
            .unwrap_or_else(|| "Hiring Hare".into()),
    )
}

/// Records `decision` on the task by its approver, and moves the approval
/// (and the requirement) on. The approval row is locked first, so decisions
/// on one approval are taken one at a time.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    task_id: Uuid,
    decision: Decision,
    comment: &str,
) -> Result<(), DecideError> {
    let mut problems = super::FieldErrors::default();
    let comment = super::optional_text(
        &mut problems,
        "comment",
        comment,
        super::requirement::REASON_MAX,
    );
    if let Some(problem) = problems.get("comment") {
        return Err(TransitionError::BadReason(problem.to_owned()).into());
    }
    let comment = comment.as_str();
    if decision != Decision::Approve && comment.is_empty() {
        return Err(DecideError::CommentRequired);
    }
    // Decisions on one approval take turns on its lock. The task is locked
    // too, so that after waiting its status is read as it is now (a row
    // merely joined would be read as it was before the wait).
    let (approval_id, requirement_id, approver, status, step, step_name, required): (
        Uuid,
        Uuid,
        Uuid,
        String,
        i32,
        String,
        Option<i32>,
    ) = sqlx::query_as(
        "select a.id, a.requirement_id, t.approver_id, t.status, t.step, t.step_name, t.required
           from approvals a
           join approval_tasks t on t.approval_id = a.id
           join requirements r on r.id = a.requirement_id and r.deleted_at is null
          where t.id = $1 for update of a, t",
    )
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let Some(deciding) = actor.user_id else {
        return Err(DecideError::NotYours);
    };
    let actor = &if deciding == approver {
        actor.clone()
    } else if delegates_to(&mut *conn, approver, deciding).await? {
        Actor {
            on_behalf_of: Some(approver),
            ..actor.clone()
        }
    } else {
        return Err(DecideError::NotYours);
    };
    if status != "pending" {
        return Err(DecideError::Decided);
    }
    // The step's tally comes back with the decision. This statement's
    // snapshot is taken after the lock above, so it holds every decision
    // committed before ours; ours it still sees as pending.
    let (approved, total): (i64, i64) = sqlx::query_as(
        "with decided as (
           update approval_tasks set status = $2, decided_by = $3, comment = $4, decided_at = now()
            where id = $1)
         select count(*) filter (where status = 'approved' or (id = $1 and $2 = 'approved')), count(*)
           from approval_tasks where approval_id = $5 and step = $6",
    )
    .bind(task_id)
    .bind(decision.task_status())
    .bind(actor.user_id)
    .bind(comment)
    .bind(approval_id)
    .bind(step)
    .fetch_one(&mut *conn)
    .await?;
    let c = Changes::new()
        .created("decision", &decision.task_status())
        .created("comment", &comment);
    audit::record(
        &mut *conn,
        actor,
        &format!("approval.{}", decision.task_status()),
        "approval_task",
        Some(task_id),
        c,
    )
    .await?;
    notify::changed(&mut *conn, requirement_id).await?;
    let r = requirement::find(conn, requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let name = name_of(conn, actor.user_id).await?;
    if decision != Decision::Approve {
        let (approval_status, action) = match decision {
            Decision::Reject => ("rejected", Action::Reject),
            _ => ("changes_requested", Action::RequestChanges),
        };
        supersede(conn, approval_id, None).await?;
        sqlx::query("update approvals set status = $2, decided_at = now() where id = $1")
            .bind(approval_id)
            .bind(approval_status)
            .execute(&mut *conn)
            .await?;
        let declined_change = action == Action::Reject && decline_change(conn, actor, &r).await?;
        if declined_change {
            let version = current_version(conn, r.id).await?;
            requirement::apply(
                &mut *conn,
                actor,
                r.id,
                version,
                Action::DeclineChange,
                comment,
            )
            .await?;
            return_to(conn, actor, approval_id, r.id).await?;
        } else {
            requirement::apply(&mut *conn, actor, r.id, r.version, action, comment).await?;
        }
        let (event, label) = match decision {
            Decision::Reject if declined_change => {
                (Event::ApprovalRejected, "kept at its approved values")
            }
            Decision::Reject => (Event::ApprovalRejected, "rejected"),
            _ => (Event::ApprovalChangesRequested, "sent back for changes"),
        };
        tell_requester(conn, actor, mail, &r, event, label, comment, &name).await?;
        return Ok(());
    }
    let needed = required.map_or(total, i64::from);
    let complete = approved >= needed && {
        supersede(conn, approval_id, Some(step)).await?;
        advance(conn, actor, mail, approval_id, &r).await?
    };
    // The last approval tells the requester it is approved (in advance);
    // the ones before say how far it got.
    if !complete {
        let label = format!("approved at the {step_name} step");
        let event = Event::ApprovalStepApproved;
        tell_requester(conn, actor, mail, &r, event, &label, comment, &name).await?;
    }
    Ok(())
}

/// An admin hands a waiting task to someone else, who is told by mail.
pub async fn reassign(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &MailRenderer,
    task_id: Uuid,
    to: Uuid,
) -> Result<(), DecideError> {
    let task = task(&mut *conn, task_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let r = requirement::find(&mut *conn, task.requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    if r.names(to) {
        return Err(DecideError::NotYours);
    }
    let moved = sqlx::query(
        "update approval_tasks t set approver_id = $2 from users u
          where t.id = $1 and t.status = 'pending' and u.id = $2 and u.deactivated_at is null
            and not exists (select 1 from approval_tasks o
                             where o.approval_id = t.approval_id and o.step = t.step and o.approver_id = $2)",
    )
    .bind(task_id)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() == 0 {
        return Err(DecideError::Decided);
    }
    let c = Changes::new().field("approver_id", &task.approver_id, &to);
    audit::record(
        &mut *conn,
        actor,
        "approval.reassigned",
        "approval_task",
        Some(task_id),
        c,
    )
    .await?;
    ask(conn, actor, mail, &r, task_id, to).await
}

/// Whole weekdays (Monday to Friday) from `start` to `now`: SLAs count
/// business days, so a Friday request is not overdue on Monday morning.
pub fn business_days_between(start: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    use chrono::Datelike;
    let mut days = 0;
    let mut day = start;
    while day + chrono::Duration::days(1) <= now {
        day += chrono::Duration::days(1);
        if day.weekday().number_from_monday() <= 5 {
            days += 1;
        }
    }
    days
}

/// Reminds approvers whose task is past its step's SLA, and after a second
/// SLA tells their manager and the admins. Each goes out once per task: the
/// reminder row is claimed before the mail is queued, in one transaction,
/// so processes running this at the same moment cannot both send.
pub async fn remind_overdue(
    conn: &mut PgConnection,
    mail: &MailRenderer,
    now: DateTime<Utc>,
) -> Result<usize, DecideError> {
    let pending: Vec<(Uuid, Uuid, DateTime<Utc>, i32, Uuid)> = sqlx::query_as(
        "select t.id, t.approver_id, t.started_at, t.sla_hours, a.requirement_id
           from approval_tasks t
           join approvals a on a.id = t.approval_id
          where t.status = 'pending' and t.started_at is not null
            -- Escalated tasks are done with: with thousands waiting, each
            -- tick would otherwise re-claim every one of them.
            and not exists (select 1 from approval_reminders r where r.task_id = t.id and r.kind = 'escalation')",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for (task_id, approver, started, sla_hours, requirement_id) in pending {
        let sla_days = ((i64::from(sla_hours) + 23) / 24).max(1);
        let waited = business_days_between(started, now);
        for (kind, due) in [("reminder", sla_days), ("escalation", 2 * sla_days)] {
            if waited < due {
                continue;
            }
            let claimed = sqlx::query("insert into approval_reminders (task_id, kind) values ($1, $2) on conflict do nothing")
                .bind(task_id)
                .bind(kind)
                .execute(&mut *conn)
                .await?;
            if claimed.rows_affected() == 0 {
                continue;
            }
            let r = requirement::find(&mut *conn, requirement_id)
                .await?
                .ok_or(TransitionError::Save(SaveError::NotFound))?;
            let name = name_of(conn, Some(approver)).await?;
            let recipients: Vec<Uuid> = if kind == "reminder" {
                vec![approver]
            } else {
                sqlx::query_scalar(
                    "select id from users
                      where deactivated_at is null
                        and (id = (select manager_id from users where id = $1)
                             or roles && array['admin', 'super_admin'])",
                )
                .bind(approver)
                .fetch_all(&mut *conn)
                .await?
            };
            let what = if kind == "reminder" {
                "is overdue for your approval".to_owned()
            } else {
                format!("is overdue with {name}")
            };
            let notice = Notice::task(Event::ApprovalReminder, &r, task_id, &what, None);
            for to in notify::notify(&mut *conn, &notice, &recipients).await? {
                let m = mail.approval_overdue(
                    &to.email,
                    &to.full_name,
                    &r,
                    task_id,
                    &name,
                    kind == "escalation",
                    waited,
                )?;
                outbox::queue(&mut *conn, &m).await?;
                sent += 1;
            }
            let c = Changes::new()
                .created("kind", &kind)
                .created("business_days_waited", &waited);
            audit::record(
                &mut *conn,
                &Actor::system(),
                &format!("approval.{kind}"),
                "approval_task",
                Some(task_id),
                c,
            )
            .await?;
        }
    }
    Ok(sent)
}

/// True when `approver` is out of office today with `delegate` acting for them.
async fn delegates_to(
    conn: &mut PgConnection,
    approver: Uuid,
    delegate: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from users where id = $1 and delegate_id = $2
                          and current_date between delegate_from and delegate_until)",
    )
    .bind(approver)
    .bind(delegate)
    .fetch_one(conn)
    .await
}

/// Whether `user` may decide the task: its approver, or their delegate today.
pub async fn may_decide(
    conn: &mut PgConnection,
    user: Uuid,
    task: &Task,
) -> Result<bool, sqlx::Error> {
    Ok(task.approver_id == user || delegates_to(conn, task.approver_id, user).await?)
}

/// Ends the still-open tasks of one step (or of the whole approval).
async fn supersede(
    conn: &mut PgConnection,
    approval_id: Uuid,
    step: Option<i32>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update approval_tasks set status = 'superseded', decided_at = now()
          where approval_id = $1 and ($2::int is null or step = $2) and status in ('pending', 'waiting')",
    )
    .bind(approval_id)
    .bind(step)
    .execute(conn)
    .await?;
    Ok(())
}

/// One task as the inbox and the decision page show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: Uuid,
    /// The round of approval it belongs to (a requirement resubmitted or
    /// changed after approval has several).
    pub approval_id: Uuid,
    pub requirement_id: Uuid,
    pub reference: String,
    pub title: String,
    pub step: i32,
    pub step_name: String,
    pub approver_id: Uuid,
    pub approver_name: String,
    pub status: String,
    pub comment: String,
    /// Who decided, when not the approver: their delegate.
    pub decided_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

macro_rules! task_select {
    () => {
        "select t.id, t.approval_id, a.requirement_id, r.reference, r.title, t.step, t.step_name, t.approver_id,
                u.full_name as approver_name, t.status, t.comment,
                case when t.decided_by <> t.approver_id then d.full_name end as decided_by_name,
                t.created_at, t.decided_at
           from approval_tasks t
           join approvals a on a.id = t.approval_id
           join requirements r on r.id = a.requirement_id
           join users u on u.id = t.approver_id
           left join users d on d.id = t.decided_by "
    };
}

pub async fn task(conn: &mut PgConnection, id: Uuid) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as(concat!(task_select!(), "where t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A task and the [`trail`] of its requirement, in one round trip: the
/// decision page shows both. The trail leaves superseded tasks out, as
/// [`trail`] does, even when the task itself is one.
pub async fn task_with_trail(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(Task, Vec<Task>)>, sqlx::Error> {
    let rows: Vec<Task> = sqlx::query_as(concat!(
        task_select!(),
        "where a.requirement_id = (select a.requirement_id from approval_tasks t
                                     join approvals a on a.id = t.approval_id where t.id = $1)
           and (t.status <> 'superseded' or t.id = $1)
         order by a.created_at, t.step, u.full_name"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    let Some(task) = rows.iter().find(|t| t.id == id).cloned() else {
        return Ok(None);
    };
    let trail = rows
        .into_iter()
        .filter(|t| t.status != "superseded")
        .collect();
    Ok(Some((task, trail)))
}

/// Waiting for `user` (theirs, and those of people they stand in for
/// today), or decided by them, newest first.
pub async fn inbox(
    conn: &mut PgConnection,
    user: Uuid,
    pending: bool,
) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query_as(concat!(
        task_select!(),
        "where r.deleted_at is null
           and case when $2
                    then t.status = 'pending'
                         and (t.approver_id = $1 or t.approver_id in (
                               select id from users where delegate_id = $1
                                  and current_date between delegate_from and delegate_until))
                    else t.decided_by = $1 and t.status in ('approved', 'rejected', 'changes_requested') end
         order by coalesce(t.decided_at, t.created_at) desc limit 100"
    ))
    .bind(user)
    .bind(pending)
    .fetch_all(conn)
    .await
}

/// Every decision and open task of the requirement's approvals, in order.
pub async fn trail(
    conn: &mut PgConnection,
    requirement_id: Uuid,
) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query_as(concat!(
        task_select!(),
        "where a.requirement_id = $1 and t.status <> 'superseded' order by a.created_at, t.step, u.full_name"
    ))
    .bind(requirement_id)
    .fetch_all(conn)
    .await
}

pub async fn pending_count(conn: &mut PgConnection, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from approval_tasks where approver_id = $1 and status = 'pending'",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

/// The workflow version a requirement's latest round of approval follows
/// (frozen when it was submitted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Route {
    pub workflow_id: Uuid,
    pub name: String,
    pub version: i32,
}

pub async fn route(
    conn: &mut PgConnection,
    requirement: Uuid,
) -> Result<Option<Route>, sqlx::Error> {
    sqlx::query_as(
        "select a.workflow_id, v.name, a.workflow_version as version
           from approvals a
           join workflow_versions v on v.workflow_id = a.workflow_id and v.version = a.workflow_version
          where a.requirement_id = $1
          order by a.created_at desc limit 1",
    )
    .bind(requirement)
    .fetch_optional(conn)
    .await
}

impl Task {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "pending" => "Waiting",
            "approved" => "Approved",
            "rejected" => "Rejected",
            "changes_requested" => "Changes requested",
            "waiting" => "Not yet reached",
            _ => "Not needed",
        }
    }
}
