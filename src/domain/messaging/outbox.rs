//! The mail outbox: a message is a row written in the transaction of the
//! change that causes it, with a delivery job queued in that same
//! transaction. Roll back, and neither exists; commit, and it will be sent.
//!
//! A stored message never holds a working secret: a link's single-use token
//! is stored as [`TOKEN_MASK`], and the token itself only sealed with a key
//! derived from `SECRET_KEY`. Delivery puts it back into the message handed
//! to the transport ([`Message::as_sent`]); the Outbox page and anyone
//! reading the table see the masked link.
//!
//! Links are stored starting with [`PUBLIC_URL_MARK`], which delivery
//! replaces with its `PUBLIC_URL`: whichever command queued a message, it
//! links to the server that sends it.

use crate::domain::Error;
use crate::domain::interviewing::calendar::Method;
use chrono::{DateTime, Utc};
use ring::aead;
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
    /// The token its links carry, sealed by [`seal`] for `to`; the bodies
    /// hold [`TOKEN_MASK`] in its place.
    pub sealed_token: Option<Vec<u8>>,
    /// An invitation's iCalendar object and its method (sent as the
    /// `text/calendar` alternative and as an `.ics` attachment).
    pub calendar: Option<(Method, String)>,
}

/// What stored links start with instead of an address (see the module doc).
pub const PUBLIC_URL_MARK: &str = "{{PUBLIC_URL}}";

/// What stored mail shows instead of a link's token. Not a possible token
/// (those are URL-safe base64), so a masked link never opens anything.
pub const TOKEN_MASK: &str = "[token-withheld]";

/// A sealed token that does not open: another `SECRET_KEY`, or a row
/// altered in the database.
#[derive(Debug, thiserror::Error)]
#[error("the sealed token of this message does not open (was SECRET_KEY changed?)")]
pub struct SealError;

// Why sealed rather than derived (token = HMAC(key, row id)): tokens are made,
// and their digests stored, by the code that grants them (password resets,
// invitations, approval links), before any mail exists. Sealing the token
// into the row it travels with keeps that order and ties no token table to
// the outbox; only a holder of SECRET_KEY, which the token digests need
// anyway, can open it.
fn sealing_key(secret: &[u8]) -> Result<aead::LessSafeKey, SealError> {
    // Its own key, not SECRET_KEY itself, which also keys the digests.
    let key = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
        b"hiring-hare outbox token sealing key",
    );
    let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, key.as_ref()).map_err(|_| SealError)?;
    Ok(aead::LessSafeKey::new(unbound))
}

/// Seals `token` for a message to `to`: AES-256-GCM with a random nonce
/// (stored first) and the recipient as associated data, so a sealed token
/// moved to a row addressed elsewhere does not open.
pub fn seal(secret: &[u8], to: &str, token: &str) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; aead::NONCE_LEN];
    rand::fill(&mut nonce[..]);
    let mut sealed = token.as_bytes().to_vec();
    sealing_key(secret)?
        .seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(to.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| SealError)?;
    let mut out = nonce.to_vec();
    out.append(&mut sealed);
    Ok(out)
}

fn open(secret: &[u8], to: &str, sealed: &[u8]) -> Result<String, SealError> {
    let (nonce, sealed) = sealed.split_at_checked(aead::NONCE_LEN).ok_or(SealError)?;
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError)?;
    let mut buf = sealed.to_vec();
    let token = sealing_key(secret)?
        .open_in_place(nonce, aead::Aad::from(to.as_bytes()), &mut buf)
        .map_err(|_| SealError)?;
    String::from_utf8(token.to_vec()).map_err(|_| SealError)
}

pub async fn queue(conn: &mut PgConnection, mail: &Mail) -> Result<Uuid, Error> {
    queue_later(conn, mail, std::time::Duration::ZERO, None).await
}

/// Queues `mail` to go `delay` after the commit, about `application` (if
/// any): until it goes, [`cancel`] stops it.
pub async fn queue_later(
    conn: &mut PgConnection,
    mail: &Mail,
    delay: std::time::Duration,
    application: Option<Uuid>,
) -> Result<Uuid, Error> {
    let id: Uuid = sqlx::query_scalar(
        "insert into outbox (to_address, subject, body_text, body_html, template, sealed_token,
                             send_at, application_id, calendar_method, calendar)
         values ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8, $9, $10) returning id",
    )
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(mail.template)
    .bind(&mail.sealed_token)
    .bind(delay.as_secs_f64())
    .bind(application)
    .bind(mail.calendar.as_ref().map(|(m, _)| m.as_str()))
    .bind(mail.calendar.as_ref().map(|(_, ics)| ics))
    .fetch_one(&mut *conn)
    .await?;
    jobs::enqueue_mail_in(conn, id, delay).await?;
    Ok(id)
}

/// Cancels the waiting mail about `application`: whether there was one.
/// A mail whose time has come is on its way, and stays.
pub async fn cancel(conn: &mut PgConnection, application: Uuid) -> Result<bool, sqlx::Error> {
    let cancelled = sqlx::query(
        "update outbox set cancelled_at = now()
          where application_id = $1 and sent_at is null and cancelled_at is null and send_at > now()",
    )
    .bind(application)
    .execute(conn)
    .await?;
    Ok(cancelled.rows_affected() > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub template: String,
    pub sealed_token: Option<Vec<u8>>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Stopped before its time came: never sent.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub calendar_method: Option<String>,
    pub calendar: Option<String>,
}

impl Message {
    /// Every delivery attempt failed: the queue will not try again.
    pub fn gave_up(&self) -> bool {
        self.sent_at.is_none() && self.attempts as usize >= jobs::MAIL_MAX_ATTEMPTS
    }

    /// The links in the message as stored, starting with `public_url`, so
    /// the Outbox page can show them (those with a token masked: see
    /// [`Message::masked`]).
    pub fn links(&self, public_url: &str) -> Vec<String> {
        self.body_text
            .split_whitespace()
            .filter_map(|w| match w.strip_prefix(PUBLIC_URL_MARK) {
                Some(path) => Some(format!("{public_url}{path}")),
                // Queued before links were stored with the mark.
                None if w.starts_with("http://") || w.starts_with("https://") => Some(w.to_owned()),
                None => None,
            })
            .collect()
    }

    /// Whether `link` had its token masked, so works only in the mail sent.
    pub fn masked(&self, link: &str) -> bool {
        link.contains(TOKEN_MASK)
    }

    /// The text and HTML bodies as handed to the transport: links start
    /// with `public_url`, and the sealed token, if any, is opened and put
    /// back into them.
    pub fn as_sent(&self, secret: &[u8], public_url: &str) -> Result<(String, String), SealError> {
        let token = match &self.sealed_token {
            None => None,
            Some(sealed) => Some(open(secret, &self.to_address, sealed)?),
        };
        let fill = |body: &str| {
            let body = body.replace(PUBLIC_URL_MARK, public_url);
            match &token {
                Some(token) => body.replace(TOKEN_MASK, token),
                None => body,
            }
        };
        Ok((fill(&self.body_text), fill(&self.body_html)))
    }

    /// The invitation's method and iCalendar object as handed to the
    /// transport (links start with `public_url`; they carry no token).
    pub fn calendar_as_sent(&self, public_url: &str) -> Option<(&str, String)> {
        let method = self.calendar_method.as_deref()?;
        let ics = self.calendar.as_deref()?;
        Some((method, ics.replace(PUBLIC_URL_MARK, public_url)))
    }
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Message>, sqlx::Error> {
    sqlx::query_as(
        "select id, to_address, subject, body_text, body_html, template, sealed_token, attempts, last_error, sent_at, cancelled_at, created_at,
                calendar_method, calendar
           from outbox where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub const PAGE_SIZE: i64 = 50;

/// Newest first, one page plus a row to tell whether more exist; `after`
/// is the last row of the previous page.
pub async fn recent(
    conn: &mut PgConnection,
    after: Option<crate::domain::kernel::After>,
) -> Result<Vec<Message>, sqlx::Error> {
    sqlx::query_as(
        "select id, to_address, subject, body_text, body_html, template, sealed_token, attempts, last_error, sent_at, cancelled_at, created_at,
                calendar_method, calendar
           from outbox
          where (created_at, id) < (coalesce($1, 'infinity'), coalesce($2, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
          order by created_at desc, id desc limit $3",
    )
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
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
