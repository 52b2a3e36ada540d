//! Live updates across processes: each process holds one PostgreSQL LISTEN
//! connection and fans what it hears out to the browser streams it serves.
//!
//! Every process hears every committed event, whichever process made it;
//! that is all scale-out needs. Events only nudge: what someone has not
//! read is in rows, so a stream that missed something (a dropped connection
//! on either side) re-reads instead of replaying.

use crate::domain::activity::notify::CHANNEL;
use crate::domain::approval::subject::SubjectRef;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// What a stream is told.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Message {
    /// Who it concerns; empty for everybody (a resync).
    #[serde(default)]
    pub users: Vec<Uuid>,
    /// A subject (a requirement, …) that changed, for the pages showing it.
    #[serde(default)]
    pub subject: Option<SubjectRef>,
    /// The subject is confidential: only the streams of people who may see
    /// it are told (see [`restrict`]).
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
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
            subject: None,
            confidential: false,
            event: "resync".into(),
            text: String::new(),
            link: String::new(),
        }
    }
}

/// The process's fan-out: streams subscribe, the listener publishes. Each
/// user has a channel of their own, so an event wakes only the streams of
/// the people it concerns, however many others are connected.
#[derive(Clone)]
pub struct Live {
    users: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Arc<Message>>>>>,
    listening: Arc<AtomicBool>,
    /// The process is stopping: no stream stays open (see [`Live::close`]).
    closed: Arc<AtomicBool>,
}

/// Messages a slow stream may fall behind by before it is told to resync.
const BACKLOG: usize = 64;

impl Live {
    /// Starts listening on `pool`'s database, reconnecting when the
    /// connection drops. `pool` is the listener's own pool of one
    /// ([`crate::db::Pools::listener`]): a LISTEN holds its connection for
    /// good, which must not be one the pages need. `queries` is where the
    /// listener asks who may hear of a confidential subject (the background
    /// pool: not the pages' either).
    pub fn start(pool: PgPool, queries: PgPool) -> Live {
        let live = Live {
            users: Arc::default(),
            listening: Arc::new(AtomicBool::new(false)),
            closed: Arc::new(AtomicBool::new(false)),
        };
        tokio::spawn(listen(pool, queries, live.clone()));
        live
    }

    /// Whether this process hears events now (part of readiness).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self, user: Uuid) -> broadcast::Receiver<Arc<Message>> {
        let mut users = self.lock();
        if self.closed.load(Ordering::Relaxed) {
            // Its sender is dropped here: the stream ends at once.
            return broadcast::channel(1).1;
        }
        users
            .entry(user)
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe()
    }

    /// Ends every stream, and any opened after: the process is stopping,
    /// and its graceful shutdown waits for every response to end (a live
    /// stream never does by itself). The browsers reconnect, to another
    /// process or to this one restarted.
    pub fn close(&self) {
        // Under the lock, so that no stream subscribes between the two.
        let mut users = self.lock();
        self.closed.store(true, Ordering::Relaxed);
        users.clear();
    }

    /// Streams open in this process (for the bench and tests).
    pub fn streams(&self) -> usize {
        self.lock().values().map(|tx| tx.receiver_count()).sum()
    }

    /// The users with a stream open in this process.
    fn connected(&self) -> Vec<Uuid> {
        self.lock().keys().copied().collect()
    }

    fn publish(&self, m: Message) {
        let m = Arc::new(m);
        let mut users = self.lock();
        if m.users.is_empty() {
            for tx in users.values() {
                let _ = tx.send(Arc::clone(&m));
            }
        } else {
            for user in &m.users {
                if let Some(tx) = users.get(user) {
                    let _ = tx.send(Arc::clone(&m));
                }
            }
        }
        // Forget users whose last stream closed.
        users.retain(|_, tx| tx.receiver_count() > 0);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Arc<Message>>>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (each operation is one call on it), so a poisoned lock is usable.
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn listen(pool: PgPool, queries: PgPool, live: Live) {
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
                    live.publish(Message::resync());
                    hear(&pool, &mut listener, &queries, &live).await;
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

/// Passes notifications on until the connection drops (or `pool`, the
/// listener's, closes: the process is stopping).
async fn hear(pool: &PgPool, listener: &mut PgListener, queries: &PgPool, live: &Live) {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => match serde_json::from_str::<Message>(n.payload()) {
                Ok(m) => {
                    if let Some(m) = restrict(queries, live, m).await {
                        live.publish(m);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "unreadable live update"),
            },
            Ok(None) => return,
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                tracing::warn!(error = %e, "live updates connection failed");
                return;
            }
        }
    }
}

/// A change to a confidential subject, addressed to the people among
/// this process's streams who may see it (asked of the database once per
/// event, however many streams are open); None when nobody here may. Any
/// other message passes as it is. When the database cannot say, nobody is
/// told: a page that missed a nudge re-reads on the next one.
async fn restrict(queries: &PgPool, live: &Live, mut m: Message) -> Option<Message> {
    let Some(subject) = m.subject.filter(|_| m.confidential) else {
        return Some(m);
    };
    let connected = live.connected();
    if connected.is_empty() {
        return None;
    }
    let seen = async {
        let mut conn = queries.acquire().await?;
        crate::domain::seen_by(&mut conn, subject, &connected).await
    }
    .await;
    match seen {
        Ok(users) if !users.is_empty() => {
            m.users = users;
            Some(m)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell who may hear of a confidential subject");
            None
        }
    }
}
