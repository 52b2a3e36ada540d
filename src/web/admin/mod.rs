//! Administration: users, the organisation (departments, job levels), the
//! audit log and the mail outbox. Every handler checks its permission.

pub mod audit;
pub mod departments;
pub mod levels;
pub mod outbox;
pub mod users;

use super::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(users::routes())
        .merge(departments::routes())
        .merge(levels::routes())
        .merge(audit::routes())
        .merge(outbox::routes())
}

/// The changes others saved since a form was loaded, for a stale edit.
pub async fn conflict(
    conn: &mut sqlx::PgConnection,
    entity_type: &str,
    id: uuid::Uuid,
    version: i32,
) -> Result<Vec<crate::domain::audit::Entry>, sqlx::Error> {
    crate::domain::audit::changes_since(conn, entity_type, id, version).await
}
