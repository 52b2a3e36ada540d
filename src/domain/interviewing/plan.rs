//! The interview plan: the rounds a candidate goes through, each with its
//! kind, length, the attributes its scorecard rates and the questions its
//! kit suggests. The company's plan serves every requirement without one
//! of its own.

use super::Kind;
use crate::domain::requisition::requirement::RequirementId;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Round {
    pub id: Uuid,
    pub name: String,
    pub kind: Kind,
    pub minutes: i32,
    pub attributes: Vec<String>,
    pub questions: String,
}

impl Round {
    /// The questions, one per line.
    pub fn question_list(&self) -> Vec<&str> {
        self.questions
            .lines()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .collect()
    }
}

/// The rounds of `requirement`'s plan, in order: its own if it has any,
/// else the company's.
pub async fn rounds(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Round>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, minutes, attributes, questions from interview_rounds
          where archived_at is null
            and requirement_id is not distinct from
                (select requirement_id from interview_rounds
                  where requirement_id = $1 and archived_at is null limit 1)
          order by position, id",
    )
    .bind(requirement)
    .fetch_all(conn)
    .await
}

/// One round by id (archived or not: an interview keeps its round).
pub async fn round(conn: &mut PgConnection, id: Uuid) -> Result<Option<Round>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, minutes, attributes, questions from interview_rounds where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}
