//! Single-use, expiring tokens sent by mail: password reset and invitation.
//!
//! The token itself travels only in the link; the table keeps a keyed digest.
//! Using a token marks it used in the same statement that checks it, so two
//! clicks cannot both succeed.

use crate::domain::activity::audit::{self, Actor, Changes};
use crate::tokens::{random_token, token_digest};
use chrono::Duration;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    Invitation,
}

impl Purpose {
    /// The audit action of sending one.
    fn sent_action(self) -> audit::Action {
        match self {
            Purpose::PasswordReset => audit::Action::UserPasswordResetSent,
            Purpose::Invitation => audit::Action::UserInvitationSent,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::Invitation => Duration::days(7),
        }
    }
}

/// Issues a new token, voiding the user's earlier unused ones of the same
/// purpose (only the latest mail works).
pub async fn issue(
    conn: &mut PgConnection,
    secret: &[u8],
    actor: &Actor,
    user_id: Uuid,
    purpose: Purpose,
) -> Result<String, sqlx::Error> {
    sqlx::query("update user_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut *conn)
        .await?;
    let token = random_token(32);
    sqlx::query("insert into user_tokens (user_id, purpose, digest, expires_at) values ($1, $2, $3, now() + $4::interval)")
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(token_digest(secret, &token))
        .bind(purpose.lifetime())
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        purpose.sent_action(),
        audit::Entity::User,
        Some(user_id),
        Changes::new(),
    )
    .await?;
    Ok(token)
}

/// How many tokens of `purpose` the user was issued within `window`, to
/// bound how many mails a form can send one person.
pub async fn recently_issued(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    window: Duration,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from user_tokens
          where user_id = $1 and purpose = $2 and created_at > now() - $3::interval",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(window)
    .fetch_one(conn)
    .await
}

/// Voids every outstanding token of the user (an email change: links
/// mailed to the old address must not work).
pub async fn void_all(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update user_tokens set used_at = now() where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user a live token belongs to, without using it (to show the form).
pub async fn peek(
    conn: &mut PgConnection,
    secret: &[u8],
    token: &str,
    purpose: Purpose,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select t.user_id from user_tokens t join users u on u.id = t.user_id
          where t.digest = $1 and t.purpose = $2 and t.used_at is null and t.expires_at > now()
            and u.deactivated_at is null",
    )
    .bind(token_digest(secret, token))
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await
}

/// Uses the token: returns its user once; None if unknown, used or expired.
pub async fn consume(
    conn: &mut PgConnection,
    secret: &[u8],
    token: &str,
    purpose: Purpose,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update user_tokens t set used_at = now() from users u
          where u.id = t.user_id and t.digest = $1 and t.purpose = $2 and t.used_at is null
            and t.expires_at > now() and u.deactivated_at is null
          returning t.user_id",
    )
    .bind(token_digest(secret, token))
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await
}
