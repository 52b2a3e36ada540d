//! NOTIFY after commit. PostgreSQL holds a database-wide lock from a
//! transaction's first NOTIFY until its commit is flushed to disk, so
//! changes that NOTIFY commit one after another instead of sharing their
//! WAL flushes: under load each waits for all the flushes queued before it.
//!
//! So a change writes its NOTIFYs to the unlogged `nudges` table (a row of
//! channel and payload, inserted by the statement that makes the change
//! where it can be: `notify::notify`, `notify::changed`; apalis' job-insert
//! trigger does the same, see the migration), and [`send`]
//! turns them into NOTIFYs in a transaction of its own. That transaction
//! writes no WAL, so it commits without waiting for the disk. A rolled-back
//! change never nudges, as before.
//!
//! Who sends: every process's [`Sender`], woken after each state-changing
//! request and every few seconds in any case (so a process that died between
//! commit and send delays a nudge instead of losing it); the jobs and
//! commands that change data send themselves when they commit.

use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Nudges sent per transaction: a bounded NOTIFY queue entry per send.
const BATCH: i64 = 500;

/// Sends the committed nudges, oldest first. Safe to run anywhere at once:
/// each nudge is claimed by exactly one sender, and none waits for another.
pub async fn send(pool: &PgPool) -> sqlx::Result<()> {
    loop {
        let sent: i64 = sqlx::query_scalar(
            // `= any(array(…))`, not `in (…)`: with `in`, the planner
            // joins the claimed ids to a scan of the whole table, dead rows
            // of this constant churn included (three times the time).
            "with sent as (
               delete from nudges
                where id = any(array(select id from nudges order by id limit $1 for update skip locked))
               returning id, channel, payload)
             select count(pg_notify(channel, payload)) from (select * from sent order by id) s",
        )
        .bind(BATCH)
        .fetch_one(pool)
        .await?;
        if sent < BATCH {
            return Ok(());
        }
    }
}

/// How long a nudge whose sender was not woken waits at most.
const SWEEP: Duration = Duration::from_secs(2);

/// How long a woken sender waits for more changes to commit before it
/// sends: under load, the changes of these milliseconds share one send
/// (one transaction, one round of NOTIFY signals to every listener)
/// instead of each paying for its own. Nobody sees 10 ms on a live update.
const GATHER: Duration = Duration::from_millis(10);

/// This process's sender: one task, so many changes committed at once
/// share one send.
#[derive(Clone)]
pub struct Sender {
    wake: Arc<Notify>,
}

impl Sender {
    pub fn start(pool: PgPool) -> Sender {
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(pool, Arc::clone(&wake)));
        Sender { wake }
    }

    /// Something may have committed nudges: send them soon. A wake during a
    /// send makes one more send, so nothing committed before it waits for
    /// the sweep.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

async fn run(pool: PgPool, wake: Arc<Notify>) {
    loop {
        if tokio::time::timeout(SWEEP, wake.notified()).await.is_ok() {
            tokio::time::sleep(GATHER).await;
        }
        if pool.is_closed() {
            return;
        }
        if let Err(e) = send(&pool).await {
            tracing::warn!(error = %e, "cannot send nudges");
        }
    }
}
