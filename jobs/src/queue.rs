//! Shared plumbing for PostgreSQL-backed queues: pushing a task inside the
//! caller's transaction, building the polling backend, decoding payloads.
//!
//! Why in one place: every queue-backed job should get the same guarantees
//! (transactional enqueue, LISTEN/NOTIFY wake-up with a polling fallback,
//! poison payloads do not crash the worker) without repeating apalis details.

use std::time::Duration;

use apalis::prelude::{
    AbortError, BackendExt, BoxDynError, IntervalStrategy, PollWith, StreamStrategy,
};
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use serde::{Serialize, de::DeserializeOwned};
use sqlx::{PgConnection, PgPool};

use crate::JobsError;

/// Fallback polling period. New tasks normally wake the worker at once through
/// the `apalis::job::insert` NOTIFY (which the app sends just after the
/// commit, see its `nudge` module); polling catches what NOTIFY cannot:
/// retries whose back-off expired, tasks whose notification was skipped (the
/// insert trigger only notifies when `run_at <= now()`, and `now()` is the
/// *transaction start*), and a listener connection that was lost.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How often a worker reports liveness.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);

/// After this many missed heartbeats (here 60 s) another worker of the same
/// queue re-enqueues the tasks a vanished worker had claimed.
const MISSED_HEARTBEATS: usize = 4;

/// Task payload as the worker sees it. Decoding into the concrete job type
/// happens in the handler (see [`decode`]): if apalis decoded it, a payload
/// that no longer matches the Rust type would be a *backend* error, which
/// stops the whole worker, and after the orphan timeout the same task would
/// stop the next one, forever.
pub(crate) type RawPayload = serde_json::Value;

/// Pushes one task onto `queue` using the caller's connection, so it becomes
/// visible exactly when (and if) the caller's transaction commits.
///
/// `max_attempts` is stored on the row; apalis stops fetching a failed task
/// once its attempt count reaches it.
pub(crate) async fn push<T: Serialize>(
    conn: &mut PgConnection,
    queue: &str,
    payload: &T,
    max_attempts: usize,
    delay: std::time::Duration,
) -> Result<(), JobsError> {
    // apalis' own insert (`queries::push_tasks`) binds the metadata as an
    // hstore array, and sqlx looks that type up in the catalog again on
    // every call (0.7 ms of server time, in the caller's transaction). This
    // is the same row, written the way apalis writes it:
    // - `job` holds the JSON document as bytes (apalis' JsonCodec);
    // - the id is a ULID string;
    // - the run time is the transaction's own clock: apalis' insert trigger
    //   only wakes workers when `run_at <= now()`, and an app-clock time a
    //   moment past the transaction start would skip the wake-up.
    let max_attempts = i32::try_from(max_attempts).unwrap_or(i32::MAX);
    sqlx::query(
        "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, metadata)
         values ($1, $2, $3, 'Pending', 0, $4, now() + make_interval(secs => $5), 0, ''::hstore)",
    )
    .bind(ulid::Ulid::generate().to_string())
    .bind(queue)
    .bind(serde_json::to_vec(payload)?)
    .bind(max_attempts)
    .bind(delay.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// apalis-postgres settings for a worker of `queue` that may run up to
/// `batch_size` tasks at once (fetching more would only park claimed tasks
/// in memory where no other worker can take them).
pub(crate) fn config(queue: &str, batch_size: usize) -> Config {
    Config::default()
        .queue(queue)
        .batch_size(batch_size.max(1))
        .heartbeat_interval(HEARTBEAT_INTERVAL)
        .missed_heartbeats(MISSED_HEARTBEATS)
}

/// Concrete type of [`backend`]; spelled out because the worker builder needs
/// all of its traits (`Backend`, `BackendConfig`, codec, ...).
pub(crate) type QueueBackend =
    PollWith<PollWith<PostgresStorage<RawPayload>, StreamStrategy<Pubsub>>, IntervalStrategy>;

/// The backend a queue worker consumes: PostgreSQL storage woken by
/// LISTEN/NOTIFY (one dedicated pool connection per worker) plus the
/// [`POLL_INTERVAL`] fallback.
pub(crate) fn backend(pool: &PgPool, config: Config) -> QueueBackend {
    PostgresStorage::<RawPayload>::new(pool)
        .with_config(config)
        .with_pubsub()
        .poll_with_interval(POLL_INTERVAL)
}

/// Decodes a raw payload into the job type. A payload that does not decode
/// will never decode, so it is aborted (apalis marks the task `Killed`)
/// instead of being retried.
pub(crate) fn decode<T: DeserializeOwned>(payload: RawPayload) -> Result<T, BoxDynError> {
    serde_json::from_value(payload).map_err(|err| {
        tracing::error!(error = %err, "undecodable job payload; task is dropped");
        Box::new(AbortError::new(err)) as BoxDynError
    })
}
