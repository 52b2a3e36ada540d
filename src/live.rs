//! Live updates across processes: each process holds one PostgreSQL LISTEN
//! connection and fans what it hears out to the browser streams it serves.
//!
//! Every process hears every committed event, whichever process made it;
//! that is all scale-out needs. Events only nudge: what someone has not
//! read is in rows, so a stream that missed something (a dropped connection
//! on either side) re-reads instead of replaying.

use crate::domain::notify::CHANNEL;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// What a stream is told.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Message {
    /// Who it concerns; empty for everybody (a resync).
    #[serde(default)]
    pub users: Vec<Uuid>,
    pub event: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub link: String,
}

impl Message {
    /// After a gap in listening: every stream re-reads its counts.
    fn resync() -> Message {
        Message {
            users: Vec::new(),
            event: "resync".into(),
            text: String::new(),
            link: String::new(),
        }
    }

    pub fn concerns(&self, user: Uuid) -> bool {
        self.users.is_empty() || self.users.contains(&user)
    }
}

/// The process's fan-out: streams subscribe, the listener publishes.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<Arc<Message>>,
    listening: Arc<AtomicBool>,
}

/// Messages a slow stream may fall behind by before it is told to resync.
const BACKLOG: usize = 1024;

impl Live {
    /// Starts listening on `pool`'s database, reconnecting when the
    /// connection drops.
    pub fn start(pool: PgPool) -> Live {
        let (tx, _) = broadcast::channel(BACKLOG);
        let live = Live {
            tx,
            listening: Arc::new(AtomicBool::new(false)),
        };
        tokio::spawn(listen(pool, live.clone()));
        live
    }

    /// Whether this process hears events now (part of readiness).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Message>> {
        self.tx.subscribe()
    }

    /// Streams open in this process (for /metrics and the bench).
    pub fn streams(&self) -> usize {
        self.tx.receiver_count()
    }
}

async fn listen(pool: PgPool, live: Live) {
    let mut delay = Duration::from_millis(250);
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "cannot LISTEN for live updates");
                } else {
                    delay = Duration::from_millis(250);
                    live.listening.store(true, Ordering::Relaxed);
                    // Anything may have happened while not listening.
                    let _ = live.tx.send(Arc::new(Message::resync()));
                    hear(&mut listener, &live.tx).await;
                    live.listening.store(false, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect to listen for live updates"),
        }
        if pool.is_closed() {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// Passes notifications on until the connection drops.
async fn hear(listener: &mut PgListener, tx: &broadcast::Sender<Arc<Message>>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => match serde_json::from_str::<Message>(n.payload()) {
                // No receiver is fine: nobody is watching in this process.
                Ok(m) => drop(tx.send(Arc::new(m))),
                Err(e) => tracing::warn!(error = %e, "unreadable live update"),
            },
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "live updates connection failed");
                return;
            }
        }
    }
}
