//! Integration tests for the job queue against a real PostgreSQL.
//!
//! Every test gets its own fresh database from [`fresh_database_url`]; that
//! helper is the only place that knows where the server is.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use jobs::{BoxError, MAIL_MAX_ATTEMPTS, MAIL_QUEUE, Mailer, SendMail};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool, postgres::PgPoolOptions};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Test database (swap this block for the project's harness).
// ---------------------------------------------------------------------------

/// Server used when `JOBS_TEST_DATABASE_URL` is not set.
const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Creates an empty database and returns its URL.
async fn fresh_database_url() -> String {
    let server =
        std::env::var("JOBS_TEST_DATABASE_URL").unwrap_or_else(|_| LOCAL_SERVER.to_owned());
    let name = format!("jobs_test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server)
        .await
        .expect("connect to test server");
    // The name is generated above (hex only), so formatting it in is safe.
    sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    // Replace the database path of the server URL, keeping any `?query`.
    let (base, query) = server
        .split_once('?')
        .map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
    let (prefix, _old_db) = base.rsplit_once('/').expect("database URL has a path");
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

// ---------------------------------------------------------------------------

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(8)
        .connect(url)
        .await
        .expect("connect to test database")
}

/// A fresh database with the job schema installed.
async fn migrated_pool() -> PgPool {
    let pool = pool(&fresh_database_url().await).await;
    jobs::setup(&pool).await.expect("setup");
    pool
}

async fn mail_tasks(pool: &PgPool) -> Vec<(String, Vec<u8>, String, i32, i32)> {
    sqlx::query_as(
        "SELECT id, job, status, attempts, max_attempts FROM apalis.jobs WHERE job_type = $1 ORDER BY id",
    )
    .bind(MAIL_QUEUE)
    .fetch_all(pool)
    .await
    .expect("list tasks")
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

/// Starts `run_workers`; returns the shutdown trigger and the join handle.
fn start_workers(
    pool: &PgPool,
    mailer: Arc<RecordingMailer>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), jobs::JobsError>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(jobs::run_workers(pool.clone(), mailer, async move {
        let _ = stopped.await;
    }));
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

async fn stop_workers(
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), jobs::JobsError>>,
) {
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
    let url = fresh_database_url().await;
    // Separate pools = separate sessions, like two processes starting at once.
    let (a, b) = (pool(&url).await, pool(&url).await);
    let (first, second) = tokio::join!(jobs::setup(&a), jobs::setup(&b));
    first.expect("first concurrent setup");
    second.expect("second concurrent setup");
    jobs::setup(&a).await.expect("setup again");

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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_mail_is_part_of_the_callers_transaction() {
    let pool = migrated_pool().await;

    // Rolled back: no task.
    let mut tx = pool.begin().await.unwrap();
    jobs::enqueue_mail(&mut tx, Uuid::new_v4())
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
    jobs::enqueue_mail(&mut tx, outbox_id)
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
    let pool = migrated_pool().await;
    let mailer = RecordingMailer::failing_first(1);
    let (stop, handle) = start_workers(&pool, Arc::clone(&mailer));
    // Let the worker start listening, so this exercises NOTIFY, not polling.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    jobs::enqueue_mail(&mut tx, outbox_id).await.unwrap();
    tx.commit().await.unwrap();
    let committed = Instant::now();

    let delivered = wait_until(Duration::from_secs(10), || {
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
    assert!(
        attempts[0].duration_since(committed) < Duration::from_millis(200),
        "first attempt should be woken by NOTIFY, took {:?}",
        attempts[0].duration_since(committed)
    );
    let gap = attempts[1].duration_since(attempts[0]);
    assert!(
        gap >= Duration::from_secs(1),
        "retry must wait for the back-off, waited {gap:?}"
    );
    assert!(gap < Duration::from_secs(4), "retry took too long: {gap:?}");

    // apalis acknowledges asynchronously; wait for the final row state.
    let mut last = None;
    for _ in 0..100 {
        let tasks = mail_tasks(&pool).await;
        last = Some((tasks[0].2.clone(), tasks[0].3));
        if tasks[0].2 == "Done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last, Some(("Done".to_owned(), 2)));

    stop_workers(stop, handle).await;
    assert_eq!(
        mailer.delivered(),
        vec![outbox_id],
        "delivered exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_task_is_not_retried_after_its_last_attempt() {
    let pool = migrated_pool().await;
    // A task with a single attempt (enqueue_mail always uses MAIL_MAX_ATTEMPTS).
    let outbox_id = Uuid::new_v4();
    let task =
        apalis::prelude::TaskBuilder::new(serde_json::to_vec(&SendMail { outbox_id }).unwrap())
            .max_attempts(1)
            .build();
    let mut conn = pool.acquire().await.unwrap();
    apalis_postgres::queries::push_tasks(&mut *conn, MAIL_QUEUE, vec![task])
        .await
        .unwrap();
    drop(conn);

    let mailer = RecordingMailer::failing_first(usize::MAX);
    let (stop, handle) = start_workers(&pool, Arc::clone(&mailer));
    assert!(
        wait_until(Duration::from_secs(5), || mailer.attempts(outbox_id).len()
            == 1)
        .await
    );
    // Well past back-off + poll interval: still a single attempt.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(mailer.attempts(outbox_id).len(), 1);
    let tasks = mail_tasks(&pool).await;
    assert_eq!((tasks[0].2.as_str(), tasks[0].3), ("Failed", 1));
    stop_workers(stop, handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_payload_is_killed_without_stopping_the_worker() {
    let pool = migrated_pool().await;
    let poison = apalis::prelude::TaskBuilder::new(br#"{"unexpected":true}"#.to_vec()).build();
    let mut conn = pool.acquire().await.unwrap();
    apalis_postgres::queries::push_tasks(&mut *conn, MAIL_QUEUE, vec![poison])
        .await
        .unwrap();
    drop(conn);

    let mailer = RecordingMailer::failing_first(0);
    let (stop, handle) = start_workers(&pool, Arc::clone(&mailer));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outbox_id = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    jobs::enqueue_mail(&mut tx, outbox_id).await.unwrap();
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
    stop_workers(stop, handle).await;
}
