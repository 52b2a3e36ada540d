//! What the home page lists for one person: the approvals waiting for them
//! (oldest first), their drafts and requirements sent back for changes,
//! and their open requirements with openings still to fill. Each list is
//! short (a page's worth) and read through an index on the person.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// How many items each list shows; the full lists are a link away.
pub const SHOWN: i64 = 8;

/// An approval waiting for the person (theirs, or of someone they stand
/// in for today).
#[derive(Debug, sqlx::FromRow)]
pub struct Waiting {
    pub task_id: Uuid,
    pub reference: String,
    pub title: String,
    pub step_name: String,
    /// When its step reached this person: the SLA runs from there.
    pub started_at: DateTime<Utc>,
    pub sla_hours: i32,
    /// Set when the person stands in for the approver.
    pub on_behalf_of: Option<String>,
}

impl Waiting {
    /// Business days waited so far, counted as the reminders count them.
    pub fn waited_days(&self, now: DateTime<Utc>) -> i64 {
        crate::domain::approval::business_days_between(self.started_at, now)
    }

    /// The SLA in business days, as the reminders round it.
    pub fn sla_days(&self) -> i64 {
        ((i64::from(self.sla_hours) + 23) / 24).max(1)
    }
}

/// The first of what the inbox's waiting tab lists (the same definition,
/// [`crate::domain::approval::waiting_for`], as it and the navigation's
/// count).
pub async fn waiting(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as(concat!(
        "select t.id as task_id, s.reference, s.title, t.step_name,
                coalesce(t.started_at, t.created_at) as started_at, t.sla_hours,
                case when t.approver_id <> $1 then u.full_name end as on_behalf_of
           from (",
        crate::domain::approval::waiting_for!("$1", "order by t.started_at, t.id limit $2"),
        "order by p.started_at, p.id limit $2) w
           join approval_tasks t on t.id = w.id
           join approvals a on a.id = t.approval_id",
        crate::domain::approval::subject::subject_of!("a"),
        "join users u on u.id = t.approver_id
          order by w.started_at, w.id"
    ))
    .bind(user)
    .bind(SHOWN)
    .fetch_all(conn)
    .await
}

/// One of the person's requirements, as the home page lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct Mine {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    /// For an open one: openings not yet filled or closed.
    pub openings_left: i64,
}

impl Mine {
    pub fn status_label(&self) -> &'static str {
        crate::domain::requisition::lifecycle::Status::parse(&self.status).map_or("", |s| s.label())
    }
}

/// Drafts and requirements sent back for changes that the person asked
/// for: what they have to act on, most recently touched first.
pub async fn to_finish(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Mine>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.reference, r.title, r.status, r.updated_at, 0::bigint as openings_left
           from requirements r
          where (r.hiring_manager_id = $1 or r.created_by = $1)
            and r.status in ('draft', 'changes_requested') and r.deleted_at is null
          order by r.status = 'changes_requested' desc, r.updated_at desc, r.id
          limit $2",
    )
    .bind(user)
    .bind(SHOWN)
    .fetch_all(conn)
    .await
}

/// Open (or on hold) requirements the person manages or recruits for
/// that still have openings to fill, the longest open first.
pub async fn recruiting(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Mine>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.reference, r.title, r.status, r.updated_at, o.left as openings_left
           from requirements r
           cross join lateral (select count(*) as left from openings
                                where requirement_id = r.id and status = 'open') o
          where (r.hiring_manager_id = $1 or r.recruiter_id = $1 or r.created_by = $1)
            and r.status in ('open', 'on_hold') and r.deleted_at is null and o.left > 0
          order by r.created_at, r.id
          limit $2",
    )
    .bind(user)
    .bind(SHOWN)
    .fetch_all(conn)
    .await
}

/// The person's latest notifications, read or not.
pub async fn recent_notifications(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<crate::domain::activity::notify::Item>, sqlx::Error> {
    sqlx::query_as(
        "select n.id, n.text, n.link, a.full_name as actor_name, n.created_at, n.read_at
           from notifications n left join users a on a.id = n.actor_id
          where n.user_id = $1
          order by n.created_at desc limit 5",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}
