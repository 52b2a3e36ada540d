//! The one error of the domain: the cases a page tells apart, whatever
//! area refused. `web::refusal` maps each to its response once: a missing
//! row or a forbidden act to the error page, problems with input and
//! refusals to the form again with the person's input kept.

use crate::domain::activity::audit::{self, Entity, Entry};
use crate::domain::kernel::FieldErrors;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such row, or none this person may know of.
    #[error("not found")]
    NotFound,
    /// Not this person's to do, in any state (checked here as well as in
    /// the handler, so no other caller can skip it).
    #[error("not allowed")]
    Forbidden,
    /// Someone saved the row since the form was loaded (optimistic
    /// locking): what they changed, from the audit log, oldest first.
    #[error("changed since it was loaded")]
    Stale(Vec<Entry>),
    /// Input the rules refuse, each problem beside its field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Refused by a rule or the state machine: why, in words for the
    /// person who asked.
    #[error("{0}")]
    Refused(String),
    /// The database, the mail or the queue failed: nothing the person can
    /// mend.
    #[error(transparent)]
    Internal(crate::BoxError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One problem beside one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid(FieldErrors::one(field, message))
    }

    pub fn refused(why: impl Into<String>) -> Error {
        Error::Refused(why.into())
    }

    /// A refusal said beside `field`, where the text it refuses was typed;
    /// any other error as it is.
    pub fn beside(self, field: &'static str) -> Error {
        match self {
            Error::Refused(why) => Error::field(field, why),
            e => e,
        }
    }

    /// The row of `entity` changed past `version`: reads who changed what
    /// since, for the page to show beside the person's own input.
    pub async fn stale(conn: &mut PgConnection, entity: Entity, id: Uuid, version: i32) -> Error {
        Error::stale_by(conn, entity, id, "version", version).await
    }

    /// As [`Error::stale`], for a part of the row versioned on its own
    /// (its entries record that version under `key`).
    pub async fn stale_by(
        conn: &mut PgConnection,
        entity: Entity,
        id: Uuid,
        key: &str,
        version: i32,
    ) -> Error {
        match audit::changes_since(conn, entity, id, key, version).await {
            Ok(changes) => Error::Stale(changes),
            Err(e) => e.into(),
        }
    }

    /// A unique constraint refused the row: shown beside `field` (a name
    /// or an email that is taken); any other database error is internal.
    pub fn taken(e: sqlx::Error, field: &'static str, message: &str) -> Error {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::field(field, message),
            _ => e.into(),
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Error::Invalid(errors)
    }
}

macro_rules! internal_from {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self { Error::Internal(Box::new(e)) }
        }
    )*};
}
internal_from!(
    sqlx::Error,
    crate::domain::messaging::LetterError,
    jobs::JobsError,
);
