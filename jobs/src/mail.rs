//! The mail job: drains the OUTBOX by asking the main crate to deliver one
//! outbox message per task.
//!
//! Why a task per outbox row instead of a sweeper: the task is written in the
//! same transaction as the outbox row (see [`enqueue_mail`]), so every
//! committed message gets exactly one task, delivery starts immediately
//! (LISTEN/NOTIFY) and failures get per-message retries with back-off.

use std::{future::Future, sync::Arc};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    BoxError, JobsError, queue,
    retry::{self, Attempt},
    runner::{self, Env},
};

/// Queue (apalis `job_type`) of [`SendMail`] tasks. Namespaced so that the
/// shared `apalis.jobs` table stays readable and other apps could share it.
pub const MAIL_QUEUE: &str = "hh.mail";

/// Attempts per message before it is given up (the task stays in
/// `apalis.jobs` with status `Failed`; the outbox row stays unsent). With the
/// back-off in between, the last attempt happens roughly 1.5 hours after the
/// first, long enough to ride out a typical mail-provider outage.
pub const MAIL_MAX_ATTEMPTS: usize = 8;

/// Messages delivered at the same time by one process. Small, because the
/// bottleneck is the mail provider (rate limits), not us.
const CONCURRENCY: usize = 4;

/// Payload of a mail task. Deliberately only the outbox id: the message
/// itself lives in the outbox, so it is written once, transactionally, and
/// the main crate stays the only owner of its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMail {
    /// Primary key of the outbox row to deliver.
    pub outbox_id: Uuid,
}

/// Delivery of outbox messages, implemented by the main crate.
///
/// Why a trait: `jobs` must not depend on the main crate, yet the handler has
/// to load the outbox row, render and send it, and mark it sent.
///
/// Implementations may simply write `async fn deliver(&self, outbox_id: Uuid)
/// -> Result<(), BoxError>`; the returned future must be `Send` because
/// workers run on the multi-threaded runtime.
pub trait Mailer: Send + Sync + 'static {
    /// Deliver the outbox message; `Ok(())` marks it sent. `Err` is retried
    /// with back-off, up to [`MAIL_MAX_ATTEMPTS`] attempts in total.
    ///
    /// A task can run more than once for the same id (a retry after a send
    /// that succeeded but whose "sent" mark failed, a worker that vanished
    /// mid-delivery), so implementations should skip rows already sent.
    fn deliver(&self, outbox_id: Uuid) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Enqueues delivery of outbox row `outbox_id` on the caller's connection.
///
/// Call it with the transaction that inserts the outbox row
/// (`enqueue_mail(&mut tx, id)` with `tx: sqlx::Transaction<'_, Postgres>`):
/// the task becomes visible — and wakes the workers — only when that
/// transaction commits, and disappears if it rolls back.
pub async fn enqueue_mail(tx: &mut PgConnection, outbox_id: Uuid) -> Result<(), JobsError> {
    enqueue_mail_in(tx, outbox_id, std::time::Duration::ZERO).await
}

/// As [`enqueue_mail`], the delivery starting `delay` after the commit
/// (the workers poll for tasks come due).
pub async fn enqueue_mail_in(
    tx: &mut PgConnection,
    outbox_id: Uuid,
    delay: std::time::Duration,
) -> Result<(), JobsError> {
    queue::push(
        tx,
        MAIL_QUEUE,
        &SendMail { outbox_id },
        MAIL_MAX_ATTEMPTS,
        delay,
    )
    .await
}

/// Adds the mail worker to `monitor`.
pub(crate) fn register<M: Mailer>(monitor: Monitor, env: &Env<M>) -> Monitor {
    let pool = env.pool.clone();
    let mailer = Arc::clone(&env.mailer);
    let instance = env.instance.clone();
    monitor.register(move |restarts| {
        let backend = queue::backend(&pool, queue::config(MAIL_QUEUE, CONCURRENCY));
        WorkerBuilder::new(runner::worker_name(MAIL_QUEUE, &instance, restarts))
            .backend(runner::delay_restart(backend, restarts))
            .data(Arc::clone(&mailer))
            .data(pool.clone())
            // A panicking Mailer aborts that task (status `Killed`) instead
            // of taking the worker down.
            .catch_panic()
            .concurrency(CONCURRENCY)
            .build(send_mail::<M>)
    })
}

/// Task handler: decodes the payload and delegates to the [`Mailer`].
async fn send_mail<M: Mailer>(
    payload: queue::RawPayload,
    mailer: Data<Arc<M>>,
    pool: Data<PgPool>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let SendMail { outbox_id } = queue::decode(payload)?;
    match mailer.deliver(outbox_id).await {
        Ok(()) => {
            tracing::debug!(%outbox_id, attempt = attempt.number, "mail delivered");
            Ok(())
        }
        Err(err) => Err(retry::failed(&pool, MAIL_QUEUE, &attempt, err).await),
    }
}
