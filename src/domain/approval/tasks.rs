//! Tasks as the inbox, the decision page and the requirement page read them.

use super::subject::{SubjectKind, SubjectRef};
use crate::domain::kernel::After;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Where one approver's task is (`approval_tasks.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Its step is not reached yet.
    Waiting,
    /// Its approver is asked now.
    Pending,
    Approved,
    Rejected,
    ChangesRequested,
    /// Its step was decided without it (others approved enough), or the
    /// round ended.
    Superseded,
    /// Its subject was deleted or cancelled.
    Cancelled,
}

impl TaskStatus {
    const ALL: [TaskStatus; 7] = [
        TaskStatus::Waiting,
        TaskStatus::Pending,
        TaskStatus::Approved,
        TaskStatus::Rejected,
        TaskStatus::ChangesRequested,
        TaskStatus::Superseded,
        TaskStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Waiting => "waiting",
            TaskStatus::Pending => "pending",
            TaskStatus::Approved => "approved",
            TaskStatus::Rejected => "rejected",
            TaskStatus::ChangesRequested => "changes_requested",
            TaskStatus::Superseded => "superseded",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Waiting => "Not yet reached",
            TaskStatus::Pending => "Waiting",
            TaskStatus::Approved => "Approved",
            TaskStatus::Rejected => "Rejected",
            TaskStatus::ChangesRequested => "Changes requested",
            TaskStatus::Superseded => "Not needed",
            TaskStatus::Cancelled => "Cancelled",
        }
    }
}

// A status the code does not know is an error, never a guess.
crate::text_enum!(TaskStatus);

/// An approval task's id (see [`crate::domain::id`]).
pub type TaskId = crate::domain::id::Id<Task>;

/// One task as the inbox and the decision page show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: TaskId,
    /// The round of approval it belongs to (a subject resubmitted or
    /// changed after approval has several).
    pub approval_id: Uuid,
    pub subject_type: SubjectKind,
    pub subject_id: Uuid,
    pub reference: String,
    pub title: String,
    pub step: i32,
    pub step_name: String,
    pub approver_id: Uuid,
    pub approver_name: String,
    pub status: TaskStatus,
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
        concat!(
        "select t.id, t.approval_id, a.subject_type, a.subject_id, s.reference, s.title, t.step, t.step_name, t.approver_id,
                u.full_name as approver_name, t.status, t.comment,
                case when t.decided_by <> t.approver_id then d.full_name end as decided_by_name,
                t.created_at, t.started_at, t.decided_at
           from approval_tasks t
           join approvals a on a.id = t.approval_id",
        crate::domain::approval::subject::subject_of!("a"),
        "join users u on u.id = t.approver_id
           left join users d on d.id = t.decided_by "
        )
    };
}

pub async fn task(conn: &mut PgConnection, id: TaskId) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as(concat!(task_select!(), "where t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A task and the [`trail`] of its subject, in one round trip: the
/// decision page shows both. The trail leaves superseded tasks out, as
/// [`trail`] does, even when the task itself is one.
pub async fn task_with_trail(
    conn: &mut PgConnection,
    id: TaskId,
) -> Result<Option<(Task, Vec<Task>)>, sqlx::Error> {
    let rows: Vec<Task> = sqlx::query_as(concat!(
        task_select!(),
        "where (a.subject_type, a.subject_id) =
                 (select a.subject_type, a.subject_id from approval_tasks t
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
        .filter(|t| t.status != TaskStatus::Superseded)
        .collect();
    Ok(Some((task, trail)))
}

/// How many tasks one page of the inbox shows: as many as a page of
/// requirements or candidates. Each row costs a look-up of its subject and
/// a line of HTML on every view of the inbox, and an approver with
/// thousands waiting reads the oldest few, not fifty at a glance.
pub const INBOX_PAGE: i64 = 25;

/// One row of an inbox tab: only what the row shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxTask {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub step_name: String,
    pub status: TaskStatus,
    /// Whose task it is, when not the reader's own: someone they stand in
    /// for today (waiting tab only).
    pub for_name: Option<String>,
    /// Its place in the tab's order: when its step began (waiting) or when
    /// it was decided (decided).
    pub at: DateTime<Utc>,
    /// False for a task on a deleted subject or on one the reader requested
    /// or works on (never theirs to decide): read for its key alone, so
    /// that the next page starts after it.
    shown: bool,
}

/// One page of an inbox tab, and where the next starts, if there is one.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub tasks: Vec<InboxTask>,
    pub next: Option<After>,
}

/// The start of one inbox tab's statement, before its keys: a subquery
/// `k` giving up to a page and one of the tab's tasks in its order (`at`,
/// `id`, `subject_type`, `subject_id`, `step_name`, `status`,
/// `approver_id`), read from the tab's own index alone, which holds those
/// columns (migration 20261203700001). Only that many rows are then joined
/// to their subject ([`inbox_end`]), so a page costs the same however many
/// tasks wait. `$1` is the reader.
macro_rules! inbox_start {
    () => {
        "select k.id, s.reference, s.title, k.step_name, k.status, k.at,
                case when k.approver_id <> $1
                     then (select full_name from users where id = k.approver_id) end as for_name,
                not s.deleted and $1 <> all(s.people) as shown
           from ("
    };
}

/// The end of one inbox tab's statement, after its keys.
macro_rules! inbox_end {
    () => {
        concat!(
            ") k",
            crate::domain::approval::subject::subject_of!("k"),
            "order by "
        )
    };
}

impl InboxPage {
    /// A page from `rows`, up to one more than a page in the tab's order:
    /// the hidden ones left out, and the next page starting after the last
    /// row of this one, shown or not, so nothing is skipped or shown twice
    /// (a page may show fewer than [`INBOX_PAGE`]).
    fn of(mut rows: Vec<InboxTask>) -> InboxPage {
        let more = rows.len() as i64 > INBOX_PAGE;
        rows.truncate(INBOX_PAGE as usize);
        let next = rows
            .last()
            .filter(|_| more)
            .map(|t| After { at: t.at, id: t.id });
        rows.retain(|t| t.shown);
        InboxPage { tasks: rows, next }
    }
}

/// The tasks waiting for one person, as rows `(started_at, id,
/// subject_type, subject_id, step_name, approver_id)`: pending (deleting or
/// cancelling a subject calls its tasks off, see [`super::cancel`]), theirs
/// or of someone they stand in for today, and not on a subject they
/// requested or work on (never theirs to decide). `$who` is the person, as
/// SQL; `$walk` ends each approver's walk of the waiting index (a keyset
/// bound, the order, a limit). The inbox pages it, the navigation counts it
/// (`crate::web::current_user`) and the home page lists it: one definition,
/// so the count is what the inbox lists.
///
/// The count runs on every page, so the walk reads the waiting index alone:
/// it holds each task's subject and that subject's people (kept by
/// triggers as they change, migration 20261215000001), so leaving out the
/// person's own subjects is a comparison on the row in hand.
macro_rules! waiting_for {
    ($who:literal, $walk:literal) => {
        concat!(
            "select p.started_at, p.id, p.subject_type, p.subject_id, p.step_name,
                    me.id as approver_id
               from (select ",
            $who,
            "::uuid as id
                     union all
                     select id from users where delegate_id = ",
            $who,
            "
                        and current_date between delegate_from and delegate_until) me
              cross join lateral (
                     select t.id, t.started_at, t.subject_type, t.subject_id, t.step_name
                       from approval_tasks t
                      where t.approver_id = me.id and t.status = 'pending'
                        and ",
            $who,
            " <> all (t.subject_people) ",
            $walk,
            ") p "
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
    let rows = sqlx::query_as(concat!(
        inbox_start!(),
        "select w.started_at as at, w.id, w.subject_type, w.subject_id, w.step_name,
                'pending' as status, w.approver_id
           from (",
        waiting_for!(
            "$1",
            "and (t.started_at, t.id) > (coalesce($2, '-infinity'),
                                         coalesce($3, '00000000-0000-0000-0000-000000000000'))
             order by t.started_at, t.id
             limit $4"
        ),
        "order by p.started_at, p.id limit $4) w",
        inbox_end!(),
        "k.at, k.id"
    ))
    .bind(user)
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
    .bind(INBOX_PAGE + 1)
    .fetch_all(conn)
    .await?;
    Ok(InboxPage::of(rows))
}

/// Decided by `user`, the newest first: one backward walk of the decided
/// index, stopping at a page.
pub async fn decided(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<After>,
) -> Result<InboxPage, sqlx::Error> {
    let rows = sqlx::query_as(concat!(
        inbox_start!(),
        "select t.decided_at as at, t.id, t.subject_type, t.subject_id, t.step_name, t.status,
                $1::uuid as approver_id
           from approval_tasks t
          where t.decided_by = $1 and t.status in ('approved', 'rejected', 'changes_requested')
            and (t.decided_at, t.id) < (coalesce($2, 'infinity'),
                                        coalesce($3, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
          order by t.decided_at desc, t.id desc
          limit $4",
        inbox_end!(),
        "k.at desc, k.id desc"
    ))
    .bind(user)
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
    .bind(INBOX_PAGE + 1)
    .fetch_all(conn)
    .await?;
    Ok(InboxPage::of(rows))
}

/// Why the subject's latest approval asked for changes: who asked (and
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
    subject: SubjectRef,
) -> Result<Option<ChangesAsked>, sqlx::Error> {
    sqlx::query_as(
        "select d.full_name as by_name,
                case when t.decided_by <> t.approver_id then u.full_name end as for_name,
                t.decided_at as at, t.comment
           from approval_tasks t
           join approvals a on a.id = t.approval_id
           join users u on u.id = t.approver_id
           join users d on d.id = t.decided_by
          where a.subject_type = $1 and a.subject_id = $2
            and t.status = 'changes_requested' and t.decided_at is not null
          order by t.decided_at desc limit 1",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_optional(conn)
    .await
}

/// Every decision and open task of the subject's approvals, in order.
pub async fn trail(conn: &mut PgConnection, subject: SubjectRef) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query_as(concat!(
        task_select!(),
        "where a.subject_type = $1 and a.subject_id = $2 and t.status <> 'superseded'
         order by a.created_at, t.step, u.full_name"
    ))
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_all(conn)
    .await
}

/// The workflow version a subject's latest round of approval follows
/// (frozen when it was submitted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Route {
    pub workflow_id: Uuid,
    pub name: String,
    pub version: i32,
}

pub async fn route(
    conn: &mut PgConnection,
    subject: SubjectRef,
) -> Result<Option<Route>, sqlx::Error> {
    sqlx::query_as(
        "select a.workflow_id, v.name, a.workflow_version as version
           from approvals a
           join workflow_versions v on v.workflow_id = a.workflow_id and v.version = a.workflow_version
          where a.subject_type = $1 and a.subject_id = $2
          order by a.created_at desc limit 1",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_optional(conn)
    .await
}

impl Task {
    pub fn subject(&self) -> SubjectRef {
        SubjectRef::new(self.subject_type, self.subject_id)
    }
}
