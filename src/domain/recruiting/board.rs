//! A requirement's board: one column per stage of its pipeline, with how
//! many applications are in each and the cards of those waiting longest.

use super::application::ApplicationId;
use super::candidate::CandidateId;
use super::stage::{self, Stage};
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

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

#[derive(Debug)]
pub struct Card {
    pub id: ApplicationId,
    pub candidate_id: CandidateId,
    pub full_name: String,
    pub stage_entered_at: DateTime<Utc>,
    pub tags: Vec<String>,
}

/// One stage with its count and one of its cards (none: a stage whose
/// cards are not shown, or an empty one).
#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    stage: Stage,
    count: i64,
    card_id: Option<ApplicationId>,
    candidate_id: Option<CandidateId>,
    full_name: Option<String>,
    stage_entered_at: Option<DateTime<Utc>>,
    tags: Option<Vec<String>>,
}

/// The board of the requirement. The ends (rejected, withdrawn) are
/// counted; their cards are not shown (the list shows them). The stages,
/// the counts and the cards in one statement: the board is the
/// recruiters' most used page.
pub async fn board(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Column>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select s.id, s.name, s.kind, s.position, n.count,
                a.id as card_id, a.candidate_id, a.full_name, a.stage_entered_at, a.tags
           from pipeline_stages s
          cross join lateral (
             select count(*) as count from applications
              where requirement_id = $1 and stage_id = s.id and not hidden) n
           left join lateral (
             select a.id, a.candidate_id, c.full_name, a.stage_entered_at, c.tags
               from applications a join candidates c on c.id = a.candidate_id
              where s.kind not in ('rejected', 'withdrawn') -- StageKind::is_end
                and a.requirement_id = $1 and a.stage_id = s.id and not a.hidden
              order by a.stage_entered_at, a.id
              limit $2) a on true
          where ",
        stage::in_pipeline!("$1"),
        " order by s.position, a.stage_entered_at, a.id"
    ))
    .bind(requirement)
    .bind(CARDS_SHOWN)
    .fetch_all(&mut *conn)
    .await?;
    let mut columns: Vec<Column> = Vec::new();
    for row in rows {
        if columns.last().is_none_or(|c| c.stage.id != row.stage.id) {
            columns.push(Column {
                stage: row.stage,
                count: row.count,
                cards: Vec::new(),
            });
        }
        if let (
            Some(column),
            Some(id),
            Some(candidate_id),
            Some(full_name),
            Some(stage_entered_at),
            Some(tags),
        ) = (
            columns.last_mut(),
            row.card_id,
            row.candidate_id,
            row.full_name,
            row.stage_entered_at,
            row.tags,
        ) {
            column.cards.push(Card {
                id,
                candidate_id,
                full_name,
                stage_entered_at,
                tags,
            });
        }
    }
    Ok(columns)
}
