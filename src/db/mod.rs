//! The database: which server (configured or embedded), the pool, and the
//! migrations (ours in `migrations/`, and the job queue's schema).

pub mod embedded;

use crate::config::Config;
use embedded::EmbeddedPostgres;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database this process uses, and the embedded server if we run one
/// (stop it on shutdown).
pub struct Database {
    pub pools: Pools,
    pub embedded: Option<EmbeddedPostgres>,
}

/// The connections one process keeps, kept apart so that background work
/// can never take the connections pages need (with one shared pool, the
/// live listener held one for good and busy workers starved sign-ins).
///
/// In all, a process opens at most `requests` (`DATABASE_POOL_SIZE`) +
/// [`BACKGROUND_POOL_SIZE`] + 1 (the listener) connections.
#[derive(Clone, Debug)]
pub struct Pools {
    /// Web requests only: each request takes at most one, and passes it down.
    pub requests: PgPool,
    /// Job workers (apalis keeps one of these for its LISTEN), mail
    /// delivery, the nudge sender and housekeeping.
    pub background: PgPool,
    /// Exactly one connection, for the live updates' LISTEN (see
    /// [`crate::live`]); a pool of one only so that `PgListener` reconnects.
    pub listener: PgPool,
}

/// Connections of the background pool: apalis' LISTEN, its fetch and
/// acknowledgement, and the mail deliveries running at once (4, each holding
/// one through its send: see [`crate::mail`]). Work beyond it waits for a
/// connection; it never borrows the requests' pool.
pub const BACKGROUND_POOL_SIZE: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Embedded(#[from] embedded::EmbeddedError),
    #[error(
        "cannot connect to the database: {0} (check DATABASE_URL, or unset it to use the embedded PostgreSQL)"
    )]
    Connect(sqlx::Error),
    #[error("cannot create the database {0}: {1}")]
    Create(String, sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("setting up the job queue failed: {0}")]
    Jobs(#[from] jobs::JobsError),
}

/// The database name the embedded cluster serves the app from.
const EMBEDDED_DB: &str = "hiring_hare";

/// Connects to the configured (or embedded) database with `max_connections`
/// for requests.
pub async fn connect(config: &Config, max_connections: u32) -> Result<Database, DbError> {
    let (url, embedded) = match &config.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let pg = EmbeddedPostgres::ensure_running(&config.data_dir).await?;
            create_database_if_missing(&pg.url("postgres"), EMBEDDED_DB).await?;
            (pg.url(EMBEDDED_DB), Some(pg))
        }
    };
    Ok(Database {
        pools: open(&url, max_connections).await?,
        embedded,
    })
}

/// The pools of [`Pools`] on the database at `url`. Only the requests'
/// pool connects now; the others open their connections when first used,
/// so a command that needs no background work opens none.
pub async fn open(url: &str, max_connections: u32) -> Result<Pools, DbError> {
    // One plain connection first: its error says what is wrong ("connection
    // refused", "password authentication failed"), where the pool would
    // only report that it timed out.
    {
        use sqlx::Connection;
        let conn = sqlx::PgConnection::connect(url)
            .await
            .map_err(DbError::Connect)?;
        let _ = conn.close().await;
    }
    // Generic plans: every statement here is prepared and short (keyed
    // lookups, keyset pages), so planning it on each execution is waste.
    // PostgreSQL's own choice kept custom plans for the filtered lists,
    // where planning took twice as long as running them.
    // Random reads cost about what sequential ones do: the working set is
    // in memory (or on SSD). With the default of 4, apalis' acknowledgement
    // (its task ids come from a JSON array the planner guesses at 100 rows)
    // scanned the whole jobs table after every mail sent, 1.2 ms at 5,000
    // jobs and growing, instead of reading 1 row by key (0.25 ms).
    let options = url
        .parse::<PgConnectOptions>()
        .map_err(DbError::Connect)?
        .options([
            ("plan_cache_mode", "force_generic_plan"),
            ("random_page_cost", "1.1"),
        ]);
    // A connection is pinged before use only after resting a while (a
    // server restart shows there); sqlx's default pings on every acquire,
    // a round trip that was a third of a short page's database calls.
    let pool = |max| {
        PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > Duration::from_secs(5) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
    };
    Ok(Pools {
        requests: pool(max_connections)
            .connect_with(options.clone())
            .await
            .map_err(DbError::Connect)?,
        background: pool(BACKGROUND_POOL_SIZE).connect_lazy_with(options.clone()),
        listener: pool(1).connect_lazy_with(options),
    })
}

impl Pools {
    /// Closes every pool (the listener's last, so live updates stop after
    /// the work that makes them).
    pub async fn close(&self) {
        self.requests.close().await;
        self.background.close().await;
        self.listener.close().await;
    }
}

async fn create_database_if_missing(admin_url: &str, name: &str) -> Result<(), DbError> {
    use sqlx::Connection;
    let create = |e| DbError::Create(name.to_owned(), e);
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .map_err(create)?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .map_err(create)?;
    if !exists {
        // The name is our constant, never input; CREATE DATABASE takes no parameters.
        let sql = format!("create database \"{name}\"");
        match sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => {}
            // Another process created it between our check and now.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(create(e)),
        }
    }
    Ok(())
}

/// Applies our migrations and the job queue's.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    // apalis' schema first: one of ours replaces its wake-up trigger.
    jobs::setup(pool).await?;
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Ok when every migration this binary knows has been applied.
pub async fn migrated(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(conn)
        .await?;
    let known = MIGRATOR.iter().count() as i64;
    if applied < known {
        return Err(sqlx::Error::Protocol(format!(
            "{applied} of {known} migrations applied"
        )));
    }
    Ok(())
}
