//! The single error type of the `jobs` crate.
//!
//! Why: the main crate should not need to know which apalis/sqlx layer failed
//! to decide what to do (usually: log and abort start-up or the request).

/// Everything that can go wrong when setting up, enqueueing or running jobs.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// A plain database error (connection, transaction, query).
    #[error("job queue database error: {0}")]
    Database(#[from] sqlx::Error),

    /// Applying the apalis-postgres migrations failed.
    #[error("job queue migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// apalis-postgres reported an error while pushing a task.
    #[error("job queue error: {0}")]
    Queue(#[from] apalis_postgres::Error),

    /// A job payload could not be serialised to JSON.
    #[error("could not encode job payload: {0}")]
    Encode(#[from] serde_json::Error),

    /// The worker monitor stopped because at least one worker failed for good.
    #[error("background workers failed: {0}")]
    Workers(#[from] apalis::prelude::MonitorError),
}
