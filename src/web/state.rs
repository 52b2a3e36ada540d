//! What every handler is given: the application's shared state, and [`Db`],
//! the request's one database connection.
//!
//! The request pool is a private field here, reachable only through [`Db`]:
//! a handler cannot take a second connection while it holds one, which is
//! how a burst of requests each waiting for a second connection once held
//! the whole pool.

use crate::auth::session_store::PgSessionStore;
use crate::config::Config;
use crate::mail::MailRenderer;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sqlx::pool::PoolConnection;
use sqlx::{Connection as _, PgConnection, PgPool, Postgres, Transaction};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Cloned for every request (each extractor and middleware that takes
/// state takes a copy), so a clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pool: PgPool,
    pub config: Config,
    pub mail: MailRenderer,
    /// This process's fan-out of live updates to `/events` streams.
    pub live: crate::live::Live,
    /// Sends what changes committed for live streams and workers to hear.
    pub nudges: crate::nudge::Sender,
    /// Departments and job levels, cached for the requirement pages.
    pub catalog: crate::catalog::Catalog,
    /// Where uploaded files live.
    pub files: crate::storage::Storage,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(
        pool: PgPool,
        config: Config,
        mail: MailRenderer,
        live: crate::live::Live,
        nudges: crate::nudge::Sender,
        files: crate::storage::Storage,
    ) -> Self {
        AppState(Arc::new(Shared {
            pool,
            config,
            mail,
            live,
            nudges,
            catalog: crate::catalog::Catalog::default(),
            files,
        }))
    }

    /// Sessions live in the same database, read before the handler runs and
    /// written after it has let its connection go.
    pub fn session_store(&self) -> PgSessionStore {
        PgSessionStore::new(self.pool.clone())
    }

    /// Connections open and idle, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}

/// The request's database connection: taken from the pool the first time a
/// handler asks for it, and the same one every time after, so one request
/// never holds two. [`Db::release`] gives it back early (before argon2
/// runs, say); asking again takes one anew.
pub struct Db {
    pool: PgPool,
    conn: Option<PoolConnection<Postgres>>,
}

impl Db {
    pub fn new(state: &AppState) -> Self {
        Db {
            pool: state.pool.clone(),
            conn: None,
        }
    }

    pub async fn conn(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    /// A transaction on the request's connection.
    pub async fn begin(&mut self) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
        self.conn().await?.begin().await
    }

    /// The connection, if one is free within `patience` (readiness asks so
    /// rather than waiting out the pool's own timeout).
    pub async fn conn_within(&mut self, patience: Duration) -> Result<&mut PgConnection, String> {
        tokio::time::timeout(patience, self.conn())
            .await
            .map_err(|_| "no database connection free for requests".to_owned())?
            .map_err(|e| e.to_string())
    }

    /// The connection itself, for work that outlives the handler (an export
    /// streamed from a task of its own).
    pub async fn into_conn(mut self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        match self.conn.take() {
            Some(conn) => Ok(conn),
            None => self.pool.acquire().await,
        }
    }

    /// Gives the connection back until it is asked for again.
    pub fn release(&mut self) {
        self.conn = None;
    }
}

impl FromRequestParts<AppState> for Db {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Db::new(state))
    }
}
