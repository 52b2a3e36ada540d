//! Rules, state and the SQL that keeps them: no HTTP, no HTML.
//!
//! Functions take a `&mut PgConnection` so a caller can compose several in
//! one transaction (the change, its audit row and its mail commit together).

pub mod audit;
pub mod org;
pub mod outbox;
pub mod token;
pub mod user;

/// A unique index or constraint name, when `e` is a unique violation.
pub fn unique_violation(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

/// Problems with submitted input, each tied to the field it concerns, in
/// the words shown beside that field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
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
