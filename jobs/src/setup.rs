//! Creating/upgrading the `apalis` schema that stores queued tasks.
//!
//! Why a wrapper instead of `PostgresStorage::setup(&pool)`: that function runs
//! the sqlx migrator on a *pooled* connection. The migrator takes a
//! session-level `pg_advisory_lock` (keyed by database name — the same key the
//! main crate's own sqlx migrations use) and, if a migration fails, returns
//! without unlocking. The poisoned connection would then go back to the pool
//! still holding the lock and every later migration run (ours or the main
//! crate's) would hang instead of failing. Running on a detached connection
//! that is closed afterwards makes a failure a failure, not a hang.

use apalis_postgres::PostgresStorage;
use sqlx::{Connection, PgPool};

use crate::JobsError;

/// Runs the apalis-postgres migrations (schema `apalis`, tables `jobs` and
/// `workers`, the `hstore` extension, the insert `NOTIFY` trigger).
///
/// Idempotent and safe to call from several processes at once: the sqlx
/// migrator serialises concurrent runs with `pg_advisory_lock` before it
/// creates anything, and applied migrations are recorded in
/// `apalis._sqlx_migrations` (separate from the main crate's history).
///
/// Needs a role that may `CREATE SCHEMA` and `CREATE EXTENSION hstore`
/// (hstore is a trusted extension, so the database owner suffices on
/// PostgreSQL 13+).
pub async fn setup(pool: &PgPool) -> Result<(), JobsError> {
    let mut conn = pool.acquire().await?.detach();
    let migrated = PostgresStorage::<()>::migrations().run(&mut conn).await;
    // Closing ends the session, which releases the advisory lock even when
    // the migrator bailed out before unlocking.
    if let Err(err) = conn.close().await {
        tracing::debug!(error = %err, "closing the migration connection failed");
    }
    migrated?;
    Ok(())
}
