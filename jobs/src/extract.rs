//! The text job: reads an uploaded file's text (for search and the
//! profile's preview) in the background, asking the main crate to do it.
//!
//! Why a job: reading a long PDF takes CPU time an upload should not wait
//! for, and a task written in the upload's transaction is never lost.

use std::{future::Future, sync::Arc};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

use crate::{
    BoxError, JobsError, queue,
    retry::{self, Attempt},
    runner::{self, Env},
};

pub const EXTRACT_QUEUE: &str = "hh.extract";

/// A file that cannot be read now will not be read later: a few attempts
/// ride out a store that was briefly away.
pub const EXTRACT_MAX_ATTEMPTS: usize = 3;

/// Files read at once by one process: the work is CPU-bound, and the web
/// requests need the cores more.
const CONCURRENCY: usize = 1;

/// Payload: the file's content, by its digest (the same file uploaded
/// twice is read once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractText {
    pub sha256: String,
}

/// Reading a file's text, implemented by the main crate.
pub trait Extractor: Send + Sync + 'static {
    /// Reads the text of the file with this digest and keeps it. Runs again
    /// after an `Err`, up to [`EXTRACT_MAX_ATTEMPTS`] in all.
    fn extract(&self, sha256: &str) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Enqueues reading the file's text, in the caller's transaction.
pub async fn enqueue_extract(conn: &mut PgConnection, sha256: &str) -> Result<(), JobsError> {
    let payload = ExtractText {
        sha256: sha256.to_owned(),
    };
    queue::push(
        conn,
        EXTRACT_QUEUE,
        &payload,
        EXTRACT_MAX_ATTEMPTS,
        std::time::Duration::ZERO,
    )
    .await
}

/// Adds the text worker to `monitor`.
pub(crate) fn register<M, E: Extractor>(
    monitor: Monitor,
    env: &Env<M>,
    extractor: Arc<E>,
) -> Monitor {
    let pool = env.pool.clone();
    let instance = env.instance.clone();
    monitor.register(move |restarts| {
        let backend = queue::backend(&pool, queue::config(EXTRACT_QUEUE, CONCURRENCY));
        WorkerBuilder::new(runner::worker_name(EXTRACT_QUEUE, &instance, restarts))
            .backend(runner::delay_restart(backend, restarts))
            .data(Arc::clone(&extractor))
            .data(pool.clone())
            .catch_panic()
            .concurrency(CONCURRENCY)
            .build(extract_text::<E>)
    })
}

async fn extract_text<E: Extractor>(
    payload: queue::RawPayload,
    extractor: Data<Arc<E>>,
    pool: Data<PgPool>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let ExtractText { sha256 } = queue::decode(payload)?;
    match extractor.extract(&sha256).await {
        Ok(()) => Ok(()),
        Err(err) => Err(retry::failed(&pool, EXTRACT_QUEUE, &attempt, err).await),
    }
}
