//! A tower-sessions store on sqlx 0.9 (the published sqlx store still uses
//! sqlx 0.8, and we keep one sqlx in the tree).
//!
//! The session data is kept as JSON beside its id and expiry; the signed-in
//! user's id is copied into its own column so that deactivating a user ends
//! all their sessions at once.
//!
//! Loading a session also reads its signed-in user (with the navigation's
//! counts) in the same query, because every signed-in request needs both:
//! one round trip instead of two. The user rides in the loaded record under
//! [`LOADED_USER_KEY`] and is never written back.

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";

/// Where [`PgSessionStore::load`] puts the signed-in user's row (see
/// `crate::auth::user`), read by the current-user extractor. Dropped before
/// every write, so it always reflects the database as of this request.
pub const LOADED_USER_KEY: &str = "_loaded_user";

#[derive(Clone, Debug)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Removes expired sessions; run periodically. Idempotent, so every
    /// process may run it.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("delete from sessions where expiry_date < now()")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry(record: &Record) -> Result<chrono::DateTime<chrono::Utc>, session_store::Error> {
    chrono::DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0)
        .ok_or_else(|| backend("expiry out of range"))
}

/// The data alone: the id (an i128) does not fit JSON numbers, and has its
/// own column anyway. Without the user row the load added.
fn data(record: &Record) -> Result<serde_json::Value, session_store::Error> {
    let mut json = serde_json::to_value(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    if let Some(map) = json.as_object_mut() {
        map.remove(LOADED_USER_KEY);
    }
    Ok(json)
}

fn user_id(record: &Record) -> Option<uuid::Uuid> {
    record
        .data
        .get(USER_ID_KEY)
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; on the astronomically unlikely clash, draw again.
        loop {
            let json = data(record)?;
            let inserted = sqlx::query(
                "insert into sessions (id, user_id, data, expiry_date) values ($1, $2, $3, $4)
                 on conflict (id) do nothing",
            )
            .bind(record.id.to_string())
            .bind(user_id(record))
            .bind(json)
            .bind(expiry(record)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let json = data(record)?;
        sqlx::query(
            "insert into sessions (id, user_id, data, expiry_date) values ($1, $2, $3, $4)
             on conflict (id) do update set user_id = excluded.user_id, data = excluded.data,
                                            expiry_date = excluded.expiry_date",
        )
        .bind(record.id.to_string())
        .bind(user_id(record))
        .bind(json)
        .bind(expiry(record)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(serde_json::Value, chrono::DateTime<chrono::Utc>)> =
            sqlx::query_as(concat!(
                "select case when u.id is null then s.data
                             else s.data || jsonb_build_object($3::text, ",
                crate::signed_in_user!(),
                ") end,
                        s.expiry_date
                   from sessions s
                   left join users u on u.id = s.user_id and u.deactivated_at is null
                  where s.id = $1 and s.expiry_date > now()"
            ))
            .bind(id.to_string())
            .bind(crate::web::current_user::BADGE_LIMIT)
            .bind(LOADED_USER_KEY)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some((json, expiry)) = row else {
            return Ok(None);
        };
        let decode = |e: &dyn std::fmt::Display| session_store::Error::Decode(e.to_string());
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_value(json).map_err(|e| decode(&e))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(expiry.timestamp())
                .map_err(|e| decode(&e))?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("delete from sessions where id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
