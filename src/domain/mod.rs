//! Rules, state and the SQL that keeps them: no HTTP, no HTML.
//!
//! Functions take a `&mut PgConnection` so a caller can compose several in
//! one transaction (the change, its audit row and its mail commit together).

pub mod approval;
pub mod audit;
pub mod comments;
pub mod history;
pub mod notify;
pub mod opening;
pub mod org;
pub mod outbox;
pub mod requirement;
pub mod token;
pub mod user;
pub mod workflow;

/// Why saving an entity did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A value that must be unique (an email, a name) is taken; the
    /// constraint says which.
    #[error("{0} is taken")]
    Taken(String),
    /// A department cannot sit under itself or its own sub-department.
    #[error("a department cannot sit under itself")]
    Cycle,
    /// A requirement's headcount cannot go below its openings already
    /// filled (how many they are).
    #[error("{0} openings are filled already")]
    BelowFilled(i64),
    /// Someone saved the row since the form was loaded (optimistic locking).
    #[error("stale version")]
    Stale,
    #[error("not found")]
    NotFound,
    /// The actor may not make this change (checked here as well as in the
    /// handler, so no other caller can skip it).
    #[error("not allowed")]
    Forbidden,
    /// The mail that goes with the change could not be rendered or queued.
    #[error("mail: {0}")]
    Mail(Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                SaveError::Taken(db.constraint().unwrap_or_default().to_owned())
            }
            _ => SaveError::Db(e),
        }
    }
}

/// Problems with submitted input, each tied to the field it concerns, in
/// the words shown beside that field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// A single problem.
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field, message.into())])
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no problem was found.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// Trims `input`; records `message` against `field` when empty or too long.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    max: usize,
    message: &str,
) -> String {
    let v = input.trim();
    if v.is_empty() {
        errors.add(field, message);
    } else if v.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    v.to_owned()
}

/// An optional id from a `<select>`: empty means none.
pub fn optional_id(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
) -> Option<uuid::Uuid> {
    let v = input.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "Choose one of the options.");
            None
        }
    }
}
