//! The approval engine: a submitted requirement runs through its
//! workflow's steps; each step's approvers decide in parallel, steps in
//! order. Decisions are rows ([`approval_tasks`]), taken under a lock on the
//! approval so two approvers deciding at once leave one consistent outcome.
//!
//! [`approval_tasks`]: ../../../migrations/20261124000003_approvals.sql

use super::audit::{self, Actor, Changes};
use super::notify::{self, Event, Notice};
use super::outbox;
use super::requirement::{self, Action, Asker, Requirement, RequirementFields, TransitionError};
use super::workflow::{self, Step};
use super::{After, SaveError};
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
    /// No step has anyone who may approve: submitting would approve by
    /// default. `cause` says why, step by step, in words for the requester.
    #[error("nobody can approve this requirement: {cause}")]
    NoApprovers { cause: String },
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

/// Who approves one step of a requirement's approval.
struct Chosen {
    people: Vec<Uuid>,
    /// Set when everyone the step names requested or works on the
    /// requirement, so these people stand in: who they are, in words.
    fallback: Option<&'static str>,
}

/// Who may approve `step` for `r`: never the requirement's own people
/// (DOMAIN.md). When the step's only approvers are its own people, the step
/// is not dropped but passes to a fallback: the one the workflow names for
/// the step, else the nearest parent department's head, then those
/// approvers' managers, then the admins. Without anyone at all, why (in
/// words for the requester).
async fn approvers(
    conn: &mut PgConnection,
    step: &Step,
    r: &Requirement,
) -> Result<Result<Chosen, String>, sqlx::Error> {
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
    if active.is_empty() {
        return Ok(Err(match step.approver_kind.as_str() {
            "users" => "none of the people it names is active".to_owned(),
            "role" => format!(
                "nobody active has the {} role",
                step.approver_role
                    .as_deref()
                    .and_then(crate::auth::Role::parse)
                    .map_or("?", crate::auth::Role::label)
            ),
            "department_head" => "the department has no head".to_owned(),
            _ => "the hiring manager has no manager".to_owned(),
        }));
    }
    let eligible: Vec<Uuid> = active.iter().copied().filter(|id| !r.names(*id)).collect();
    if !eligible.is_empty() {
        return Ok(Ok(Chosen {
            people: eligible,
            fallback: None,
        }));
    }
    // Someone named on the requirement never stands in either.
    let own: Vec<Uuid> = [
        Some(r.hiring_manager_id),
        Some(r.created_by),
        r.recruiter_id,
    ]
    .into_iter()
    .flatten()
    .collect();
    // The stand-ins in order, in one statement: the first tier that has
    // anyone active and not named on the requirement takes the step.
    let rows: Vec<(i32, Uuid)> = sqlx::query_as(
        "with recursive up (parent_id, head_id, depth) as (
             select p.parent_id, p.head_id, 1 from departments d
               join departments p on p.id = d.parent_id where d.id = $2
             union all
             select p.parent_id, p.head_id, up.depth + 1 from up
               join departments p on p.id = up.parent_id where up.depth < 32),
         candidates (tier, id) as (
             select 0, id from users where id = $1
             union all
             (select 1, up.head_id from up join users u on u.id = up.head_id
               where u.deactivated_at is null and u.id <> all($4)
               order by up.depth limit 1)
             union all
             select distinct 2, a.manager_id from users a where a.id = any($3)
             union all
             select 3, id from users where roles && array['admin', 'super_admin'])
         select c.tier, c.id from candidates c join users u on u.id = c.id
          where u.deactivated_at is null and u.id <> all($4)
          order by c.tier, c.id",
    )
    .bind(step.fallback_id)
    .bind(r.department_id)
    .bind(&active)
    .bind(&own)
    .fetch_all(&mut *conn)
    .await?;
    if let Some(&(first, _)) = rows.first() {
        const TIERS: [&str; 4] = [
            "the step's own stand-in",
            "the parent department's head",
            "the approver's manager",
            "the admins",
        ];
        return Ok(Ok(Chosen {
            people: rows
                .iter()
                .filter(|(tier, _)| *tier == first)
                .map(|(_, id)| *id)
                .collect(),
            fallback: usize::try_from(first)
                .ok()
                .and_then(|t| TIERS.get(t))
                .copied(),
        }));
    }
    Ok(Err(
        "its approvers requested or work on this requirement, and no parent department head, \
         manager or admin can stand in for them"
            .to_owned(),
    ))
}

/// Submits the requirement and starts its approval (in the caller's
/// transaction): tasks for every step, the first step's approvers told.
/// `action` is [`Action::Submit`] for a draft (or a requirement whose
/// changes were requested), or [`Action::SubmitChange`] for an approved one
/// whose material fields were just edited: the approval is then for the
/// change, and the requirement returns to where it was once the change is
/// decided. Each is refused where the lifecycle does not have it, and to
/// anyone `asker` says may not ask for it.
pub async fn submit(
    conn: &mut PgConnection,
    actor: &Actor,
    asker: Asker<'_>,
    mail: &MailRenderer,
    requirement_id: Uuid,
    version: i32,
    action: Action,
) -> Result<(), DecideError> {
    let before = requirement::find(&mut *conn, requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    let resume_status = match action {
        Action::SubmitChange => Some(before.status),
        Action::Submit => {
            // A resubmission after "request changes" carries on what the
            // asking approval was for.
            let earlier: Option<Option<String>> = sqlx::query_scalar(
                "select resume_status from approvals where requirement_id = $1
                  order by created_at desc limit 1",
            )
            .bind(requirement_id)
            .fetch_optional(&mut *conn)
            .await?;
            earlier.flatten()
        }
        other => {
            return Err(TransitionError::NotAllowed {
                action: other.as_str(),
                from: before.status().as_str(),
            }
            .into());
        }
    };
    requirement::apply(
        &mut *conn,
        actor,
        asker,
        requirement_id,
        version,
        action,
        "",
    )
    .await?;
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
    let mut causes = Vec::new();
    for (position, step) in (1..).zip(&steps).filter(|(p, _)| *p >= resume_at) {
        let chosen = match approvers(&mut *conn, step, &r).await? {
            Ok(chosen) => chosen,
            Err(cause) => {
                // Nobody eligible at all (no head set, or only the
                // requirement's own people and no one to stand in): the step
                // is skipped, and the skip is on record with its cause.
                let c = Changes::new()
                    .created("step", &step.name)
                    .created("reason", &"no eligible approver")
                    .created("cause", &cause);
                audit::record(
                    &mut *conn,
                    actor,
                    "approval.step_skipped",
                    "requirement",
                    Some(r.id),
                    c,
                )
                .await?;
                causes.push(format!("{}: {cause}", step.name));
                continue;
            }
        };
        if let Some(who) = chosen.fallback {
            // The step's own approvers requested or work on the requirement:
            // it passes to someone else, on record.
            let c = Changes::new()
                .created("step", &step.name)
                .created(
                    "reason",
                    &"its approvers requested or work on this requirement",
                )
                .created("passed_to", &who)
                .created("approver_ids", &chosen.people);
            audit::record(
                &mut *conn,
                actor,
                "approval.step_passed_up",
                "requirement",
                Some(r.id),
                c,
            )
            .await?;
        }
        let people = chosen.people;
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
        return Err(DecideError::NoApprovers {
            cause: causes.join("; "),
        });
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
        requirement::apply(
            &mut *conn,
            actor,
            Asker::App,
            r.id,
            version,
            Action::Approve,
            "",
        )
        .await?;
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
    // A stand-in who requested or works on the requirement never decides
    // it for the approver: the task stays the approver's, on record.
    let stand_in: Option<Uuid> = sqlx::query_scalar(
        "select delegate_id from users
          where id = $1 and current_date between delegate_from and delegate_until",
    )
    .bind(approver)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    if let Some(stand_in) = stand_in.filter(|d| r.names(*d)) {
        let c = Changes::new().created("stand_in", &stand_in).created(
            "reason",
            &"the stand-in requested or works on this requirement",
        );
        audit::record(
            &mut *conn,
            actor,
            "approval.stand_in_skipped",
            "approval_task",
            Some(task_id),
            c,
        )
        .await?;
    }
    let notice = Notice::task(
        Event::ApprovalPending,
        r,
        task_id,
        "waits for your approval",
        actor.user_id,
    );
    for to in notify::notify(&mut *conn, &notice, &[approver]).await? {
        let token = issue_link(&mut *conn, &mail.secret, task_id, approver, r.id).await?;
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

/// A new single-use link token for the task, bound to the person it is
/// mailed to and to the requirement's current version.
async fn issue_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: Uuid,
    approver: Uuid,
    requirement: Uuid,
) -> Result<String, sqlx::Error> {
    let token = crate::auth::random_token(32);
    sqlx::query(
        "insert into approval_links (task_id, approver_id, requirement_version, digest, expires_at)
         select $1, $5, version, $2, now() + $3::interval from requirements where id = $4",
    )
    .bind(task)
    .bind(crate::auth::token_digest(secret, &token))
    .bind(LINK_LIFETIME)
    .bind(requirement)
    .bind(approver)
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
    /// The person it was mailed to may no longer decide from it: the task
    /// went to someone else, their account was deactivated, or they now
    /// requested or work on the requirement.
    Withdrawn,
    /// The approval was called off (its requirement deleted or
    /// cancelled): nothing waits for a decision any more.
    Cancelled,
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
    #[derive(sqlx::FromRow)]
    struct Row {
        cancelled: bool,
        used: bool,
        expired: bool,
        withdrawn: bool,
        stale: bool,
        approver_id: Uuid,
        requirement_id: Uuid,
        sent: DateTime<Utc>,
    }
    let row: Option<Row> = sqlx::query_as(
        "select l.voided_at is not null as cancelled,
                l.used_at is not null as used, l.expires_at <= now() as expired,
                (l.approver_id <> t.approver_id or u.deactivated_at is not null
                 or l.approver_id in (r.hiring_manager_id, r.created_by)
                 or r.recruiter_id is not distinct from l.approver_id) as withdrawn,
                (l.requirement_version <> r.version or t.status <> 'pending') as stale,
                l.approver_id, r.id as requirement_id, l.created_at as sent
           from approval_links l
           join approval_tasks t on t.id = l.task_id
           join approvals a on a.id = t.approval_id
           join requirements r on r.id = a.requirement_id
           join users u on u.id = l.approver_id
          where l.digest = $1 and l.task_id = $2",
    )
    .bind(crate::auth::token_digest(secret, token))
    .bind(task)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => Link::Unknown,
        Some(r) if r.cancelled => Link::Cancelled,
        Some(r) if r.used => Link::Used,
        Some(r) if r.expired => Link::Expired,
        Some(r) if r.withdrawn => Link::Withdrawn,
        Some(r) if r.stale => Link::Stale {
            requirement: r.requirement_id,
            sent: r.sent,
        },
        Some(r) => Link::Valid {
            approver: r.approver_id,
        },
    })
}

/// Whether a session that a mailed link let in as `approver` still stands
/// for `task`: the task is still theirs and their account is active.
pub async fn grant_holds(
    conn: &mut PgConnection,
    task: Uuid,
    approver: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from approval_tasks t join users u on u.id = t.approver_id
                         where t.id = $1 and t.approver_id = $2 and u.deactivated_at is null)",
    )
    .bind(task)
    .bind(approver)
    .fetch_one(conn)
    .await
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
            Asker::App,
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
    let before = requirement::find(&mut *conn, requirement_id)
        .await?
        .ok_or(TransitionError::Save(SaveError::NotFound))?;
    // Nobody decides on a requirement they requested or work on, neither
    // for themselves nor standing in for someone; nor anyone deactivated.
    if !eligible(&mut *conn, &before, approver).await?
        || !eligible(&mut *conn, &before, deciding).await?
    {
        return Err(DecideError::NotYours);
    }
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
                Asker::App,
                r.id,
                version,
                Action::DeclineChange,
                comment,
            )
            .await?;
            return_to(conn, actor, approval_id, r.id).await?;
        } else {
            requirement::apply(
                &mut *conn,
                actor,
                Asker::App,
                r.id,
                r.version,
                action,
                comment,
            )
            .await?;
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

/// Calls off the requirement's approval in progress, when the requirement
/// is deleted or cancelled (in that transaction): every task not yet
/// decided is cancelled, each with its audit row, the approval with them,
/// and the links mailed for those tasks are void, so nothing waits in an
/// inbox or opens from a mail for a requirement that is gone.
pub async fn cancel(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement_id: Uuid,
) -> Result<(), sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Cancelled {
        id: Uuid,
        was: String,
    }
    let tasks: Vec<Cancelled> = sqlx::query_as(
        "with undecided as (
             select t.id, t.status from approval_tasks t
               join approvals a on a.id = t.approval_id
              where a.requirement_id = $1 and t.status in ('pending', 'waiting')
                for update of t)
         update approval_tasks t set status = 'cancelled', decided_at = now()
           from undecided u where t.id = u.id
         returning t.id, u.status as was",
    )
    .bind(requirement_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update approvals set status = 'cancelled', decided_at = now()
          where requirement_id = $1 and status = 'pending'",
    )
    .bind(requirement_id)
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    sqlx::query(
        "update approval_links set voided_at = now() where task_id = any($1) and voided_at is null",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    for task in tasks {
        let c = Changes::new().field("status", &task.was.as_str(), &"cancelled");
        audit::record(
            &mut *conn,
            actor,
            "approval.cancelled",
            "approval_task",
            Some(task.id),
            c,
        )
        .await?;
    }
    Ok(())
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

/// Whether `user` may take part in deciding on `r` at all: active, and not
/// one of its own people.
async fn eligible(
    conn: &mut PgConnection,
    r: &Requirement,
    user: Uuid,
) -> Result<bool, sqlx::Error> {
    if r.names(user) {
        return Ok(false);
    }
    sqlx::query_scalar(
        "select exists (select 1 from users where id = $1 and deactivated_at is null)",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

/// Whether `user` may decide the task on `r`: its approver, or their
/// delegate today, while both are eligible ([`decide`] checks the same).
pub async fn may_decide(
    conn: &mut PgConnection,
    user: Uuid,
    task: &Task,
    r: &Requirement,
) -> Result<bool, sqlx::Error> {
    Ok(
        (task.approver_id == user || delegates_to(&mut *conn, task.approver_id, user).await?)
            && eligible(&mut *conn, r, task.approver_id).await?
            && eligible(conn, r, user).await?,
    )
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
    /// When its step began and its approver was asked.
    pub started_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

macro_rules! task_select {
    () => {
        "select t.id, t.approval_id, a.requirement_id, r.reference, r.title, t.step, t.step_name, t.approver_id,
                u.full_name as approver_name, t.status, t.comment,
                case when t.decided_by <> t.approver_id then d.full_name end as decided_by_name,
                t.created_at, t.started_at, t.decided_at
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

/// How many tasks one page of the inbox shows.
pub const INBOX_PAGE: i64 = 50;

/// One page of an inbox tab, and where the next starts, if there is one.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub tasks: Vec<Task>,
    pub next: Option<After>,
}

impl InboxPage {
    /// The tasks of one page, from `keys`: up to one more than a page of
    /// (position, id) in the tab's order. The tasks are then read by id,
    /// leaving out those on deleted requirements and on requirements `user`
    /// requested or works on (the waiting tab's keys leave them out already,
    /// see [`waiting_for`]; the decided tab's are read from its index
    /// alone), so a page may show fewer; the next one starts after the last
    /// key read either way, so nothing is skipped or shown twice.
    async fn read(
        conn: &mut PgConnection,
        user: Uuid,
        mut keys: Vec<(DateTime<Utc>, Uuid)>,
    ) -> Result<InboxPage, sqlx::Error> {
        let more = keys.len() as i64 > INBOX_PAGE;
        keys.truncate(INBOX_PAGE as usize);
        let next = keys
            .last()
            .filter(|_| more)
            .map(|(at, id)| After { at: *at, id: *id });
        let ids: Vec<Uuid> = keys.iter().map(|(_, id)| *id).collect();
        let mut tasks: Vec<Task> = sqlx::query_as(concat!(
            task_select!(),
            "where t.id = any($1) and r.deleted_at is null
               and $2 not in (r.hiring_manager_id, r.created_by) and r.recruiter_id is distinct from $2"
        ))
        .bind(&ids)
        .bind(user)
        .fetch_all(conn)
        .await?;
        tasks.sort_by_key(|t| ids.iter().position(|id| *id == t.id));
        Ok(InboxPage { tasks, next })
    }
}

/// The tasks waiting for one person, as rows `(started_at, id)`: pending
/// (deleting or cancelling a requirement calls its tasks off, see
/// [`cancel`]), theirs or of someone they stand in for today, and not on a
/// requirement they requested or work on (never theirs to decide). `$who`
/// is the person, as SQL; `$walk` ends each approver's walk of the waiting
/// index (a keyset bound, the order, a limit). The inbox pages it and the
/// navigation counts it (`crate::auth::user`): one definition, so the count
/// is what the inbox lists.
///
/// The count runs on every page, so neither part costs a probe per task:
/// the walk reads the waiting index alone, and the requirements the person
/// is named on are found from their side, through the indexes on pending
/// requirements' people (migration 20261203300003), once per statement.
macro_rules! waiting_for {
    ($who:literal, $walk:literal) => {
        concat!(
            "select p.started_at, p.id
               from (select ", $who, "::uuid as id
                     union all
                     select id from users where delegate_id = ", $who, "
                        and current_date between delegate_from and delegate_until) me
              cross join lateral (
                     select t.id, t.started_at from approval_tasks t
                      where t.approver_id = me.id and t.status = 'pending'
                        and t.id not in (
                            select x.id from requirements r
                              join approvals a on a.requirement_id = r.id and a.status = 'pending'
                              join approval_tasks x on x.approval_id = a.id and x.status = 'pending'
                             where r.status = 'pending_approval' and r.deleted_at is null
                               and ", $who, " in (r.hiring_manager_id, r.created_by, r.recruiter_id)) ",
            $walk, ") p "
        )
    };
}
pub(crate) use waiting_for;

/// Waiting for `user` (theirs, and those of people they stand in for
/// today), the longest waiting first: one walk of the waiting index per
/// person, stopping at a page.
pub async fn waiting(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<After>,
) -> Result<InboxPage, sqlx::Error> {
    let keys: Vec<(DateTime<Utc>, Uuid)> = sqlx::query_as(concat!(
        waiting_for!(
            "$1",
            "and (t.started_at, t.id) > (coalesce($2, '-infinity'),
                                         coalesce($3, '00000000-0000-0000-0000-000000000000'))
             order by t.started_at, t.id
             limit $4"
        ),
        "order by p.started_at, p.id limit $4"
    ))
    .bind(user)
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
    .bind(INBOX_PAGE + 1)
    .fetch_all(&mut *conn)
    .await?;
    InboxPage::read(conn, user, keys).await
}

/// Decided by `user`, the newest first: one backward walk of the decided
/// index, stopping at a page.
pub async fn decided(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<After>,
) -> Result<InboxPage, sqlx::Error> {
    let keys: Vec<(DateTime<Utc>, Uuid)> = sqlx::query_as(
        "select t.decided_at, t.id from approval_tasks t
          where t.decided_by = $1 and t.status in ('approved', 'rejected', 'changes_requested')
            and (t.decided_at, t.id) < (coalesce($2, 'infinity'),
                                        coalesce($3, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
          order by t.decided_at desc, t.id desc
          limit $4",
    )
    .bind(user)
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
    .bind(INBOX_PAGE + 1)
    .fetch_all(&mut *conn)
    .await?;
    InboxPage::read(conn, user, keys).await
}

/// Why the requirement's latest approval asked for changes: who asked (and
/// for whom, standing in), when, and what to change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangesAsked {
    pub by_name: String,
    /// The approver a stand-in asked for.
    pub for_name: Option<String>,
    pub at: DateTime<Utc>,
    pub comment: String,
}

pub async fn changes_asked(
    conn: &mut PgConnection,
    requirement_id: Uuid,
) -> Result<Option<ChangesAsked>, sqlx::Error> {
    sqlx::query_as(
        "select d.full_name as by_name,
                case when t.decided_by <> t.approver_id then u.full_name end as for_name,
                t.decided_at as at, t.comment
           from approval_tasks t
           join approvals a on a.id = t.approval_id
           join users u on u.id = t.approver_id
           join users d on d.id = t.decided_by
          where a.requirement_id = $1 and t.status = 'changes_requested' and t.decided_at is not null
          order by t.decided_at desc limit 1",
    )
    .bind(requirement_id)
    .fetch_optional(conn)
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
            "cancelled" => "Cancelled",
            _ => "Not needed",
        }
    }
}
