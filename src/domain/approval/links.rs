//! The single-use links approval mails carry.

use super::subject::{About, SubjectKind, SubjectRef};
use super::tasks::TaskId;
use crate::domain::access::Role;
use crate::domain::activity::history::Event;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// How long an emailed approval link works.
const LINK_LIFETIME: chrono::Duration = chrono::Duration::hours(72);

/// A new single-use link token for the task, bound to the person it is
/// mailed to and to the subject's current version.
pub(super) async fn issue_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: TaskId,
    approver: Uuid,
    subject: &About,
) -> Result<String, sqlx::Error> {
    let token = crate::tokens::random_token(32);
    sqlx::query(
        "insert into approval_links (task_id, approver_id, subject_version, digest, expires_at)
         values ($1, $4, $5, $2, now() + $3::interval)",
    )
    .bind(task)
    .bind(crate::tokens::token_digest(secret, &token))
    .bind(LINK_LIFETIME)
    .bind(approver)
    .bind(subject.version)
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
    /// requested or work on its subject.
    Withdrawn,
    /// The approval was called off (its subject deleted or cancelled):
    /// nothing waits for a decision any more.
    Cancelled,
    /// The subject changed since the mail (`sent`), or the task is decided.
    Stale {
        subject: SubjectRef,
        sent: DateTime<Utc>,
    },
    Unknown,
}

impl Link {
    /// What the page a link leads to says of it when it does not work.
    pub fn message(&self) -> String {
        match self {
            Link::Valid { .. } => String::new(),
            Link::Used => "This link was already used: each mailed link opens the page once. \
                           Sign in to see the approval."
                .into(),
            Link::Expired => "This link has expired: mailed links work for 72 hours. \
                              Sign in to see the approval."
                .into(),
            Link::Cancelled => "This approval was called off: what it was for was deleted or \
                                cancelled, so nothing waits for your decision."
                .into(),
            Link::Withdrawn => "This link no longer lets you decide: the approval went to \
                                someone else, or your account or your part in what it is for \
                                changed. Sign in to see the approval."
                .into(),
            Link::Stale { subject, .. } => format!(
                "The {} changed since this mail was sent, or the approval was decided. \
                 Sign in to see the current version.",
                subject.kind.noun()
            ),
            Link::Unknown => "This link is not valid. Sign in to see the approval.".into(),
        }
    }
}

/// What happened to a stale link's subject since it was mailed, for
/// `viewer` (their id and roles) if they may see the subject: the details
/// wait behind signing in.
pub async fn since_mailed(
    conn: &mut PgConnection,
    link: Link,
    viewer: Option<(Uuid, &[Role])>,
) -> Result<Vec<Event>, sqlx::Error> {
    let (Link::Stale { subject, sent }, Some((viewer, roles))) = (link, viewer) else {
        return Ok(Vec::new());
    };
    let Some(area) = crate::domain::approval_subject(subject.kind) else {
        return Ok(Vec::new());
    };
    if !area
        .visible_to(&mut *conn, subject.id, viewer, roles)
        .await?
    {
        return Ok(Vec::new());
    }
    let mut events = area.history(conn, subject.id).await?;
    events.retain(|e| e.at > sent);
    Ok(events)
}

/// What the link token for `task` is worth, without using it (a GET may
/// come from a mail scanner: only the person's POST uses the link).
pub async fn check_link(
    conn: &mut PgConnection,
    secret: &[u8],
    task: TaskId,
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
        subject_type: SubjectKind,
        subject_id: Uuid,
        sent: DateTime<Utc>,
    }
    let row: Option<Row> = sqlx::query_as(concat!(
        "select l.voided_at is not null as cancelled,
                l.used_at is not null as used, l.expires_at <= now() as expired,
                (l.approver_id <> t.approver_id or u.deactivated_at is not null
                 or l.approver_id = any(s.people)) as withdrawn,
                (l.subject_version <> s.version or t.status <> 'pending') as stale,
                l.approver_id, a.subject_type, a.subject_id, l.created_at as sent
           from approval_links l
           join approval_tasks t on t.id = l.task_id
           join approvals a on a.id = t.approval_id",
        super::subject::subject_of!("a"),
        "join users u on u.id = l.approver_id
          where l.digest = $1 and l.task_id = $2",
    ))
    .bind(crate::tokens::token_digest(secret, token))
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
            subject: SubjectRef::new(r.subject_type, r.subject_id),
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
    task: TaskId,
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
    task: TaskId,
    token: &str,
) -> Result<Link, sqlx::Error> {
    let link = check_link(&mut *conn, secret, task, token).await?;
    if !matches!(link, Link::Valid { .. }) {
        return Ok(link);
    }
    let taken = sqlx::query(
        "update approval_links set used_at = now() where digest = $1 and used_at is null",
    )
    .bind(crate::tokens::token_digest(secret, token))
    .execute(conn)
    .await?;
    Ok(if taken.rows_affected() == 1 {
        link
    } else {
        Link::Used
    })
}
