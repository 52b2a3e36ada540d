//! The reminder job: every ten minutes (apalis-cron), asks the main crate
//! to remind approvers whose step is past its SLA and to escalate those past
//! a second one.
//!
//! Why every process runs it: a cron tick is not a stored task, so each
//! process ticks on its own; the main crate claims each reminder with a
//! unique row before queueing its mail, so several processes ticking at the
//! same moment still send each reminder once.

use std::{future::Future, str::FromStr, sync::Arc};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_cron::{CronScheduler, Tick};
use chrono::{DateTime, Utc};

use crate::{BoxError, runner::Env};

/// Worker name prefix of the reminder job.
pub const REMIND_QUEUE: &str = "hh.remind";

/// At second 0 of every tenth minute: the SLAs are days long, so ten
/// minutes late is on time, and the query is cheap enough to run often.
const SCHEDULE: &str = "0 */10 * * * *";

/// Periodic work of the main crate.
pub trait Reminders: Send + Sync + 'static {
    /// Sends what is due at `now`; returns how many reminders went out.
    fn remind(&self, now: DateTime<Utc>) -> impl Future<Output = Result<usize, BoxError>> + Send;
}

/// Adds the reminder tick to `monitor`.
pub(crate) fn register<M, R: Reminders>(
    monitor: Monitor,
    env: &Env<M>,
    reminders: Arc<R>,
) -> Monitor {
    // A constant, checked by the test below.
    let schedule = match cron::Schedule::from_str(SCHEDULE) {
        Ok(schedule) => schedule,
        Err(error) => {
            tracing::error!(%error, "the reminder schedule does not parse; no reminders");
            return monitor;
        }
    };
    let instance = env.instance.clone();
    monitor.register(move |restarts| {
        WorkerBuilder::new(crate::runner::worker_name(
            REMIND_QUEUE,
            &instance,
            restarts,
        ))
        .backend(CronScheduler::new(schedule.clone()))
        .data(Arc::clone(&reminders))
        .catch_panic()
        .build(tick::<R>)
    })
}

async fn tick<R: Reminders>(_: Tick, reminders: Data<Arc<R>>) -> Result<(), BoxDynError> {
    let sent = reminders.remind(Utc::now()).await?;
    if sent > 0 {
        tracing::info!(sent, "approval reminders queued");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_parses_and_ticks_every_ten_minutes() {
        let schedule = cron::Schedule::from_str(SCHEDULE).unwrap();
        let ticks: Vec<_> = schedule.upcoming(Utc).take(2).collect();
        assert_eq!((ticks[1] - ticks[0]).num_minutes(), 10);
    }
}
