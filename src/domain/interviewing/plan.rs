//! The interview plan: the rounds a candidate goes through, each with its
//! kind, length, the attributes its scorecard rates and the questions its
//! kit suggests. The company's plan serves every requirement without one
//! of its own.

use super::Kind;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Action, Actor, Changes, Entity};
use crate::domain::kernel::{FieldErrors, optional_text};
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

/// One round as typed in the plan's form; a round with no name is left
/// out.
#[derive(Debug, Clone, Default)]
pub struct RoundForm {
    pub name: String,
    pub kind: String,
    pub minutes: String,
    /// One per line.
    pub attributes: String,
    /// One per line.
    pub questions: String,
}

impl RoundForm {
    pub fn of(r: &Round) -> RoundForm {
        RoundForm {
            name: r.name.clone(),
            kind: r.kind.as_str().into(),
            minutes: r.minutes.to_string(),
            attributes: r.attributes.join("\n"),
            questions: r.questions.clone(),
        }
    }

    fn check(&self) -> Result<Option<NewRound>, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = optional_text(&mut e, "name", &self.name, 120);
        if name.is_empty() {
            return if e.is_empty() { Ok(None) } else { Err(e) };
        }
        let kind = Kind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "Choose how this round is held.");
        }
        let minutes = self
            .minutes
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|m| (5..=480).contains(m));
        if minutes.is_none() {
            e.add("minutes", "Enter a length between 5 and 480 minutes.");
        }
        let attributes_text = optional_text(&mut e, "attributes", &self.attributes, 2000);
        let attributes: Vec<String> = attributes_text
            .lines()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        if attributes.iter().any(|a| a.chars().count() > 120) {
            e.add("attributes", "Keep each attribute under 120 characters.");
        } else if attributes.len() > 12 {
            e.add("attributes", "A scorecard rates at most 12 attributes.");
        }
        let questions = optional_text(&mut e, "questions", &self.questions, 10_000);
        match (kind, minutes) {
            (Some(kind), Some(minutes)) if e.is_empty() => Ok(Some(NewRound {
                name,
                kind,
                minutes,
                attributes,
                questions,
            })),
            _ => Err(e),
        }
    }
}

struct NewRound {
    name: String,
    kind: Kind,
    minutes: i32,
    attributes: Vec<String>,
    questions: String,
}

/// Saves `rounds` as the requirement's own plan (its first save makes the
/// copy of the company's); none at all goes back to the company's plan.
/// Interviews keep the rounds they were scheduled in.
pub async fn save(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement: RequirementId,
    rounds: &[RoundForm],
) -> Result<(), Error> {
    let mut e = FieldErrors::default();
    let mut checked = Vec::new();
    for (n, r) in rounds.iter().enumerate() {
        match r.check() {
            Ok(Some(round)) => checked.push(round),
            Ok(None) => {}
            Err(problems) => e.nest("round", n, problems),
        }
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let before: Vec<String> = rounds_named(&mut *conn, requirement).await?;
    sqlx::query(
        "update interview_rounds set archived_at = now()
          where requirement_id = $1 and archived_at is null",
    )
    .bind(requirement)
    .execute(&mut *conn)
    .await?;
    for (position, r) in checked.iter().enumerate() {
        sqlx::query(
            "insert into interview_rounds (requirement_id, position, name, kind, minutes, attributes, questions)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(requirement)
        .bind(position as i32 + 1)
        .bind(&r.name)
        .bind(r.kind)
        .bind(r.minutes)
        .bind(&r.attributes)
        .bind(&r.questions)
        .execute(&mut *conn)
        .await?;
    }
    let after: Vec<String> = rounds_named(&mut *conn, requirement).await?;
    audit::record(
        conn,
        actor,
        Action::InterviewPlanSaved,
        Entity::Requirement,
        Some(requirement.uuid()),
        Changes::new().field("interview_plan", &before, &after),
    )
    .await?;
    Ok(())
}

async fn rounds_named(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<String>, sqlx::Error> {
    Ok(rounds(conn, requirement)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

/// Whether the requirement has a plan of its own.
pub async fn has_own(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select from interview_rounds where requirement_id = $1 and archived_at is null)",
    )
    .bind(requirement)
    .fetch_one(conn)
    .await
}
