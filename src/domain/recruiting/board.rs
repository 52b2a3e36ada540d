//! A requirement's board: one column per stage of its pipeline, with how
//! many applications are in each and the cards of those waiting longest.

use super::application::ApplicationId;
use super::candidate::CandidateId;
use super::stage::{self, Stage, StageId};
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The cards a column shows: the longest in the stage first. A stage with
/// more links to the candidate list filtered to it, so a column of
/// thousands costs no more than one of twenty-five.
pub const CARDS_SHOWN: i64 = 25;

#[derive(Debug)]
pub struct Column {
    pub stage: Stage,
    pub count: i64,
    pub cards: Vec<Card>,
}

impl Column {
    /// How many are in the stage beyond the cards shown.
    pub fn more(&self) -> i64 {
        self.count - self.cards.len() as i64
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct Card {
    pub id: ApplicationId,
    pub stage_id: StageId,
    pub candidate_id: CandidateId,
    pub full_name: String,
    pub stage_entered_at: DateTime<Utc>,
    pub tags: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Count {
    stage_id: StageId,
    count: i64,
}

/// The board of the requirement. The ends (rejected, withdrawn) are
/// counted; their cards are not shown (the list shows them).
pub async fn board(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Column>, sqlx::Error> {
    let stages = stage::pipeline(&mut *conn, requirement).await?;
    let counts: Vec<Count> = sqlx::query_as(
        "select stage_id, count(*) as count from applications
          where requirement_id = $1 and not hidden group by stage_id",
    )
    .bind(requirement)
    .fetch_all(&mut *conn)
    .await?;
    let counts: HashMap<StageId, i64> = counts.into_iter().map(|c| (c.stage_id, c.count)).collect();
    let open: Vec<StageId> = stages
        .iter()
        .filter(|s| !s.kind.is_end() && counts.contains_key(&s.id))
        .map(|s| s.id)
        .collect();
    let mut cards: Vec<Card> = sqlx::query_as(
        "select a.id, s.id as stage_id, a.candidate_id, a.full_name, a.stage_entered_at, a.tags
           from unnest($2::uuid[]) as s(id)
           cross join lateral (
             select a.id, a.candidate_id, c.full_name, a.stage_entered_at, c.tags
               from applications a join candidates c on c.id = a.candidate_id
              where a.requirement_id = $1 and a.stage_id = s.id and not a.hidden
              order by a.stage_entered_at, a.id
              limit $3) a",
    )
    .bind(requirement)
    .bind(&open)
    .bind(CARDS_SHOWN)
    .fetch_all(&mut *conn)
    .await?;
    Ok(stages
        .into_iter()
        .map(|stage| {
            let (mine, rest) = std::mem::take(&mut cards)
                .into_iter()
                .partition(|c| c.stage_id == stage.id);
            cards = rest;
            Column {
                count: counts.get(&stage.id).copied().unwrap_or(0),
                cards: mine,
                stage,
            }
        })
        .collect())
}
