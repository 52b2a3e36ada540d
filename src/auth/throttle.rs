//! Sign-in throttling, kept in PostgreSQL so the limits hold across processes.
//!
//! Two limits: a tight one per account (stops guessing one person's
//! password) and a looser one per client address (stops spraying many
//! accounts, without locking out an office that shares one address).

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use std::net::IpAddr;

pub const WINDOW: Duration = Duration::minutes(15);
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 50;

/// Sign-in is refused until this many seconds have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// Refuses when either limit is reached. Failures before the account's last
/// successful sign-in do not count against it.
pub async fn check(
    conn: &mut PgConnection,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<(), CheckError> {
    let account: (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "select count(*), min(at) from (
             select at from login_attempts
             where email = $1 and not succeeded and at > now() - $2::interval
               and at > coalesce((select max(at) from login_attempts where email = $1 and succeeded), '-infinity')
             order by at desc limit $3) recent",
    )
    .bind(email)
    .bind(WINDOW)
    .bind(PER_ACCOUNT)
    .fetch_one(&mut *conn)
    .await?;
    if account.0 >= PER_ACCOUNT {
        return Err(CheckError::Limited(retry_after(account.1)));
    }
    if let Some(ip) = ip {
        let address: (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "select count(*), min(at) from (
                 select at from login_attempts
                 where ip = $1 and not succeeded and at > now() - $2::interval
                 order by at desc limit $3) recent",
        )
        .bind(ip)
        .bind(WINDOW)
        .bind(PER_ADDRESS)
        .fetch_one(&mut *conn)
        .await?;
        if address.0 >= PER_ADDRESS {
            return Err(CheckError::Limited(retry_after(address.1)));
        }
    }
    Ok(())
}

/// Until the oldest counted failure leaves the window.
fn retry_after(oldest: Option<DateTime<Utc>>) -> RetryAfter {
    let until = oldest.map_or(WINDOW, |t| t + WINDOW - Utc::now());
    RetryAfter(until.num_seconds().clamp(1, WINDOW.num_seconds()) as u64)
}

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

/// Attempts older than the window no longer matter.
pub async fn prune(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from login_attempts where at < now() - $1::interval")
        .bind(WINDOW * 4)
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
