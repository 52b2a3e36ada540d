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

/// One stage's count with one of its cards (none: a stage whose cards
/// are not shown, or an empty one).
#[derive(sqlx::FromRow)]
struct Row {
    stage_id: StageId,
    count: i64,
    id: Option<ApplicationId>,
    candidate_id: Option<CandidateId>,
    full_name: Option<String>,
    stage_entered_at: Option<DateTime<Utc>>,
    tags: Option<Vec<String>>,
}

/// The board of the requirement. The ends (rejected, withdrawn) are
/// counted; their cards are not shown (the list shows them). The counts
/// and the cards in one statement: the board is the recruiters' most
/// used page.
pub async fn board(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Column>, sqlx::Error> {
    let stages = stage::pipeline(&mut *conn, requirement).await?;
    let ids: Vec<StageId> = stages.iter().map(|s| s.id).collect();
    let shown: Vec<bool> = stages.iter().map(|s| !s.kind.is_end()).collect();
    let rows: Vec<Row> = sqlx::query_as(
        "select s.id as stage_id, n.count, a.id, a.candidate_id, a.full_name, a.stage_entered_at, a.tags
           from unnest($2::uuid[], $3::bool[]) as s(id, shown)
           cross join lateral (
             select count(*) as count from applications
              where requirement_id = $1 and stage_id = s.id and not hidden) n
           left join lateral (
             select a.id, a.candidate_id, c.full_name, a.stage_entered_at, c.tags
               from applications a join candidates c on c.id = a.candidate_id
              where s.shown and a.requirement_id = $1 and a.stage_id = s.id and not a.hidden
              order by a.stage_entered_at, a.id
              limit $4) a on true",
    )
    .bind(requirement)
    .bind(&ids)
    .bind(&shown)
    .bind(CARDS_SHOWN)
    .fetch_all(&mut *conn)
    .await?;
    let mut counts: HashMap<StageId, i64> = HashMap::new();
    let mut cards: Vec<Card> = Vec::new();
    for row in rows {
        counts.insert(row.stage_id, row.count);
        if let (Some(id), Some(candidate_id), Some(full_name), Some(stage_entered_at), Some(tags)) = (
            row.id,
            row.candidate_id,
            row.full_name,
            row.stage_entered_at,
            row.tags,
        ) {
            cards.push(Card {
                id,
                stage_id: row.stage_id,
                candidate_id,
                full_name,
                stage_entered_at,
                tags,
            });
        }
    }
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
