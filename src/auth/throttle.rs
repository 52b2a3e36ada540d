//! Password-guessing throttles, kept in PostgreSQL so the limits hold across
//! processes. Used by sign-in and by the profile's current-password check.
//!
//! Three limits, after OWASP's authentication guidance:
//! - a tight one per account *and* address: stops guessing one person's
//!   password from one place, while a stranger's failures from elsewhere
//!   cannot lock the person out (a per-account limit alone let anyone lock
//!   anyone out, forever, with five wrong passwords every 15 minutes);
//! - a looser one per address: stops spraying many accounts, without
//!   locking out an office that shares one address;
//! - a slow one per account across all addresses: bounds a guesser who
//!   rotates addresses, at a rate no one reaches by mistyping.
//!
//! Only wrong passwords count: asking for a password-reset mail is not a
//! failed sign-in (the reset form has its own limit on mails).

use crate::domain::activity::audit::{self, Actor};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use std::net::IpAddr;
use uuid::Uuid;

pub const WINDOW: Duration = Duration::minutes(15);
/// Failures for one account from one address within [`WINDOW`].
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 5;
/// Failures from one address, any accounts, within [`WINDOW`].
pub const PER_ADDRESS: i64 = 50;
/// The window of the global per-account limit.
pub const ACCOUNT_WINDOW: Duration = Duration::hours(1);
/// Failures for one account, from any addresses, within [`ACCOUNT_WINDOW`].
pub const PER_ACCOUNT: i64 = 50;

/// Sign-in is refused until this many seconds have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// How many failures a limit counted (up to the limit), and the oldest.
#[derive(sqlx::FromRow)]
struct Counted {
    failures: i64,
    oldest: Option<DateTime<Utc>>,
}

/// Refuses when any limit is reached. Failures before the account's last
/// successful sign-in do not count against the account.
pub async fn check(
    conn: &mut PgConnection,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<(), CheckError> {
    let pair: Counted = sqlx::query_as(
        "select count(*) as failures, min(at) as oldest from (
             select at from login_attempts
             where email = $1 and ip is not distinct from $2 and not succeeded
               and at > now() - $3::interval
               and at > coalesce((select max(at) from login_attempts where email = $1 and succeeded), '-infinity')
             order by at desc limit $4) recent",
    )
    .bind(email)
    .bind(ip)
    .bind(WINDOW)
    .bind(PER_ACCOUNT_AND_ADDRESS)
    .fetch_one(&mut *conn)
    .await?;
    refuse(&pair, PER_ACCOUNT_AND_ADDRESS, WINDOW)?;
    let account: Counted = sqlx::query_as(
        "select count(*) as failures, min(at) as oldest from (
             select at from login_attempts
             where email = $1 and not succeeded and at > now() - $2::interval
               and at > coalesce((select max(at) from login_attempts where email = $1 and succeeded), '-infinity')
             order by at desc limit $3) recent",
    )
    .bind(email)
    .bind(ACCOUNT_WINDOW)
    .bind(PER_ACCOUNT)
    .fetch_one(&mut *conn)
    .await?;
    refuse(&account, PER_ACCOUNT, ACCOUNT_WINDOW)?;
    if let Some(ip) = ip {
        let address: Counted = sqlx::query_as(
            "select count(*) as failures, min(at) as oldest from (
                 select at from login_attempts
                 where ip = $1 and not succeeded and at > now() - $2::interval
                 order by at desc limit $3) recent",
        )
        .bind(ip)
        .bind(WINDOW)
        .bind(PER_ADDRESS)
        .fetch_one(&mut *conn)
        .await?;
        refuse(&address, PER_ADDRESS, WINDOW)?;
    }
    Ok(())
}

/// Refused until the oldest counted failure leaves the window.
fn refuse(counted: &Counted, limit: i64, window: Duration) -> Result<(), CheckError> {
    if counted.failures < limit {
        return Ok(());
    }
    let until = counted.oldest.map_or(window, |t| t + window - Utc::now());
    Err(CheckError::Limited(RetryAfter(
        until.num_seconds().clamp(1, window.num_seconds()) as u64,
    )))
}

/// Counts an attempt at `email`'s password (a sign-in, or the current
/// password on the profile), failed or not.
pub async fn record(
    conn: &mut PgConnection,
    email: &str,
    ip: Option<IpAddr>,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into login_attempts (email, ip, succeeded) values ($1, $2, $3)")
        .bind(email)
        .bind(ip)
        .bind(succeeded)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records how a sign-in ended: the attempt, and for `user` (who signed
/// in, if anyone) the audit entry, by `actor` of their id.
pub async fn signed_in(
    conn: &mut PgConnection,
    email: &str,
    ip: Option<IpAddr>,
    user: Option<Uuid>,
    actor: impl FnOnce(Uuid) -> Actor,
) -> Result<(), sqlx::Error> {
    record(&mut *conn, email, ip, user.is_some()).await?;
    if let Some(id) = user {
        let (action, entity) = (audit::Action::UserSignedIn, audit::Entity::User);
        audit::record(
            conn,
            &actor(id),
            action,
            entity,
            Some(id),
            Default::default(),
        )
        .await?;
    }
    Ok(())
}

/// Attempts older than the longest window no longer matter.
pub async fn prune(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from login_attempts where at < now() - $1::interval")
        .bind(ACCOUNT_WINDOW * 2)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("too many sign-in attempts")]
    Limited(RetryAfter),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}
