//! Openings: one per head of an open requirement, each ending filled (by a
//! hire) or closed (with a reason). When none is left open, the requirement
//! is filled.

use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::FieldErrors;
use crate::domain::requisition::lifecycle::{self, Action, Status};
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Where an opening stands: open until someone is hired into it or it is
/// closed without a hire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningStatus {
    Open,
    Filled,
    Closed,
}

impl OpeningStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpeningStatus::Open => "open",
            OpeningStatus::Filled => "filled",
            OpeningStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<OpeningStatus> {
        [
            OpeningStatus::Open,
            OpeningStatus::Filled,
            OpeningStatus::Closed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

crate::text_enum!(OpeningStatus);

/// An opening's id (see [`crate::domain::id`]).
pub type OpeningId = crate::domain::id::Id<Opening>;

#[derive(Debug, sqlx::FromRow)]
pub struct Opening {
    pub id: OpeningId,
    /// 1, 2, … in the order the openings were made: what people call it.
    pub number: i64,
    pub status: OpeningStatus,
    pub hire_name: Option<String>,
    pub closed_reason: Option<String>,
    pub settled_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl Opening {
    pub fn is_open(&self) -> bool {
        self.status == OpeningStatus::Open
    }

    /// "Open", "Filled by Ana Costa", "Closed: budget cut".
    pub fn outcome(&self) -> String {
        match (self.status, &self.hire_name, &self.closed_reason) {
            (OpeningStatus::Filled, Some(hire), _) => format!("Filled by {hire}"),
            (OpeningStatus::Closed, _, Some(reason)) => format!("Closed: {reason}"),
            (OpeningStatus::Open, ..) => "Open".into(),
            (OpeningStatus::Filled, None, _) => "Filled".into(),
            (OpeningStatus::Closed, _, None) => "Closed".into(),
        }
    }
}

/// The requirement's openings, numbered.
pub async fn of(
    conn: &mut PgConnection,
    requirement_id: RequirementId,
) -> Result<Vec<Opening>, sqlx::Error> {
    sqlx::query_as(
        "select * from (
           select o.id, row_number() over (order by o.created_at, o.id) as number, o.status, o.hire_name,
                  o.closed_reason, u.full_name as settled_by_name, o.updated_at
             from openings o left join users u on u.id = o.settled_by
            where o.requirement_id = $1) numbered
          order by number",
    )
    .bind(requirement_id)
    .fetch_all(conn)
    .await
}

/// Why an opening closes without a hire, as typed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing(String);

/// The longest reason kept.
const MAX_LEN: usize = 200;

impl Closing {
    pub fn parse(words: &str) -> Result<Closing, FieldErrors> {
        let mut e = FieldErrors::default();
        let words = crate::domain::kernel::required_text(
            &mut e,
            "reason",
            words,
            MAX_LEN,
            "Say why the opening closes.",
        );
        e.into_result(|| Closing(words))
    }
}

/// Locks the requirement (ordering this against edits of its headcount and
/// other openings settled at the same moment: the last one of two settled
/// at once sees the other and fills the requirement) and returns its
/// status, refused unless it is open or on hold.
async fn lock_recruiting(
    conn: &mut PgConnection,
    requirement_id: RequirementId,
    what: &str,
) -> Result<Status, Error> {
    let status: Status = sqlx::query_scalar(
        "select status from requirements where id = $1 and deleted_at is null for update",
    )
    .bind(requirement_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    if !matches!(status, Status::Open | Status::OnHold) {
        return Err(Error::refused(format!(
            "{what} only while the requirement is open or on hold."
        )));
    }
    Ok(status)
}

/// Closes one open opening of an open (or on hold) requirement, and fills
/// the requirement when it was the last one open. Returns the
/// requirement's status after it.
pub async fn close(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement_id: RequirementId,
    opening_id: OpeningId,
    reason: &Closing,
) -> Result<Status, Error> {
    let status = lock_recruiting(&mut *conn, requirement_id, "Openings are closed").await?;
    let opening = of(&mut *conn, requirement_id)
        .await?
        .into_iter()
        .find(|o| o.id == opening_id)
        .ok_or(Error::NotFound)?;
    if !opening.is_open() {
        return Err(Error::refused(format!(
            "Opening {} was settled meanwhile: {}.",
            opening.number,
            opening.outcome()
        )));
    }
    let outcome = Outcome::Closed { reason: &reason.0 };
    settle(conn, actor, requirement_id, &opening, outcome, status).await
}

/// Fills an opening of an open (or on hold) requirement with the hire of
/// `application`: `into` (an accepted offer's), or else the first open
/// one; and the requirement when it was the last one open. Refused when
/// that opening (or every one) is settled. Returns the requirement's
/// status after it.
pub async fn hire(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement_id: RequirementId,
    application: Uuid,
    name: &str,
    into: Option<OpeningId>,
) -> Result<Status, Error> {
    // An accepted offer's answer is read by the candidate.
    let every_one_settled = || match into {
        Some(_) => Error::refused("This position was filled meanwhile: nothing was changed."),
        None => Error::refused(
            "Every opening is filled or closed already: raise the requirement's headcount \
             to hire one more.",
        ),
    };
    let status = match lock_recruiting(&mut *conn, requirement_id, "Candidates are hired").await {
        Err(Error::Refused(_)) if is_filled(&mut *conn, requirement_id).await? => {
            return Err(every_one_settled());
        }
        other => other?,
    };
    let openings = of(&mut *conn, requirement_id).await?;
    let opening = match into {
        Some(id) => openings
            .iter()
            .find(|o| o.id == id)
            .filter(|o| o.is_open())
            .ok_or_else(every_one_settled)?,
        None => openings
            .iter()
            .find(|o| o.is_open())
            .ok_or_else(every_one_settled)?,
    };
    let outcome = Outcome::Filled {
        hire: name,
        application,
    };
    settle(conn, actor, requirement_id, opening, outcome, status).await
}

async fn is_filled(
    conn: &mut PgConnection,
    requirement_id: RequirementId,
) -> Result<bool, sqlx::Error> {
    let status: Option<Status> =
        sqlx::query_scalar("select status from requirements where id = $1")
            .bind(requirement_id)
            .fetch_optional(conn)
            .await?;
    Ok(status == Some(Status::Filled))
}

/// How an opening ends.
enum Outcome<'a> {
    Filled { hire: &'a str, application: Uuid },
    Closed { reason: &'a str },
}

async fn settle(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement_id: RequirementId,
    opening: &Opening,
    outcome: Outcome<'_>,
    status: Status,
) -> Result<Status, Error> {
    let (state, hire, application, reason) = match outcome {
        Outcome::Filled { hire, application } => ("filled", Some(hire), Some(application), None),
        Outcome::Closed { reason } => ("closed", None, None, Some(reason)),
    };
    sqlx::query(
        "update openings set status = $2, hire_name = $3, application_id = $4, closed_reason = $5,
                settled_by = $6, updated_at = now()
          where id = $1",
    )
    .bind(opening.id)
    .bind(state)
    .bind(hire)
    .bind(application)
    .bind(reason)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    let c = Changes::new()
        .created("requirement_id", &requirement_id)
        .created("opening", &opening.number)
        .field("status", &"open", &state)
        .personal("hire", hire.is_some())
        .created("reason", &reason);
    let action = if hire.is_some() {
        audit::Action::OpeningFilled
    } else {
        audit::Action::OpeningClosed
    };
    audit::record(
        &mut *conn,
        actor,
        action,
        audit::Entity::Opening,
        Some(opening.id.uuid()),
        c,
    )
    .await?;
    match fill_when_done(conn, actor, requirement_id).await? {
        Some(filled) => Ok(filled),
        None => {
            crate::domain::activity::notify::changed(
                &mut *conn,
                crate::domain::requisition::approval_subject::subject(requirement_id),
            )
            .await?;
            Ok(status)
        }
    }
}

/// Marks an open (or on hold) requirement filled once none of its openings
/// is open any more; None when it stays as it is.
pub async fn fill_when_done(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement_id: RequirementId,
) -> Result<Option<Status>, Error> {
    let done: Option<i32> = sqlx::query_scalar(
        "select r.version from requirements r
          where r.id = $1 and r.status in ('open', 'on_hold')
            and exists (select from openings o where o.requirement_id = r.id)
            and not exists (select from openings o where o.requirement_id = r.id and o.status = 'open')",
    )
    .bind(requirement_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(version) = done else {
        return Ok(None);
    };
    lifecycle::apply(
        conn,
        actor,
        lifecycle::Asker::App,
        requirement_id,
        version,
        Action::Fill,
        "Every opening is filled or closed",
    )
    .await
    .map(Some)
}

/// How many of the requirement's openings are filled: its headcount can't
/// go below that.
pub async fn filled(
    conn: &mut PgConnection,
    requirement_id: RequirementId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from openings where requirement_id = $1 and status = 'filled'",
    )
    .bind(requirement_id)
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_says_why() {
        assert_eq!(
            Closing::parse(" Budget cut "),
            Ok(Closing("Budget cut".into()))
        );
        let missing = Closing::parse(" ").unwrap_err();
        assert_eq!(missing.get("reason"), Some("Say why the opening closes."));
        let long = Closing::parse(&"x".repeat(201)).unwrap_err();
        assert_eq!(long.get("reason"), Some("Use at most 200 characters."));
    }
}
