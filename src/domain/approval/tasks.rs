//! Tasks as the inbox, the decision page and the requirement page read them.

use super::subject::{SubjectKind, SubjectRef};
use crate::domain::kernel::After;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// One task as the inbox and the decision page show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: Uuid,
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
        "select t.id, t.approval_id, a.subject_type, a.subject_id, s.reference, s.title, t.step, t.step_name, t.approver_id,
                u.full_name as approver_name, t.status, t.comment,
                case when t.decided_by <> t.approver_id then d.full_name end as decided_by_name,
                t.created_at, t.started_at, t.decided_at
           from approval_tasks t
           join approvals a on a.id = t.approval_id
           join approval_subjects s on s.kind = a.subject_type and s.id = a.subject_id
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

/// A task and the [`trail`] of its subject, in one round trip: the
/// decision page shows both. The trail leaves superseded tasks out, as
/// [`trail`] does, even when the task itself is one.
pub async fn task_with_trail(
    conn: &mut PgConnection,
    id: Uuid,
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
    /// leaving out those on deleted subjects and on subjects `user`
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
            "where t.id = any($1) and not s.deleted and $2 <> all(s.people)"
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
/// (deleting or cancelling a subject calls its tasks off, see
/// [`super::cancel`]), theirs or of someone they stand in for today, and
/// not on a subject they requested or work on (never theirs to decide).
/// `$who` is the person, as SQL; `$walk` ends each approver's walk of the
/// waiting index (a keyset bound, the order, a limit). The inbox pages it,
/// the navigation counts it (`crate::web::current_user`) and the home page
/// lists it: one definition, so the count is what the inbox lists.
///
/// The count runs on every page, so neither part costs a probe per task:
/// the walk reads the waiting index alone, and the subjects the person is
/// named on are found from their side, through the `approval_pending_people`
/// view and the indexes under it (migration 20261203600003), once per
/// statement.
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
                            select x.id from approval_pending_people s
                              join approvals a on a.subject_type = s.kind and a.subject_id = s.id
                                              and a.status = 'pending'
                              join approval_tasks x on x.approval_id = a.id and x.status = 'pending'
                             where s.person = ", $who, ") ",
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
