//! Starting and stopping: the web server and the workers in one process
//! (`serve`), the web server alone (`web`) or the workers alone
//! (`worker`), with a graceful shutdown on Ctrl-C or SIGTERM.

use crate::BoxError;
use crate::config::Config;
use crate::db::Pools;
use crate::mail::{Delivery, MailRenderer};
use crate::storage::Storage;
use crate::web::{AppState, router};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .try_init();
}

/// The shared state of the web handlers; starts this process's listener
/// for live updates (on its own connection) and its nudge sender (on the
/// background pool): handlers get the requests' pool alone.
pub fn state(pools: &Pools, config: Config) -> Result<AppState, BoxError> {
    let mail = MailRenderer::new(&config);
    let files = Storage::open(&config.file_store, &config.file_store_options)?;
    Ok(AppState::new(
        pools.requests.clone(),
        config,
        mail,
        crate::live::Live::start(pools.listener.clone(), pools.background.clone()),
        crate::nudge::Sender::start(pools.background.clone()),
        files,
    ))
}

/// What a process runs: both halves (`serve`), or one of them, for
/// scaling each out on its own machines (`web`, `worker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    WebAndWorkers,
    Web,
    Workers,
}

pub async fn serve(config: Config, runs: Runs) -> Result<(), BoxError> {
    let db = crate::db::connect(&config, config.database_pool_size).await?;
    crate::db::migrate(&db.pools.requests).await?;
    crate::web::health::install_metrics();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let background = &db.pools.background;
    let workers = if runs == Runs::Web {
        None
    } else {
        let delivery = Arc::new(Delivery::new(background.clone(), &config)?);
        Some(tokio::spawn(jobs::run_workers(
            background.clone(),
            delivery,
            Arc::new(Periodic::new(background.clone(), &config)?),
            Arc::new(Extraction::new(background.clone(), &config)?),
            stopped(stop_rx.clone()),
        )))
    };
    tokio::spawn(housekeeping(background.clone()));

    let served = if runs != Runs::Workers {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        greet(&db.pools.requests, &config).await;
        let state = state(&db.pools, config)?;
        let live = state.live.clone();
        let stop = stop_rx.clone();
        Some(
            axum::serve(
                listener,
                router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                stopped(stop).await;
                live.close();
            }),
        )
    } else {
        println!("Hiring Hare workers are running. Press Ctrl-C to stop.");
        None
    };
    let pools = &db.pools;
    let stop = stop_rx.clone();
    let finished = async move {
        match served {
            Some(served) => served.await?,
            None => stopped(stop).await,
        }
        if let Some(workers) = workers {
            workers.await??;
        }
        // Waits for every connection to come back.
        pools.close().await;
        Ok::<(), BoxError>(())
    };
    tokio::select! {
        finished = finished => finished?,
        () = past_grace(stop_rx) => {
            tracing::warn!("requests or jobs still running {GRACE:?} after the stop signal: stopping anyway");
        }
    }
    if let Some(pg) = &db.embedded {
        pg.stop().await?;
    }
    Ok(())
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// How long a stopping process waits, all told, for the requests and jobs
/// it has started (within the 30 s a container platform gives before
/// SIGKILL): a request stuck past it (on a lock, say) must not keep the
/// process, and the PostgreSQL it runs for `cargo run`, alive.
const GRACE: Duration = Duration::from_secs(10);

async fn past_grace(rx: watch::Receiver<bool>) {
    stopped(rx).await;
    tokio::time::sleep(GRACE).await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Deletes expired sessions and old sign-in attempts. Both are idempotent,
/// so every process may run this.
async fn housekeeping(pool: sqlx::PgPool) {
    let store = crate::auth::session_store::PgSessionStore::new(pool.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "deleting expired sessions failed");
        }
        if let Ok(mut conn) = pool.acquire().await
            && let Err(e) = crate::auth::throttle::prune(&mut conn).await
        {
            tracing::warn!(error = %e, "pruning sign-in attempts failed");
        }
    }
}

/// Tells the person who just ran `cargo run` where to go and how to get in.
async fn greet(pool: &sqlx::PgPool, config: &Config) {
    println!("Hiring Hare is running at {}/", config.public_url);
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(pool)
        .await
        .unwrap_or(0);
    if users == 0 {
        println!("There are no users yet. Create the demo organisation and its users with:");
        println!("    cargo run --release -- seed-demo");
        println!("or your own first account with:");
        println!(
            "    cargo run --release -- admin create-user --email you@example.com --name \"Your Name\" --role super_admin"
        );
    } else {
        println!(
            "Sign in with your account (demo: admin@demo.hiringhare.test and the password seed-demo printed)."
        );
    }
    println!("Press Ctrl-C to stop.");
}

/// The periodic jobs' way into the app (see `jobs::Periodic`).
pub struct Periodic {
    pool: sqlx::PgPool,
    mail: MailRenderer,
    files: Storage,
}

impl Periodic {
    pub fn new(pool: sqlx::PgPool, config: &Config) -> Result<Self, BoxError> {
        Ok(Periodic {
            pool,
            mail: MailRenderer::new(config),
            files: Storage::open(&config.file_store, &config.file_store_options)?,
        })
    }
}

impl jobs::Periodic for Periodic {
    async fn remind(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, jobs::BoxError> {
        let today = now.date_naive();
        let mut tx = self.pool.begin().await?;
        let sent = crate::domain::approval::remind_overdue(&mut tx, &self.mail, now).await?
            + crate::domain::interviewing::reminders::send_due(&mut tx, &self.mail, now).await?
            + crate::domain::offering::answer::expire_and_remind(&mut tx, &self.mail, today)
                .await?
            + crate::domain::offering::onboarding::remind_overdue(&mut tx, &self.mail, today)
                .await?;
        tx.commit().await?;
        crate::nudge::send(&self.pool).await?;
        Ok(sent)
    }

    async fn digest(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, jobs::BoxError> {
        let mut tx = self.pool.begin().await?;
        let sent = crate::domain::activity::notify::send_digests(&mut tx, &self.mail, now).await?;
        tx.commit().await?;
        crate::nudge::send(&self.pool).await?;
        Ok(sent)
    }

    async fn privacy(&self) -> Result<usize, jobs::BoxError> {
        let anonymised = crate::domain::recruiting::privacy::requests::daily(
            &self.pool,
            &self.mail,
            &self.files,
        )
        .await?;
        crate::nudge::send(&self.pool).await?;
        Ok(anonymised)
    }
}

/// The text job's way into the app (see `jobs::Extractor`).
pub struct Extraction {
    pool: sqlx::PgPool,
    files: Storage,
}

impl Extraction {
    pub fn new(pool: sqlx::PgPool, config: &Config) -> Result<Self, BoxError> {
        Ok(Extraction {
            pool,
            files: Storage::open(&config.file_store, &config.file_store_options)?,
        })
    }
}

impl jobs::Extractor for Extraction {
    async fn extract(&self, sha256: &str) -> Result<(), jobs::BoxError> {
        let mut conn = self.pool.acquire().await?;
        crate::domain::recruiting::files::read_text(&mut conn, &self.files, sha256).await
    }
}
