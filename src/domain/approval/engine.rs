//! Submitting, advancing, deciding and reassigning: an approval's moves.

use super::Decision;
use super::links::issue_link;
use super::subject::{About, Applied, Areas, Ending, Outcome, Subject, SubjectKind, SubjectRef};
use super::tasks::{Task, TaskId, TaskStatus, task};
use super::workflow::{self, Step};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::history::FieldChange;
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::messaging::Letters;
use crate::domain::messaging::outbox;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::PgConnection;
use uuid::Uuid;

/// Who approves one step of a subject's approval.
struct Chosen {
    people: Vec<Uuid>,
    /// Set when everyone the step names requested or works on the
    /// subject, so these people stand in: who they are, in words.
    fallback: Option<&'static str>,
}

/// Who may approve `step` for `r`: never the subject's own people
/// (DOMAIN.md). When the step's only approvers are its own people, the step
/// is not dropped but passes to a fallback: the one the workflow names for
/// the step, else the nearest parent department's head, then those
/// approvers' managers, then the admins. Without anyone at all, why (in
/// words for the requester).
async fn approvers(
    conn: &mut PgConnection,
    step: &Step,
    r: &About,
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
                .bind(r.facts.department_id)
                .fetch_all(&mut *conn)
                .await?
            }
            _ => {
                sqlx::query_scalar(
                    "select manager_id from users where id = $1 and manager_id is not null",
                )
                .bind(r.requester_id)
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
                    .and_then(crate::domain::access::Role::parse)
                    .map_or("?", crate::domain::access::Role::label)
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
    // Someone named on the subject never stands in either.
    let own = &r.own_people;
    // The stand-ins in order, in one statement: the first tier that has
    // anyone active and not named on the subject takes the step.
    #[derive(sqlx::FromRow)]
    struct Candidate {
        tier: i32,
        id: Uuid,
    }
    let rows: Vec<Candidate> = sqlx::query_as(
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
    .bind(r.facts.department_id)
    .bind(&active)
    .bind(own)
    .fetch_all(&mut *conn)
    .await?;
    if let Some(first) = rows.first().map(|c| c.tier) {
        const TIERS: [&str; 4] = [
            "the step's own stand-in",
            "the parent department's head",
            "the approver's manager",
            "the admins",
        ];
        return Ok(Ok(Chosen {
            people: rows
                .iter()
                .filter(|c| c.tier == first)
                .map(|c| c.id)
                .collect(),
            fallback: usize::try_from(first)
                .ok()
                .and_then(|t| TIERS.get(t))
                .copied(),
        }));
    }
    Ok(Err(format!(
        "its approvers requested or work on this {}, and no parent department head, \
         manager or admin can stand in for them",
        r.subject.kind.as_str()
    )))
}

/// Where a resubmission after "request changes" carries on from: the
/// status the subject's latest approval was to return it to, if it was for
/// a change.
pub async fn resume_status(
    conn: &mut PgConnection,
    subject: SubjectRef,
) -> Result<Option<String>, sqlx::Error> {
    let earlier: Option<Option<String>> = sqlx::query_scalar(
        "select resume_status from approvals where subject_type = $1 and subject_id = $2
          order by created_at desc limit 1",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_optional(conn)
    .await?;
    Ok(earlier.flatten())
}

/// Starts the approval of a subject its area has just moved into approval
/// (in the caller's transaction): tasks for every step, the first step's
/// approvers told. `resume_status` is set when the approval is for a change
/// to something already approved: the status it returns to once the change
/// is decided.
pub async fn submit(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    subject: &dyn Subject,
    id: Uuid,
    resume_status: Option<&str>,
) -> Result<(), Error> {
    let r = subject
        .about(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    let (workflow_id, workflow_version, steps) =
        workflow::for_subject(&mut *conn, r.subject.kind, &r.facts).await?;
    let approval_id: Uuid = sqlx::query_scalar(
        "insert into approvals (subject_type, subject_id, workflow_id, workflow_version, requester_id, fields, resume_status)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(r.subject.kind)
    .bind(r.subject.id)
    .bind(workflow_id)
    .bind(workflow_version)
    .bind(r.requester_id)
    .bind(&r.snapshot)
    .bind(resume_status)
    .fetch_one(&mut *conn)
    .await?;
    // A resubmission after "request changes" resumes at the step that asked:
    // the steps before it approved this subject already.
    let resume_at: i32 = sqlx::query_scalar(
        "select coalesce(max(t.step), 1) from approval_tasks t
           join approvals a on a.id = t.approval_id
          where a.subject_type = $1 and a.subject_id = $2 and t.status = 'changes_requested'
            and a.created_at = (select max(created_at) from approvals
                                 where subject_type = $1 and subject_id = $2 and id <> $3)",
    )
    .bind(r.subject.kind)
    .bind(r.subject.id)
    .bind(approval_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut causes = Vec::new();
    for (position, step) in (1..).zip(&steps).filter(|(p, _)| *p >= resume_at) {
        let chosen = match approvers(&mut *conn, step, &r).await? {
            Ok(chosen) => chosen,
            Err(cause) => {
                // Nobody eligible at all (no head set, or only the
                // subject's own people and no one to stand in): the step
                // is skipped, and the skip is on record with its cause.
                let c = Changes::new()
                    .created("step", &step.name)
                    .created("reason", &"no eligible approver")
                    .created("cause", &cause);
                audit::record(
                    &mut *conn,
                    actor,
                    audit::Action::ApprovalStepSkipped,
                    r.subject.kind.into(),
                    Some(r.subject.id),
                    c,
                )
                .await?;
                causes.push(format!("{}: {cause}", step.name));
                continue;
            }
        };
        if let Some(who) = chosen.fallback {
            // The step's own approvers requested or work on the subject: it
            // passes to someone else, on record.
            let reason = format!(
                "its approvers requested or work on this {}",
                r.subject.kind.as_str()
            );
            let c = Changes::new()
                .created("step", &step.name)
                .created("reason", &reason)
                .created("passed_to", &who)
                .created("approver_ids", &chosen.people);
            audit::record(
                &mut *conn,
                actor,
                audit::Action::ApprovalStepPassedUp,
                r.subject.kind.into(),
                Some(r.subject.id),
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
        return Err(Error::refused(format!(
            "Nobody can approve this {} yet ({}). Ask an admin.",
            r.subject.kind.as_str(),
            causes.join("; ")
        )));
    }
    advance(conn, actor, mail, subject, approval_id, &r).await?;
    Ok(())
}

/// Starts the next step that has approvers, or, when none is left, marks
/// the approval approved and has the subject apply it (and says so: true).
async fn advance(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    subject: &dyn Subject,
    approval_id: Uuid,
    r: &About,
) -> Result<bool, Error> {
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
        end(conn, actor, subject, approval_id, r, Outcome::Approved, "").await?;
        let name = name_of(conn, actor.user_id).await?;
        let event = match r.subject.kind {
            SubjectKind::Offer => Event::OfferApproved,
            _ => Event::ApprovalApproved,
        };
        tell_requester(conn, actor, mail, r, event, "approved", "", &name).await?;
        return Ok(true);
    };
    #[derive(sqlx::FromRow)]
    struct Started {
        id: TaskId,
        approver_id: Uuid,
    }
    let started: Vec<Started> = sqlx::query_as(
        "update approval_tasks set status = 'pending', started_at = now()
          where approval_id = $1 and step = $2 and status = 'waiting'
          returning id, approver_id",
    )
    .bind(approval_id)
    .bind(step)
    .fetch_all(&mut *conn)
    .await?;
    for t in started {
        ask(conn, actor, mail, r, t.id, t.approver_id).await?;
    }
    Ok(false)
}

/// Hands the outcome of the approval to its subject, with what the
/// subject needs to apply it: where a change found it, and the values it
/// last had approved.
async fn end(
    conn: &mut PgConnection,
    actor: &Actor,
    subject: &dyn Subject,
    approval_id: Uuid,
    r: &About,
    outcome: Outcome,
    comment: &str,
) -> Result<Applied, Error> {
    let resume: Option<String> =
        sqlx::query_scalar("select resume_status from approvals where id = $1")
            .bind(approval_id)
            .fetch_one(&mut *conn)
            .await?;
    let last_approved: Option<serde_json::Value> =
        last_approved_fields(&mut *conn, r.subject).await?;
    subject
        .apply(
            conn,
            actor,
            Ending {
                subject: r.subject,
                outcome,
                comment,
                resume_status: resume.as_deref(),
                last_approved: last_approved.as_ref(),
            },
        )
        .await
}

/// Tells an approver that `task` waits for them: in the app, and by mail
/// with a link that opens it (now, unless they chose the digest).
async fn ask(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    r: &About,
    task_id: TaskId,
    approver: Uuid,
) -> Result<(), Error> {
    // A stand-in who requested or works on the subject never decides it
    // for the approver: the task stays the approver's, on record.
    let stand_in: Option<Uuid> = sqlx::query_scalar(
        "select delegate_id from users
          where id = $1 and current_date between delegate_from and delegate_until",
    )
    .bind(approver)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    if let Some(stand_in) = stand_in.filter(|d| r.names(*d)) {
        let reason = format!(
            "the stand-in requested or works on this {}",
            r.subject.kind.as_str()
        );
        let c = Changes::new()
            .created("stand_in", &stand_in)
            .created("reason", &reason);
        audit::record(
            &mut *conn,
            actor,
            audit::Action::ApprovalStandInSkipped,
            audit::Entity::ApprovalTask,
            Some(task_id.uuid()),
            c,
        )
        .await?;
    }
    let notice = Notice::task(
        Event::ApprovalPending,
        &r.named(),
        task_id.uuid(),
        "waits for your approval",
        actor.user_id,
    );
    for to in notify::notify(&mut *conn, &notice, &[approver]).await? {
        let token = issue_link(&mut *conn, mail.token_key(), task_id, approver, r).await?;
        let m = mail.approval_pending(&to.email, &to.full_name, r, task_id.uuid(), &token)?;
        outbox::queue(&mut *conn, &m).await?;
    }
    Ok(())
}

/// Tells the requester how their subject was decided.
#[allow(clippy::too_many_arguments)]
async fn tell_requester(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    r: &About,
    event: Event,
    outcome: &str,
    comment: &str,
    by: &str,
) -> Result<(), Error> {
    let notice = Notice::about(
        event,
        &r.named(),
        &format!("was {outcome} by {by}"),
        actor.user_id,
    );
    for to in notify::notify(&mut *conn, &notice, &[r.requester_id]).await? {
        let m = mail.approval_decided(&to.email, &to.full_name, r, outcome, comment, by)?;
        outbox::queue(&mut *conn, &m).await?;
    }
    Ok(())
}

/// The fields of the subject's newest approved approval: what was last
/// agreed to, as the subject wrote them ([`About::snapshot`]).
pub async fn last_approved_fields<F: DeserializeOwned + Send + Unpin + 'static>(
    conn: &mut PgConnection,
    subject: SubjectRef,
) -> Result<Option<F>, sqlx::Error> {
    let fields: Option<sqlx::types::Json<F>> = sqlx::query_scalar(
        "select fields from approvals
          where subject_type = $1 and subject_id = $2 and status = 'approved' and fields is not null
          order by created_at desc limit 1",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_optional(conn)
    .await?;
    Ok(fields.map(|f| f.0))
}

/// What changed since the approval before the one `task` belongs to (None
/// for a first approval): its approvers see what is new to them.
pub struct Since {
    pub heading: &'static str,
    /// When the earlier one was decided.
    pub decided_at: Option<DateTime<Utc>>,
    pub changes: Vec<FieldChange>,
}

pub async fn since(conn: &mut PgConnection, task: TaskId) -> Result<Option<Since>, Error> {
    #[derive(sqlx::FromRow)]
    struct Earlier {
        subject_type: SubjectKind,
        subject_id: Uuid,
        approved: bool,
        decided_at: Option<DateTime<Utc>>,
        fields: sqlx::types::Json<serde_json::Value>,
    }
    let earlier: Option<Earlier> = sqlx::query_as(
        "select p.subject_type, p.subject_id, p.status = 'approved' as approved, p.decided_at, p.fields
           from approval_tasks t
           join approvals cur on cur.id = t.approval_id
           join approvals p on p.subject_type = cur.subject_type and p.subject_id = cur.subject_id
                           and p.created_at < cur.created_at
          where t.id = $1 and p.fields is not null and p.status in ('approved', 'changes_requested')
          order by p.created_at desc limit 1",
    )
    .bind(task)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(e) = earlier else {
        return Ok(None);
    };
    let area = crate::domain::approval_subject(e.subject_type).ok_or(Error::NotFound)?;
    Ok(Some(Since {
        heading: if e.approved {
            "Changed since it was approved"
        } else {
            "Changed since changes were asked for"
        },
        decided_at: e.decided_at,
        changes: area.changes_since(conn, e.subject_id, &e.fields.0).await?,
    }))
}

/// The name of `user`, or of the app itself for the system.
pub(super) async fn name_of(
    conn: &mut PgConnection,
    user: Option<Uuid>,
) -> Result<String, sqlx::Error> {
    Ok(
        sqlx::query_scalar("select full_name from users where id = $1")
            .bind(user)
            .fetch_optional(conn)
            .await?
            .unwrap_or_else(|| "Hiring Hare".into()),
    )
}

/// Records `decision` on the task by its approver, and moves the approval
/// (and its subject) on. The approval row is locked first, so decisions
/// on one approval are taken one at a time.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    task_id: TaskId,
    decision: Decision,
    comment: &str,
) -> Result<(), Error> {
    decide_with(
        conn,
        actor,
        mail,
        crate::domain::approval_subject,
        task_id,
        decision,
        comment,
    )
    .await
}

/// [`decide`], with the subject's area found by `areas` (tests bring a
/// subject of their own).
pub async fn decide_with(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    areas: Areas,
    task_id: TaskId,
    decision: Decision,
    comment: &str,
) -> Result<(), Error> {
    let mut problems = crate::domain::kernel::FieldErrors::default();
    let comment = crate::domain::kernel::optional_text(
        &mut problems,
        "comment",
        comment,
        crate::domain::kernel::REASON_MAX,
    );
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let comment = comment.as_str();
    // Decisions on one approval take turns on its lock. The task is locked
    // too, so that after waiting its status is read as it is now (a row
    // merely joined would be read as it was before the wait).
    #[derive(sqlx::FromRow)]
    struct Locked {
        approval_id: Uuid,
        subject_type: super::SubjectKind,
        subject_id: Uuid,
        approver_id: Uuid,
        status: TaskStatus,
        step: i32,
        step_name: String,
        required: Option<i32>,
    }
    let locked: Locked = sqlx::query_as(
        "select a.id as approval_id, a.subject_type, a.subject_id, t.approver_id, t.status, t.step,
                t.step_name, t.required
           from approvals a
           join approval_tasks t on t.approval_id = a.id
          where t.id = $1 for update of a, t",
    )
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let (approval_id, approver, step) = (locked.approval_id, locked.approver_id, locked.step);
    let of = SubjectRef::new(locked.subject_type, locked.subject_id);
    // A subject that is gone (deleted) has nothing left to decide.
    let subject = areas(of.kind).ok_or(Error::NotFound)?;
    let before = subject
        .about(&mut *conn, of.id)
        .await?
        .ok_or(Error::NotFound)?;
    let Some(deciding) = actor.user_id else {
        return Err(Error::Forbidden);
    };
    // Nobody decides on a subject they requested or work on, neither for
    // themselves nor standing in for someone; nor anyone deactivated.
    let own = &before.own_people;
    if !eligible(&mut *conn, own, approver).await? || !eligible(&mut *conn, own, deciding).await? {
        return Err(Error::Forbidden);
    }
    let actor = &if deciding == approver {
        actor.clone()
    } else if delegates_to(&mut *conn, approver, deciding).await? {
        Actor {
            on_behalf_of: Some(approver),
            ..actor.clone()
        }
    } else {
        return Err(Error::Forbidden);
    };
    // Asked of the approver only: someone who may not decide hears that
    // first, not how to fill in a form they cannot send.
    if decision != Decision::Approve && comment.is_empty() {
        return Err(Error::field(
            "comment",
            if decision == Decision::Reject {
                "Give a reason: the requester sees why it was rejected."
            } else {
                "Say what to change: the requester sees it."
            },
        ));
    }
    if locked.status != TaskStatus::Pending {
        return Err(Error::refused("This approval was already decided."));
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
        .created("decision", &decision.task_status().as_str())
        .created("comment", &comment);
    audit::record(
        &mut *conn,
        actor,
        match decision {
            Decision::Approve => audit::Action::ApprovalApproved,
            Decision::Reject => audit::Action::ApprovalRejected,
            Decision::RequestChanges => audit::Action::ApprovalChangesRequested,
        },
        audit::Entity::ApprovalTask,
        Some(task_id.uuid()),
        c,
    )
    .await?;
    notify::changed(&mut *conn, of).await?;
    let r = subject
        .about(&mut *conn, of.id)
        .await?
        .ok_or(Error::NotFound)?;
    let name = name_of(conn, actor.user_id).await?;
    if decision != Decision::Approve {
        let (approval_status, outcome) = match decision {
            Decision::Reject => ("rejected", Outcome::Rejected),
            _ => ("changes_requested", Outcome::ChangesRequested),
        };
        supersede(conn, approval_id, None).await?;
        sqlx::query("update approvals set status = $2, decided_at = now() where id = $1")
            .bind(approval_id)
            .bind(approval_status)
            .execute(&mut *conn)
            .await?;
        let applied = end(conn, actor, subject, approval_id, &r, outcome, comment).await?;
        let (event, label) = match (decision, applied) {
            (Decision::Reject, Applied::ChangeDeclined) => {
                (Event::ApprovalRejected, "kept at its approved values")
            }
            (Decision::Reject, _) => (Event::ApprovalRejected, "rejected"),
            _ => (Event::ApprovalChangesRequested, "sent back for changes"),
        };
        tell_requester(conn, actor, mail, &r, event, label, comment, &name).await?;
        return Ok(());
    }
    let needed = locked.required.map_or(total, i64::from);
    let complete = approved >= needed && {
        supersede(conn, approval_id, Some(step)).await?;
        advance(conn, actor, mail, subject, approval_id, &r).await?
    };
    // The last approval tells the requester it is approved (in advance);
    // the ones before say how far it got.
    if !complete {
        let label = format!("approved at the {} step", locked.step_name);
        let event = Event::ApprovalStepApproved;
        tell_requester(conn, actor, mail, &r, event, &label, comment, &name).await?;
    }
    Ok(())
}

/// An admin hands a waiting task to someone else, who is told by mail.
pub async fn reassign(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    task_id: TaskId,
    to: Uuid,
) -> Result<(), Error> {
    let task = task(&mut *conn, task_id).await?.ok_or(Error::NotFound)?;
    let r = about(&mut *conn, task.subject()).await?;
    if r.names(to) {
        return Err(Error::field(
            "to",
            "This person is named on the requirement, so cannot approve it; choose someone else.",
        ));
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
        return Err(Error::refused(
            "It can no longer be reassigned: it was decided, or that person is already on this step.",
        ));
    }
    let c = Changes::new().field("approver_id", &task.approver_id, &to);
    audit::record(
        &mut *conn,
        actor,
        audit::Action::ApprovalReassigned,
        audit::Entity::ApprovalTask,
        Some(task_id.uuid()),
        c,
    )
    .await?;
    ask(conn, actor, mail, &r, task_id, to).await
}

/// Calls off the subject's approval in progress, when the subject is
/// deleted or cancelled (in that transaction): every task not yet decided
/// is cancelled, each with its audit row, the approval with them, and the
/// links mailed for those tasks are void, so nothing waits in an inbox or
/// opens from a mail for a subject that is gone.
pub async fn cancel(
    conn: &mut PgConnection,
    actor: &Actor,
    of: SubjectRef,
) -> Result<(), sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Cancelled {
        id: Uuid,
        was: TaskStatus,
    }
    let tasks: Vec<Cancelled> = sqlx::query_as(
        "with undecided as (
             select t.id, t.status from approval_tasks t
               join approvals a on a.id = t.approval_id
              where a.subject_type = $1 and a.subject_id = $2 and t.status in ('pending', 'waiting')
                for update of t)
         update approval_tasks t set status = 'cancelled', decided_at = now()
           from undecided u where t.id = u.id
         returning t.id, u.status as was",
    )
    .bind(of.kind)
    .bind(of.id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update approvals set status = 'cancelled', decided_at = now()
          where subject_type = $1 and subject_id = $2 and status = 'pending'",
    )
    .bind(of.kind)
    .bind(of.id)
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
        let c = Changes::new().field(
            "status",
            &task.was.as_str(),
            &TaskStatus::Cancelled.as_str(),
        );
        audit::record(
            &mut *conn,
            actor,
            audit::Action::ApprovalCancelled,
            audit::Entity::ApprovalTask,
            Some(task.id),
            c,
        )
        .await?;
    }
    Ok(())
}

/// The subject as its area describes it; not found when no area answers
/// for its kind or it is gone.
pub(super) async fn about(conn: &mut PgConnection, of: SubjectRef) -> Result<About, Error> {
    let subject = crate::domain::approval_subject(of.kind).ok_or(Error::NotFound)?;
    subject.about(conn, of.id).await?.ok_or(Error::NotFound)
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

/// Whether `user` may take part in deciding on a subject at all: active,
/// and not one of its `own` people.
async fn eligible(conn: &mut PgConnection, own: &[Uuid], user: Uuid) -> Result<bool, sqlx::Error> {
    if own.contains(&user) {
        return Ok(false);
    }
    sqlx::query_scalar(
        "select exists (select 1 from users where id = $1 and deactivated_at is null)",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

/// Whether `user` may decide the task: its approver, or their delegate
/// today, while both are eligible, neither one of the subject's `own`
/// people ([`About::own_people`]; [`decide`] checks the same, step by
/// step). One statement: the decision page asks it on every view.
pub async fn may_decide(
    conn: &mut PgConnection,
    user: Uuid,
    task: &Task,
    own: &[Uuid],
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (
           select 1 from users a join users u on u.id = $2
            where a.id = $1 and a.deactivated_at is null and u.deactivated_at is null
              and (u.id = a.id or (a.delegate_id = u.id
                                   and current_date between a.delegate_from and a.delegate_until))
              and a.id <> all($3) and u.id <> all($3))",
    )
    .bind(task.approver_id)
    .bind(user)
    .bind(own)
    .fetch_one(conn)
    .await
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
