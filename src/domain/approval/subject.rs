//! What the engine approves: a subject (a requirement today, an offer
//! next), known to it only through [`Subject`], which the subject's own
//! area implements. The engine runs workflows, tasks, decisions, links and
//! reminders; the subject says what it is (its facts for the workflow's
//! conditions, its people, its words) and applies the outcome to itself.
//!
//! Set-based reads (the inbox, the trail, a mailed link's check) cannot
//! call a trait per row: they join the `approval_subjects` view instead, in
//! which each kind has one branch with the same columns (see the migration
//! `20261203500001_approval_subjects.sql`; its `confidential` column, which
//! live events read, came with `20261203600002`): a new kind adds a branch
//! to it. Its `people` are copied onto each waiting task, and kept there by
//! triggers on the subjects' tables (`20261215000001`): a new kind's table
//! takes such a trigger too.

/// Joins `s`, the `approval_subjects` row of the rows aliased `$t` (which
/// have `subject_type` and `subject_id`). As a lateral subquery behind an
/// `offset 0` fence: a plain join to the union view cannot pass the row's
/// kind and id into its branches, so it read every subject (all the
/// requirements and offers) to find a page's few; fenced, each branch is
/// one index lookup per row, and the other kinds' branches are skipped.
macro_rules! subject_of {
    ($t:literal) => {
        concat!(
            " cross join lateral (select * from approval_subjects s where s.kind = ",
            $t,
            ".subject_type and s.id = ",
            $t,
            ".subject_id offset 0) s "
        )
    };
}
pub(crate) use subject_of;

use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::Actor;
use crate::domain::activity::history::{Event, FieldChange};
use crate::domain::activity::notify::Named;
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

/// The kinds of subject, stored as text (`approvals.subject_type`,
/// `approval_workflows.subject`, `comments.subject_type`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Requirement,
    Offer,
    /// Has a history and a comment thread; never an approval.
    Candidate,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Requirement => "requirement",
            SubjectKind::Offer => "offer",
            SubjectKind::Candidate => "candidate",
        }
    }

    /// How a sentence names one: "the requirement changed".
    pub fn noun(self) -> &'static str {
        match self {
            SubjectKind::Requirement => "requirement",
            SubjectKind::Offer => "offer",
            SubjectKind::Candidate => "candidate",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        [
            SubjectKind::Requirement,
            SubjectKind::Offer,
            SubjectKind::Candidate,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

// A kind the code does not know is an error, never a guess.
crate::text_enum!(SubjectKind);

/// One subject: its kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SubjectRef {
    pub kind: SubjectKind,
    pub id: Uuid,
}

impl SubjectRef {
    pub fn new(kind: SubjectKind, id: Uuid) -> SubjectRef {
        SubjectRef { kind, id }
    }
}

/// The facts a workflow's conditions read (DOMAIN.md, "Approval
/// workflows"); a subject leaves unset what it does not have, and a
/// condition on an unset fact does not hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub department_id: Option<Uuid>,
    pub level_rank: Option<i32>,
    pub headcount: Option<i32>,
    pub above_band: Option<bool>,
    pub employment_type: Option<String>,
    pub reason: Option<String>,
    /// An offer's salary over a year, in whole units.
    pub amount: Option<i64>,
}

/// A subject as the engine needs it, read in the caller's transaction.
#[derive(Debug, Clone)]
pub struct About {
    pub subject: SubjectRef,
    /// Bumped by every change: a mailed link dies when it moves on.
    pub version: i32,
    /// How a line names it: "HH-2026-0042".
    pub reference: String,
    pub title: String,
    /// Where it is read, a local path.
    pub path: String,
    /// Who asked for the approval: told of each decision; a "manager" step
    /// asks their manager.
    pub requester_id: Uuid,
    pub requester_name: String,
    /// What the approver is asked to approve, in one line for the mail.
    pub summary: String,
    /// The people who may never decide on it nor stand in for an approver
    /// (who requested it, who works on it).
    pub own_people: Vec<Uuid>,
    pub facts: Facts,
    /// What the approvers were asked to approve, kept on the approval: the
    /// next round shows what changed since, and a declined change restores
    /// the last approved one.
    pub snapshot: serde_json::Value,
}

impl About {
    /// How notices name it.
    pub fn named(&self) -> Named<'_> {
        Named {
            subject: self.subject,
            reference: &self.reference,
            title: &self.title,
            path: self.path.clone(),
        }
    }

    /// Whether `user` is one of its own people.
    pub fn names(&self, user: Uuid) -> bool {
        self.own_people.contains(&user)
    }
}

/// How an approval ended, for the subject to apply to itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Rejected,
    ChangesRequested,
}

/// What the subject made of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The outcome as decided.
    AsDecided,
    /// A rejected change to something already approved: the change is
    /// declined and the approved values are back (the subject itself is not
    /// rejected).
    ChangeDeclined,
}

/// One round of approval ending, as the subject is told of it.
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    pub subject: SubjectRef,
    pub outcome: Outcome,
    /// The deciding approver's comment.
    pub comment: &'a str,
    /// Where the subject was when a change to it went for approval, to go
    /// back to once the change is decided (see [`super::engine::submit`]).
    pub resume_status: Option<&'a str>,
    /// The fields of its newest approved round, if one was approved.
    pub last_approved: Option<&'a serde_json::Value>,
}

/// What the engine asks of a subject's area. Its methods return boxed
/// futures so that the engine can hold any subject as `&dyn Subject`.
pub trait Subject: Send + Sync {
    fn kind(&self) -> SubjectKind;

    /// The subject, or None when it is gone (deleted).
    fn about<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Option<About>, sqlx::Error>>;

    /// Whether `viewer` (with `roles`) may see it (false when it is gone).
    fn visible_to<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        viewer: Uuid,
        roles: &'a [Role],
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>>;

    /// Its history, newest first.
    fn history<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Vec<Event>, sqlx::Error>>;

    /// What changed in it since `earlier` (the snapshot an earlier round of
    /// approval was asked to approve, [`About::snapshot`]), in words.
    fn changes_since<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        earlier: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Vec<FieldChange>, Error>>;

    /// Applies the outcome of its approval (in the caller's transaction).
    fn apply<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        actor: &'a Actor,
        ending: Ending<'a>,
    ) -> BoxFuture<'a, Result<Applied, Error>>;
}

/// Of `users`, the active ones whom `visible` (the subject's own rule, given
/// a person and their roles) lets see `subject`, and the approvers of its
/// tasks, whose decision page shows it: who may hear live that it changed.
pub async fn seen_by(
    conn: &mut PgConnection,
    subject: SubjectRef,
    users: &[Uuid],
    visible: impl Fn(Uuid, &[Role]) -> bool,
) -> Result<Vec<Uuid>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Person {
        id: Uuid,
        roles: Vec<String>,
        approver: bool,
    }
    let people: Vec<Person> = sqlx::query_as(
        "select u.id, u.roles,
                exists (select 1 from approval_tasks t join approvals a on a.id = t.approval_id
                         where a.subject_type = $2 and a.subject_id = $3
                           and t.approver_id = u.id) as approver
           from users u where u.id = any($1) and u.deactivated_at is null",
    )
    .bind(users)
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_all(conn)
    .await?;
    Ok(people
        .into_iter()
        .filter(|p| {
            let roles: Vec<Role> = p.roles.iter().filter_map(|r| Role::parse(r)).collect();
            p.approver || visible(p.id, &roles)
        })
        .map(|p| p.id)
        .collect())
}

/// The area that answers for a kind of subject, if one does yet.
pub type Areas = fn(SubjectKind) -> Option<&'static dyn Subject>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_as_written() {
        for k in [
            SubjectKind::Requirement,
            SubjectKind::Offer,
            SubjectKind::Candidate,
        ] {
            assert_eq!(SubjectKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SubjectKind::parse("application"), None);
    }
}
