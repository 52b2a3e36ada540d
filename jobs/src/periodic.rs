//! Periodic jobs (apalis-cron): reminders (of overdue approvals, missing
//! scorecards, offers about to expire, overdue onboarding tasks) and the
//! expiry of offers past their date every ten minutes, the
//! hourly look for people whose local morning it is, for their daily
//! digest, and the daily privacy run (ticked hourly; the first tick of a
//! day claims it).
//!
//! Why every process runs them: a cron tick is not a stored task, so each
//! process ticks on its own; the main crate claims each reminder and each
//! digested notification with a row update before queueing its mail, so
//! several processes ticking at the same moment still send each one once.

use std::{future::Future, str::FromStr, sync::Arc};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_cron::{CronScheduler, Tick};
use chrono::{DateTime, Utc};

use crate::{BoxError, runner::Env};

/// At second 0 of every tenth minute: SLAs are days long, so ten minutes
/// late is on time, and the query is cheap enough to run often.
const REMIND_SCHEDULE: &str = "0 */10 * * * *";

/// At the top of every hour: people get their digest in their own morning,
/// and time zones are whole or half hours apart.
const DIGEST_SCHEDULE: &str = "0 0 * * * *";

/// At half past every hour: the privacy run is daily, but a process that
/// was down at one moment still runs it that day (the main crate claims
/// each day once, whichever process ticks first).
const PRIVACY_SCHEDULE: &str = "0 30 * * * *";

/// Periodic work of the main crate.
pub trait Periodic: Send + Sync + 'static {
    /// Sends the reminders due at `now` (overdue approvals, missing
    /// scorecards, offers about to expire, overdue onboarding tasks) and
    /// expires the offers past their date; returns how many it acted on.
    fn remind(&self, now: DateTime<Utc>) -> impl Future<Output = Result<usize, BoxError>> + Send;

    /// Sends the daily digests due at `now`; returns how many went out.
    fn digest(&self, now: DateTime<Utc>) -> impl Future<Output = Result<usize, BoxError>> + Send;

    /// Runs the day's privacy work unless another tick ran it today;
    /// returns how many candidates were anonymised.
    fn privacy(&self) -> impl Future<Output = Result<usize, BoxError>> + Send;
}

/// Adds the ticks to `monitor`.
pub(crate) fn register<M, P: Periodic>(monitor: Monitor, env: &Env<M>, work: Arc<P>) -> Monitor {
    let monitor = tick_on(
        monitor,
        env,
        "hh.remind",
        REMIND_SCHEDULE,
        Arc::clone(&work),
        remind::<P>,
    );
    let monitor = tick_on(
        monitor,
        env,
        "hh.digest",
        DIGEST_SCHEDULE,
        Arc::clone(&work),
        digest::<P>,
    );
    tick_on(
        monitor,
        env,
        "hh.privacy",
        PRIVACY_SCHEDULE,
        work,
        privacy::<P>,
    )
}

fn tick_on<M, P: Periodic, F, Fut>(
    monitor: Monitor,
    env: &Env<M>,
    name: &'static str,
    expression: &str,
    work: Arc<P>,
    handler: F,
) -> Monitor
where
    F: Fn(Tick, Data<Arc<P>>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxDynError>> + Send + 'static,
{
    // The expressions are constants, checked by the test below.
    let schedule = match cron::Schedule::from_str(expression) {
        Ok(schedule) => schedule,
        Err(error) => {
            tracing::error!(%error, name, "a schedule does not parse; that job never runs");
            return monitor;
        }
    };
    let instance = env.instance.clone();
    monitor.register(move |restarts| {
        WorkerBuilder::new(crate::runner::worker_name(name, &instance, restarts))
            .backend(CronScheduler::new(schedule.clone()))
            .data(Arc::clone(&work))
            .catch_panic()
            .build(handler.clone())
    })
}

async fn remind<P: Periodic>(_: Tick, work: Data<Arc<P>>) -> Result<(), BoxDynError> {
    let sent = work.remind(Utc::now()).await?;
    if sent > 0 {
        tracing::info!(sent, "reminders queued");
    }
    Ok(())
}

async fn digest<P: Periodic>(_: Tick, work: Data<Arc<P>>) -> Result<(), BoxDynError> {
    let sent = work.digest(Utc::now()).await?;
    if sent > 0 {
        tracing::info!(sent, "daily digests queued");
    }
    Ok(())
}

async fn privacy<P: Periodic>(_: Tick, work: Data<Arc<P>>) -> Result<(), BoxDynError> {
    let anonymised = work.privacy().await?;
    if anonymised > 0 {
        tracing::info!(anonymised, "candidates past their date anonymised");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_parse_and_tick_as_said() {
        for (expression, minutes) in [
            (REMIND_SCHEDULE, 10),
            (DIGEST_SCHEDULE, 60),
            (PRIVACY_SCHEDULE, 60),
        ] {
            let schedule = cron::Schedule::from_str(expression).unwrap();
            let ticks: Vec<_> = schedule.upcoming(Utc).take(2).collect();
            assert_eq!((ticks[1] - ticks[0]).num_minutes(), minutes, "{expression}");
        }
    }
}
