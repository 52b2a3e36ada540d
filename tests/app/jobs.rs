//! The job queue (`jobs` crate) against the test PostgreSQL: setting up its
//! schema, enqueueing inside the caller's transaction, retries with
//! back-off, the attempt limit, poison payloads, and graceful shutdown.
//!
//! These use a stand-in [`Mailer`] so they test the queue, not mail; the
//! real delivery is covered in `mail.rs`.

use crate::harness::fresh_database;
use ::jobs::{BoxError, MAIL_MAX_ATTEMPTS, MAIL_QUEUE, Mailer, Periodic, SendMail};
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

type Task = (String, Vec<u8>, String, i32, i32);

async fn mail_tasks(pool: &PgPool) -> Vec<Task> {
    sqlx::query_as(
        "SELECT id, job, status, attempts, max_attempts FROM apalis.jobs WHERE job_type = $1 ORDER BY id",
    )
    .bind(MAIL_QUEUE)
    .fetch_all(pool)
    .await
    .expect("list tasks")
}

/// An empty database (no migrations at all) on the test server; returns its URL.
async fn empty_database_url() -> String {
    let (pool, url) = fresh_database().await;
    // `hh_test_` so the harness drops it with the other test databases.
    let name = format!(
        "hh_test_{}_{}_empty",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
        .execute(&pool)
        .await
        .expect("create an empty database");
    pool.close().await;
    let mut url = url::Url::parse(&url).expect("database URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(8)
        .connect(url)
        .await
        .expect("connect to test database")
}

/// Records deliveries; fails the first `fail_first` attempts per id
/// (`usize::MAX` = always fail).
#[derive(Default)]
struct RecordingMailer {
    fail_first: usize,
    attempts: Mutex<HashMap<Uuid, Vec<Instant>>>,
    delivered: Mutex<Vec<Uuid>>,
}

impl RecordingMailer {
    fn failing_first(fail_first: usize) -> Arc<Self> {
        Arc::new(Self {
            fail_first,
            ..Self::default()
        })
    }
    fn attempts(&self, id: Uuid) -> Vec<Instant> {
        self.attempts
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }
    fn delivered(&self) -> Vec<Uuid> {
        self.delivered.lock().unwrap().clone()
    }
}

impl Mailer for RecordingMailer {
    async fn deliver(&self, outbox_id: Uuid) -> Result<(), BoxError> {
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let entry = attempts.entry(outbox_id).or_default();
            entry.push(Instant::now());
            entry.len()
        };
        if attempt <= self.fail_first {
            return Err(format!("simulated SMTP failure #{attempt}").into());
        }
        self.delivered.lock().unwrap().push(outbox_id);
        Ok(())
    }
}

/// These tests are about mail; no file is ever read.
impl ::jobs::Extractor for RecordingMailer {
    async fn extract(&self, _sha256: &str) -> Result<(), BoxError> {
        Ok(())
    }
}

/// These tests are about mail; nothing periodic is ever due.
impl Periodic for RecordingMailer {
    async fn remind(&self, _now: chrono::DateTime<chrono::Utc>) -> Result<usize, BoxError> {
        Ok(0)
    }

    async fn digest(&self, _now: chrono::DateTime<chrono::Utc>) -> Result<usize, BoxError> {
        Ok(0)
    }

    async fn privacy(&self) -> Result<usize, BoxError> {
        Ok(0)
    }
}

type Workers = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ::jobs::JobsError>>,
);

/// Starts `run_workers`; returns the shutdown trigger and the join handle.
fn start_workers(pool: &PgPool, mailer: Arc<RecordingMailer>) -> Workers {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(::jobs::run_workers(
        pool.clone(),
        Arc::clone(&mailer),
        Arc::clone(&mailer),
        mailer,
        async move {
            let _ = stopped.await;
        },
    ));
    (stop, handle)
}

async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

/// Waits until a worker listens for new tasks (its LISTEN connection is
/// open), so what follows exercises NOTIFY rather than polling.
async fn wait_for_listener(pool: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND query LIKE 'LISTEN %'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if listening > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "no worker listens for tasks");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stop_workers((stop, handle): Workers) {
    stop.send(()).expect("workers still running");
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("run_workers returns soon after shutdown")
        .expect("run_workers task did not panic")
        .expect("run_workers returns Ok after shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_is_idempotent_and_safe_to_run_concurrently() {
    let url = empty_database_url().await;
    // Separate pools = separate sessions, like two processes starting at once.
    let (a, b) = (pool(&url).await, pool(&url).await);
    let (first, second) = tokio::join!(::jobs::setup(&a), ::jobs::setup(&b));
    first.expect("first concurrent setup");
    second.expect("second concurrent setup");
    ::jobs::setup(&a).await.expect("setup again");

    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'apalis' AND table_name IN ('jobs', 'workers')",
    )
    .fetch_one(&a)
    .await
    .unwrap();
    assert_eq!(tables, 2);
    // The migration history lives in the apalis schema, not in public.
    let in_public: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations')::text")
            .fetch_one(&a)
            .await
            .unwrap();
    assert_eq!(in_public, None);
    // The migrator's advisory lock was released (the pools stay open here).
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(&a)
    .await
    .unwrap();
    assert_eq!(held, 0);

    // The app's migrations, which run `setup` after its own, still work on
    // top (and `setup` again on an app database is a no-op).
    hiring_hare::db::migrate(&a)
        .await
        .expect("app migrations after setup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_mail_is_part_of_the_callers_transaction() {
    let (pool, _) = fresh_database().await;

    // Rolled back: no task.
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, Uuid::new_v4())
        .await
        .expect("enqueue");
    tx.rollback().await.unwrap();
    assert!(
        mail_tasks(&pool).await.is_empty(),
        "rollback must discard the task"
    );

    // Not visible to others before commit, exactly one task after.
    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, outbox_id)
        .await
        .expect("enqueue");
    let inside: i64 = sqlx::query_scalar("SELECT count(*) FROM apalis.jobs")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        inside, 1,
        "the task is written through the caller's transaction"
    );
    assert!(
        mail_tasks(&pool).await.is_empty(),
        "uncommitted task must be invisible"
    );
    tx.commit().await.unwrap();

    let tasks = mail_tasks(&pool).await;
    assert_eq!(tasks.len(), 1);
    let (_id, job, status, attempts, max_attempts) = &tasks[0];
    let payload: SendMail = serde_json::from_slice(job).expect("payload is JSON");
    assert_eq!(payload, SendMail { outbox_id });
    assert_eq!(status, "Pending");
    assert_eq!(*attempts, 0);
    assert_eq!(*max_attempts, i32::try_from(MAIL_MAX_ATTEMPTS).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_delivered_after_a_retry_and_workers_shut_down() {
    let (pool, _) = fresh_database().await;
    let mailer = RecordingMailer::failing_first(1);
    let workers = start_workers(&pool, Arc::clone(&mailer));
    wait_for_listener(&pool).await;

    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, outbox_id).await.unwrap();
    tx.commit().await.unwrap();

    // Generous: a loaded machine is slow, not wrong (the back-off is 1 s).
    let delivered = wait_until(Duration::from_secs(30), || {
        mailer.delivered().contains(&outbox_id)
    })
    .await;
    assert!(
        delivered,
        "not delivered; attempts: {:?}",
        mailer.attempts(outbox_id).len()
    );
    let attempts = mailer.attempts(outbox_id);
    assert_eq!(attempts.len(), 2, "one failure, one success");
    let gap = attempts[1].duration_since(attempts[0]);
    assert!(
        gap >= Duration::from_secs(1),
        "retry must wait for the back-off, waited {gap:?}"
    );

    // apalis acknowledges asynchronously; wait for the final row state.
    let mut last = None;
    for _ in 0..600 {
        let tasks = mail_tasks(&pool).await;
        last = Some((tasks[0].2.clone(), tasks[0].3));
        if tasks[0].2 == "Done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last, Some(("Done".to_owned(), 2)));

    stop_workers(workers).await;
    assert_eq!(
        mailer.delivered(),
        vec![outbox_id],
        "delivered exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_task_is_not_retried_after_its_last_attempt() {
    let (pool, _) = fresh_database().await;
    // A task with a single attempt (enqueue_mail always uses MAIL_MAX_ATTEMPTS,
    // so the limit is lowered before the task is committed).
    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, outbox_id).await.unwrap();
    sqlx::query("UPDATE apalis.jobs SET max_attempts = 1 WHERE job_type = $1")
        .bind(MAIL_QUEUE)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mailer = RecordingMailer::failing_first(usize::MAX);
    let workers = start_workers(&pool, Arc::clone(&mailer));
    assert!(
        wait_until(Duration::from_secs(5), || mailer.attempts(outbox_id).len()
            == 1)
        .await
    );
    // Proving a negative: wait well past the back-off (1 s + 20 % jitter)
    // plus the 1 s poll interval; still a single attempt.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(mailer.attempts(outbox_id).len(), 1);
    let tasks = mail_tasks(&pool).await;
    assert_eq!((tasks[0].2.as_str(), tasks[0].3), ("Failed", 1));
    stop_workers(workers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_payload_is_killed_without_stopping_the_worker() {
    let (pool, _) = fresh_database().await;
    // A task whose payload is not a SendMail (e.g. written by another version).
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, Uuid::new_v4()).await.unwrap();
    sqlx::query(
        r#"UPDATE apalis.jobs SET job = convert_to('{"unexpected":true}', 'UTF8') WHERE job_type = $1"#,
    )
    .bind(MAIL_QUEUE)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mailer = RecordingMailer::failing_first(0);
    let workers = start_workers(&pool, Arc::clone(&mailer));
    wait_for_listener(&pool).await;
    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    ::jobs::enqueue_mail(&mut tx, outbox_id).await.unwrap();
    tx.commit().await.unwrap();

    assert!(
        wait_until(Duration::from_secs(5), || mailer.delivered()
            == vec![outbox_id])
        .await
    );
    let mut statuses = Vec::new();
    for _ in 0..100 {
        statuses = mail_tasks(&pool)
            .await
            .into_iter()
            .map(|t| t.2)
            .collect::<Vec<_>>();
        statuses.sort();
        if statuses == ["Done", "Killed"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(statuses, ["Done", "Killed"]);
    stop_workers(workers).await;
}
