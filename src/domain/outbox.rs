//! The mail outbox: a message is a row written in the transaction of the
//! change that causes it, with a delivery job queued in that same
//! transaction. Roll back, and neither exists; commit, and it will be sent.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A rendered message, ready to queue.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Which email template produced it (for the Outbox page and tests).
    pub template: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Jobs(#[from] jobs::JobsError),
}

pub async fn queue(conn: &mut PgConnection, mail: &Mail) -> Result<Uuid, QueueError> {
    let id: Uuid = sqlx::query_scalar(
        "insert into outbox (to_address, subject, body_text, body_html, template) values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(mail.template)
    .fetch_one(&mut *conn)
    .await?;
    jobs::enqueue_mail(conn, id).await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub template: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// Every delivery attempt failed: the queue will not try again.
    pub fn gave_up(&self) -> bool {
        self.sent_at.is_none() && self.attempts as usize >= jobs::MAIL_MAX_ATTEMPTS
    }

    /// The links in the message, so the Outbox page can show them (a demo
    /// without SMTP can still follow an invitation).
    pub fn links(&self) -> Vec<&str> {
        self.body_text
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .collect()
    }
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Message>, sqlx::Error> {
    sqlx::query_as(
        "select id, to_address, subject, body_text, body_html, template, attempts, last_error, sent_at, created_at
           from outbox where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub const PAGE_SIZE: i64 = 50;

/// Newest first; `before` is the created_at of the last row of the previous page.
pub async fn recent(
    conn: &mut PgConnection,
    before: Option<DateTime<Utc>>,
) -> Result<Vec<Message>, sqlx::Error> {
    sqlx::query_as(
        "select id, to_address, subject, body_text, body_html, template, attempts, last_error, sent_at, created_at
           from outbox where ($1::timestamptz is null or created_at < $1)
          order by created_at desc limit $2",
    )
    .bind(before)
    .bind(PAGE_SIZE + 1)
    .fetch_all(conn)
    .await
}

/// Marks a delivery attempt. `error` None means sent.
pub async fn record_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update outbox set attempts = attempts + 1, last_error = $2,
                sent_at = case when $2::text is null then now() else sent_at end
          where id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}
