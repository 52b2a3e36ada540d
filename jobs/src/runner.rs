//! Running all background workers under one apalis `Monitor` until shutdown.
//!
//! Why here and not in the main crate: the list of jobs, their restart policy
//! and the shutdown sequence are apalis details; the main crate only hands
//! over the pool, the domain traits and a shutdown future.

use std::{future::Future, sync::Arc, time::Duration};

use apalis::prelude::{Backend, BackendExt, Monitor};
use apalis_core::backend::ext::lifecycle::BeforeStart;
use sqlx::PgPool;

use crate::{Extractor, JobsError, Mailer, Periodic, extract, mail, periodic};

/// How long [`run_workers`] waits, after `shutdown` resolved, for running
/// tasks to finish. Tasks still running after that are abandoned; another
/// worker re-enqueues them after the heartbeat timeout (about a minute).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Longest pause before restarting a failed worker.
const MAX_RESTART_DELAY: Duration = Duration::from_secs(30);

/// What job registrations need from the main crate.
pub(crate) struct Env<M> {
    pub(crate) pool: PgPool,
    pub(crate) mailer: Arc<M>,
    /// Random id of this `run_workers` call, part of every worker name.
    pub(crate) instance: String,
}

/// THE list of jobs. Adding a job = one line here (plus its module).
/// Cron jobs (apalis-cron `CronScheduler` backends) are registered here too.
fn register_all<M: Mailer, P: Periodic, E: Extractor>(
    monitor: Monitor,
    env: &Env<M>,
    periodic: Arc<P>,
    extractor: Arc<E>,
) -> Monitor {
    let monitor = mail::register(monitor, env);
    let monitor = extract::register(monitor, env, extractor);
    periodic::register(monitor, env, periodic)
}

/// Runs every background worker until `shutdown` resolves, then stops them
/// gracefully: no new tasks are fetched, running ones get [`SHUTDOWN_GRACE`]
/// to finish.
///
/// A worker that fails (e.g. the database went away) is restarted with a
/// growing delay (up to 30 s), so a database outage does not end background
/// processing. The pool should have a few spare connections: each queue
/// worker keeps one for LISTEN/NOTIFY and briefly uses others to fetch and
/// acknowledge tasks.
///
/// Returns `Ok(())` after a graceful shutdown, or the workers' error if they
/// all stopped for good before `shutdown` resolved.
pub async fn run_workers<M: Mailer, P: Periodic, E: Extractor>(
    pool: PgPool,
    mailer: Arc<M>,
    periodic: Arc<P>,
    extractor: Arc<E>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), JobsError> {
    let env = Env {
        pool,
        mailer,
        instance: uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(12)
            .collect(),
    };
    let monitor =
        register_all(Monitor::new(), &env, periodic, extractor).should_restart(|worker, error| {
            if worker.is_shutting_down() {
                return false;
            }
            tracing::error!(worker = worker.name(), %error, "background worker failed; restarting");
            true
        });
    let control = monitor.context();
    let run = monitor.run();
    tokio::pin!(run);

    tokio::select! {
        result = &mut run => {
            // Only reachable if every worker stopped on its own.
            return result.map_err(JobsError::from);
        }
        () = shutdown => {}
    }

    tracing::info!("stopping background workers");
    control.shutdown()?;
    match tokio::time::timeout(SHUTDOWN_GRACE, run).await {
        Ok(result) => result?,
        Err(_elapsed) => tracing::warn!(
            grace_secs = SHUTDOWN_GRACE.as_secs(),
            "background workers did not stop in time; abandoning running tasks"
        ),
    }
    tracing::info!("background workers stopped");
    Ok(())
}

/// Worker name: queue, process instance and restart count.
///
/// Why unique: apalis-postgres 1.0 registers a worker with
/// `INSERT .. ON CONFLICT (id) DO UPDATE .. WHERE pg_try_advisory_lock(..)`,
/// a *session* lock taken on whichever pooled connection runs it and never
/// released. Re-registering an existing name (a second process, or a restart
/// on another pooled connection) then fails with `WorkerAlreadyExists`.
/// The cost is one row per name in `apalis.workers`.
pub(crate) fn worker_name(queue: &str, instance: &str, restarts: usize) -> String {
    format!("{queue}@{instance}-{restarts}")
}

/// Delay before a restarted worker (`restarts > 0`) touches the database:
/// 1 s, 2 s, 4 s, … up to [`MAX_RESTART_DELAY`]. apalis restarts a failed
/// worker immediately, which would spin during a database outage.
pub(crate) fn delay_restart<B>(backend: B, restarts: usize) -> BeforeStart<B, B::Error>
where
    B: Backend,
    B::Error: Send + 'static,
{
    let delay = restart_delay(restarts);
    backend.before_start(move |_| async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    })
}

fn restart_delay(restarts: usize) -> Duration {
    if restarts == 0 {
        return Duration::ZERO;
    }
    let exponent = u32::try_from(restarts - 1).unwrap_or(u32::MAX);
    2u32.checked_pow(exponent)
        .and_then(|factor| Duration::from_secs(1).checked_mul(factor))
        .map_or(MAX_RESTART_DELAY, |delay| delay.min(MAX_RESTART_DELAY))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn restart_delay_grows_and_is_capped() {
        assert_eq!(restart_delay(0), Duration::ZERO);
        assert_eq!(restart_delay(1), Duration::from_secs(1));
        assert_eq!(restart_delay(2), Duration::from_secs(2));
        assert_eq!(restart_delay(5), Duration::from_secs(16));
        assert_eq!(restart_delay(6), MAX_RESTART_DELAY);
        assert_eq!(restart_delay(usize::MAX), MAX_RESTART_DELAY);
    }

    #[test]
    fn worker_names_differ_per_instance_and_restart() {
        assert_eq!(worker_name("hh.mail", "abc", 0), "hh.mail@abc-0");
        assert_ne!(
            worker_name("hh.mail", "abc", 0),
            worker_name("hh.mail", "abc", 1)
        );
        assert_ne!(
            worker_name("hh.mail", "abc", 0),
            worker_name("hh.mail", "abd", 0)
        );
    }
}
