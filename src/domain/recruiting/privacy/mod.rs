//! Privacy: why and until when a candidate's data is kept, and what an admin
//! sets about it. Anonymising lives in [`anonymise`], the archive of
//! everything held in [`export`], and what candidates ask by mailed link
//! (renewing consent, seeing their data) in [`requests`].

pub mod anonymise;
pub mod export;
pub mod requests;

use super::candidate::CandidateId;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{FieldErrors, optional_text, required_text};
use chrono::{DateTime, Months, NaiveDate, Utc};
use sqlx::PgConnection;

/// What an admin sets (`privacy_settings`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Settings {
    pub retention_months: i32,
    pub future_roles_months: i32,
    pub renewal_days: i32,
    pub consent_text: String,
    pub future_roles_text: String,
    pub version: i32,
}

pub async fn settings(conn: &mut PgConnection) -> Result<Settings, sqlx::Error> {
    sqlx::query_as(
        "select retention_months, future_roles_months, renewal_days, consent_text,
                future_roles_text, version
           from privacy_settings",
    )
    .fetch_one(conn)
    .await
}

/// The settings form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub retention_months: String,
    #[serde(default)]
    pub future_roles_months: String,
    #[serde(default)]
    pub renewal_days: String,
    #[serde(default)]
    pub consent_text: String,
    #[serde(default)]
    pub future_roles_text: String,
    #[serde(default)]
    pub version: String,
}

pub const TEXT_MAX: usize = 1000;

fn whole(
    e: &mut FieldErrors,
    field: &'static str,
    input: &str,
    min: i32,
    max: i32,
    unit: &str,
) -> i32 {
    match input.trim().parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            e.add(
                field,
                format!("Give a whole number of {unit} from {min} to {max}."),
            );
            min
        }
    }
}

impl SettingsForm {
    pub fn of(s: &Settings) -> SettingsForm {
        SettingsForm {
            retention_months: s.retention_months.to_string(),
            future_roles_months: s.future_roles_months.to_string(),
            renewal_days: s.renewal_days.to_string(),
            consent_text: s.consent_text.clone(),
            future_roles_text: s.future_roles_text.clone(),
            version: s.version.to_string(),
        }
    }

    fn check(&self) -> Result<Settings, FieldErrors> {
        let mut e = FieldErrors::default();
        let retention_months = whole(
            &mut e,
            "retention_months",
            &self.retention_months,
            1,
            120,
            "months",
        );
        let future_roles_months = whole(
            &mut e,
            "future_roles_months",
            &self.future_roles_months,
            1,
            60,
            "months",
        );
        let renewal_days = whole(&mut e, "renewal_days", &self.renewal_days, 1, 180, "days");
        let consent_text = required_text(
            &mut e,
            "consent_text",
            &self.consent_text,
            TEXT_MAX,
            "Write what a candidate agrees to when they apply.",
        );
        let future_roles_text = required_text(
            &mut e,
            "future_roles_text",
            &self.future_roles_text,
            TEXT_MAX,
            "Write what a candidate agrees to by ticking the box for future roles.",
        );
        let version = self.version.trim().parse().unwrap_or(0);
        e.into_result(|| Settings {
            retention_months,
            future_roles_months,
            renewal_days,
            consent_text,
            future_roles_text,
            version,
        })
    }
}

/// Saves the settings (admins), audited; refused as stale when someone
/// saved since the form was read.
pub async fn save_settings(
    conn: &mut PgConnection,
    actor: &Actor,
    form: &SettingsForm,
) -> Result<(), Error> {
    let new = form.check()?;
    let before = settings(&mut *conn).await?;
    let saved = sqlx::query(
        "update privacy_settings
            set retention_months = $1, future_roles_months = $2, renewal_days = $3,
                consent_text = $4, future_roles_text = $5, version = version + 1, updated_at = now()
          where version = $6",
    )
    .bind(new.retention_months)
    .bind(new.future_roles_months)
    .bind(new.renewal_days)
    .bind(&new.consent_text)
    .bind(&new.future_roles_text)
    .bind(new.version)
    .execute(&mut *conn)
    .await?;
    if saved.rows_affected() == 0 {
        return Err(Error::stale(
            conn,
            audit::Entity::PrivacySettings,
            uuid::Uuid::nil(),
            new.version,
        )
        .await);
    }
    let c = Changes::new()
        .field(
            "retention_months",
            &before.retention_months,
            &new.retention_months,
        )
        .field(
            "future_roles_months",
            &before.future_roles_months,
            &new.future_roles_months,
        )
        .field("renewal_days", &before.renewal_days, &new.renewal_days)
        .field("consent_text", &before.consent_text, &new.consent_text)
        .field(
            "future_roles_text",
            &before.future_roles_text,
            &new.future_roles_text,
        )
        .field("version", &before.version, &(before.version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::PrivacySettingsUpdated,
        audit::Entity::PrivacySettings,
        Some(uuid::Uuid::nil()),
        c,
    )
    .await?;
    Ok(())
}

/// Why a candidate's data is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// Removed already: only ids and dates are left.
    Anonymised(DateTime<Utc>),
    /// A legal hold, with its reason: kept whatever the dates say.
    Hold(String),
    /// An application is still open.
    Applying,
    /// They agreed to be kept for future roles, until then.
    Consent(NaiveDate),
    /// The retention period after their last application closed (or after
    /// they were added, with none), until then.
    Retention { closed: NaiveDate, until: NaiveDate },
}

impl Basis {
    /// The day after which the daily run anonymises them; None while kept
    /// whatever the date.
    pub fn until(&self) -> Option<NaiveDate> {
        match self {
            Basis::Consent(until) | Basis::Retention { until, .. } => Some(*until),
            Basis::Anonymised(_) | Basis::Hold(_) | Basis::Applying => None,
        }
    }
}

/// The columns [`Basis`] is read from, for one candidate `c` (with the
/// settings `p`): one definition for the profile and the daily run.
macro_rules! keeping_columns {
    () => {
        "c.anonymised_at, c.legal_hold, c.consent_until,
         exists (select from applications a join pipeline_stages s on s.id = a.stage_id
                  where a.candidate_id = c.id and s.kind = 'active') as applying,
         (coalesce((select max(a.stage_entered_at) from applications a where a.candidate_id = c.id),
                   c.created_at) at time zone 'UTC')::date as closed_on"
    };
}
pub(crate) use keeping_columns;

#[derive(sqlx::FromRow)]
struct Keeping {
    anonymised_at: Option<DateTime<Utc>>,
    legal_hold: Option<String>,
    consent_until: Option<NaiveDate>,
    applying: bool,
    closed_on: NaiveDate,
}

impl Keeping {
    fn basis(self, retention_months: i32) -> Basis {
        if let Some(at) = self.anonymised_at {
            return Basis::Anonymised(at);
        }
        if let Some(reason) = self.legal_hold {
            return Basis::Hold(reason);
        }
        if self.applying {
            return Basis::Applying;
        }
        let retained = self
            .closed_on
            .checked_add_months(Months::new(retention_months.unsigned_abs()))
            .unwrap_or(NaiveDate::MAX);
        match self.consent_until {
            Some(until) if until > retained => Basis::Consent(until),
            _ => Basis::Retention {
                closed: self.closed_on,
                until: retained,
            },
        }
    }
}

/// Why the candidate's data is kept and until when, with the retention
/// period that date was reckoned with (the profile names it).
pub struct Kept {
    pub basis: Basis,
    pub retention_months: i32,
}

/// [`Kept`] as a statement reads it, over `candidates c`: the columns of
/// [`kept_columns!`]. The profile reads it beside its other checks.
#[derive(sqlx::FromRow)]
pub struct KeptRow {
    #[sqlx(flatten)]
    keeping: Keeping,
    retention_months: i32,
}

impl From<KeptRow> for Kept {
    fn from(row: KeptRow) -> Kept {
        Kept {
            basis: row.keeping.basis(row.retention_months),
            retention_months: row.retention_months,
        }
    }
}

/// The columns of a [`KeptRow`], for one candidate `c`.
macro_rules! kept_columns {
    () => {
        concat!(
            $crate::domain::recruiting::privacy::keeping_columns!(),
            ", (select retention_months from privacy_settings) as retention_months"
        )
    };
}
pub(crate) use kept_columns;

/// Why the candidate's data is kept, and until when: one statement, the
/// settings' retention read with the candidate.
pub async fn basis(conn: &mut PgConnection, id: CandidateId) -> Result<Kept, Error> {
    let row: Option<KeptRow> = sqlx::query_as(concat!(
        "select ",
        kept_columns!(),
        " from candidates c where c.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.ok_or(Error::NotFound)?.into())
}

pub const HOLD_MAX: usize = 500;

/// Puts the candidate under a legal hold with its reason, or lifts it
/// (`reason` empty); audited.
pub async fn hold(
    conn: &mut PgConnection,
    actor: &Actor,
    id: CandidateId,
    reason: &str,
) -> Result<(), Error> {
    let mut e = FieldErrors::default();
    let reason = optional_text(&mut e, "legal_hold", reason, HOLD_MAX);
    e.into_result(|| ())?;
    let reason = (!reason.is_empty()).then_some(reason.as_str());
    let before: Option<Option<String>> = sqlx::query_scalar(
        "select legal_hold from candidates where id = $1 and anonymised_at is null for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let before = before.ok_or(Error::NotFound)?;
    sqlx::query("update candidates set legal_hold = $2 where id = $1")
        .bind(id)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::CandidateHoldSet,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new().field("legal_hold", &before.is_some(), &reason.is_some()),
    )
    .await?;
    Ok(())
}

/// The label an anonymised candidate keeps: no name, the start of the id.
pub fn anonymised_name(id: CandidateId) -> String {
    let id = id.uuid().simple().to_string();
    format!("Anonymised candidate #{}", &id[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeping(consent: Option<NaiveDate>, applying: bool) -> Keeping {
        Keeping {
            anonymised_at: None,
            legal_hold: None,
            consent_until: consent,
            applying,
            closed_on: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        }
    }

    #[test]
    fn the_later_of_consent_and_retention_keeps_the_data() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(
            keeping(None, false).basis(6),
            Basis::Retention {
                closed: d(1, 31),
                until: d(7, 31)
            }
        );
        assert_eq!(
            keeping(Some(d(9, 1)), false).basis(6),
            Basis::Consent(d(9, 1))
        );
        assert_eq!(
            keeping(Some(d(3, 1)), false).basis(6).until(),
            Some(d(7, 31))
        );
        assert_eq!(keeping(Some(d(9, 1)), true).basis(6), Basis::Applying);
        let mut held = keeping(None, true);
        held.legal_hold = Some("Tribunal claim".into());
        assert_eq!(held.basis(6), Basis::Hold("Tribunal claim".into()));
    }
}
