//! Durable retries with exponential back-off for queue-backed jobs.
//!
//! Why not apalis' `RetryPolicy::retries(n).with_backoff(..)` layer: in
//! apalis 1.0 that is tower's in-process `Retry`. The back-off sleeps inside
//! the worker (holding a concurrency slot, lost on restart), and it can hang
//! graceful shutdown: after a back-off sleep tower calls `poll_ready` on the
//! inner apalis lifecycle service, which returns `Pending` forever once the
//! worker is shutting down. apalis-postgres itself re-fetches a `Failed` task
//! while `attempts < max_attempts` but ignores back-off (it never moves
//! `run_at`, even for `RetryAfterError`).
//!
//! So the back-off lives in the database: when a handler fails, [`failed`]
//! moves the task's `run_at` into the future and returns the error; apalis
//! records the task as `Failed` with its attempt count, and the fetch query
//! (`status = 'Failed' AND attempts < max_attempts AND run_at < now()`)
//! picks it up again when the delay has passed — in any process.

use std::{convert::Infallible, time::Duration};

use apalis::prelude::{BoxDynError, FromRequest, Task};
use sqlx::PgPool;

/// Delay after the first failed attempt.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Each further failure multiplies the delay by this factor.
const FACTOR: u32 = 4;
/// Upper bound for a single delay.
const MAX_DELAY: Duration = Duration::from_secs(60 * 60);

/// What a handler needs to know about the task it runs in order to retry it.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// apalis task id (a ULID, the primary key of `apalis.jobs`).
    pub(crate) task_id: Option<String>,
    /// 1-based number of the attempt that is running now.
    pub(crate) number: usize,
    /// Maximum number of attempts stored on the task row.
    pub(crate) max: Option<usize>,
}

impl<Args: Sync> FromRequest<Task<Args>> for Attempt {
    type Error = Infallible;

    async fn from_request(task: &Task<Args>) -> Result<Self, Self::Error> {
        let ctx = task.ctx();
        Ok(Self {
            task_id: ctx.task_id().map(ToString::to_string),
            // apalis increments the counter before the handler runs.
            number: ctx.attempt(),
            max: ctx.max_attempts(),
        })
    }
}

impl Attempt {
    /// Whether apalis will fetch the task again after this attempt fails.
    fn has_retries_left(&self) -> bool {
        self.max.is_some_and(|max| self.number < max)
    }
}

/// Back-off before the attempt after `failed_attempt` (1-based):
/// 1 s, 4 s, 16 s, 64 s, ~4 min, ~17 min, then 1 h, plus up to 20 % jitter so
/// tasks that failed together (e.g. SMTP outage) do not retry together.
pub(crate) fn backoff(failed_attempt: usize) -> Duration {
    let exponent = u32::try_from(failed_attempt.saturating_sub(1)).unwrap_or(u32::MAX);
    let base = FACTOR
        .checked_pow(exponent)
        .and_then(|factor| FIRST_DELAY.checked_mul(factor))
        .map_or(MAX_DELAY, |delay| delay.min(MAX_DELAY));
    let jitter_permille = u32::try_from(uuid::Uuid::new_v4().as_u128() % 201).unwrap_or(0);
    base + base * jitter_permille / 1000
}

/// Handles a failed attempt: if the task has attempts left, pushes its
/// `run_at` back by [`backoff`]; logs; returns `err` for the handler to
/// return (so apalis stores the task as `Failed` with the attempt count).
///
/// If moving `run_at` fails the task is simply retried without delay.
pub(crate) async fn failed(
    pool: &PgPool,
    queue: &str,
    attempt: &Attempt,
    err: BoxDynError,
) -> BoxDynError {
    if !attempt.has_retries_left() {
        tracing::error!(
            queue,
            task_id = attempt.task_id.as_deref(),
            attempt = attempt.number,
            error = %err,
            "job failed for good; no attempts left"
        );
        return err;
    }
    let Some(task_id) = attempt.task_id.as_deref() else {
        tracing::warn!(
            queue,
            attempt = attempt.number,
            error = %err,
            "job failed; task has no id, retrying without delay"
        );
        return err;
    };
    let delay = backoff(attempt.number);
    let rescheduled = sqlx::query(
        "UPDATE apalis.jobs SET run_at = now() + make_interval(secs => $2) WHERE id = $1",
    )
    .bind(task_id)
    .bind(delay.as_secs_f64())
    .execute(pool)
    .await;
    match rescheduled {
        Ok(_) => tracing::warn!(
            queue,
            task_id,
            attempt = attempt.number,
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %err,
            "job failed; will retry"
        ),
        Err(db_err) => tracing::warn!(
            queue,
            task_id,
            attempt = attempt.number,
            error = %err,
            reschedule_error = %db_err,
            "job failed and its back-off could not be stored; retrying without delay"
        ),
    }
    err
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_bounded_jitter() {
        let expected_base = [1, 4, 16, 64, 256, 1024, 3600, 3600, 3600];
        for (index, base) in expected_base.into_iter().enumerate() {
            let base = Duration::from_secs(base);
            for _ in 0..50 {
                let delay = backoff(index + 1);
                assert!(delay >= base, "attempt {}: {delay:?} < {base:?}", index + 1);
                assert!(
                    delay <= base + base / 5,
                    "attempt {}: {delay:?} too long",
                    index + 1
                );
            }
        }
        // Absurd attempt numbers saturate instead of overflowing.
        assert!(backoff(usize::MAX) <= MAX_DELAY + MAX_DELAY / 5);
        assert!(backoff(0) <= FIRST_DELAY + FIRST_DELAY / 5);
    }

    #[test]
    fn retries_left_follows_max_attempts() {
        let attempt = |number, max| Attempt {
            task_id: None,
            number,
            max,
        };
        assert!(attempt(1, Some(8)).has_retries_left());
        assert!(attempt(7, Some(8)).has_retries_left());
        assert!(!attempt(8, Some(8)).has_retries_left());
        assert!(!attempt(1, Some(1)).has_retries_left());
        assert!(!attempt(1, None).has_retries_left());
    }
}
