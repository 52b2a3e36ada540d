//! Submitting, advancing, deciding and reassigning: an approval's moves.

use super::links::issue_link;
use super::tasks::{Task, task};
use super::workflow::{self, Step};
use super::{DecideError, Decision};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::kernel::SaveError;
use crate::domain::messaging::Letters;
use crate::domain::messaging::outbox;
use crate::domain::requisition::requirement::{
    self, Action, Asker, Requirement, RequirementFields, TransitionError,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

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
    mail: &dyn Letters,
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
    mail: &dyn Letters,
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
    mail: &dyn Letters,
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
        let token = issue_link(&mut *conn, mail.token_key(), task_id, approver, r.id).await?;
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
    mail: &dyn Letters,
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
/// (and the requirement) on. The approval row is locked first, so decisions
/// on one approval are taken one at a time.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    task_id: Uuid,
    decision: Decision,
    comment: &str,
) -> Result<(), DecideError> {
    let mut problems = crate::domain::kernel::FieldErrors::default();
    let comment = crate::domain::kernel::optional_text(
        &mut problems,
        "comment",
        comment,
        crate::domain::requisition::requirement::REASON_MAX,
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
    mail: &dyn Letters,
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
