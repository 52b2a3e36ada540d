//! The stages of a pipeline (the admins' template, or a requirement's own
//! copy) and the reasons an application ends, kept by admins.

use crate::domain::id::Id;
use crate::domain::requisition::requirement::RequirementId;
use sqlx::PgConnection;

/// What a stage means to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// The pipeline proper: applied, screening, interview, offer…
    Active,
    /// Reaching it fills an opening.
    Hired,
    /// The end of an application we rejected.
    Rejected,
    /// The end of an application the candidate withdrew.
    Withdrawn,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Active => "active",
            StageKind::Hired => "hired",
            StageKind::Rejected => "rejected",
            StageKind::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<StageKind> {
        [
            StageKind::Active,
            StageKind::Hired,
            StageKind::Rejected,
            StageKind::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Rejected or withdrawn: left through a rejection, back by un-rejecting.
    pub fn is_end(self) -> bool {
        matches!(self, StageKind::Rejected | StageKind::Withdrawn)
    }
}

crate::text_enum!(StageKind);

pub type StageId = Id<Stage>;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    pub kind: StageKind,
    pub position: i32,
}

/// The stages of the requirement's pipeline in order: its own copy when it
/// has one, else the template.
pub async fn pipeline(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Stage>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, position from pipeline_stages s
          where s.archived_at is null
            and (s.requirement_id = $1
                 or (s.requirement_id is null
                     and not exists (select from pipeline_stages o
                                      where o.requirement_id = $1 and o.archived_at is null)))
          order by position",
    )
    .bind(requirement)
    .fetch_all(conn)
    .await
}

/// The names of the stages of every pipeline, in template order, for the
/// list's filter (a requirement's copy may add names of its own).
pub async fn names(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select name from pipeline_stages where archived_at is null
          group by name order by min(position), name",
    )
    .fetch_all(conn)
    .await
}

/// Who ended an application: us, or the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    WeRejected,
    TheyWithdrew,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::WeRejected => "we_rejected",
            Side::TheyWithdrew => "they_withdrew",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        [Side::WeRejected, Side::TheyWithdrew]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::WeRejected => "We rejected them",
            Side::TheyWithdrew => "They withdrew",
        }
    }

    /// The end an application with a reason of this side goes to.
    pub fn end(self) -> StageKind {
        match self {
            Side::WeRejected => StageKind::Rejected,
            Side::TheyWithdrew => StageKind::Withdrawn,
        }
    }
}

crate::text_enum!(Side);

pub type ReasonId = Id<Reason>;

/// A reason an application ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reason {
    pub id: ReasonId,
    pub label: String,
    pub side: Side,
}

/// The reasons in use, ours first, in the admins' order.
pub async fn reasons(conn: &mut PgConnection) -> Result<Vec<Reason>, sqlx::Error> {
    sqlx::query_as(
        "select id, label, side from rejection_reasons where archived_at is null
          order by side desc, position",
    )
    .fetch_all(conn)
    .await
}

/// One reason in use.
pub async fn reason(conn: &mut PgConnection, id: ReasonId) -> Result<Option<Reason>, sqlx::Error> {
    sqlx::query_as(
        "select id, label, side from rejection_reasons where id = $1 and archived_at is null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}
