//! Password hashing (argon2id); the policy itself is a domain rule
//! ([`crate::domain::org::password_policy`]).
//!
//! Hashing costs tens of milliseconds of CPU by design, so it runs on
//! threads of its own and never stalls the async runtime. Each check also
//! takes 19 MiB (argon2's memory cost) that the allocator keeps afterwards
//! in the arena of the thread that ran it, so checks run on a fixed few
//! threads ([`WORKERS`]): a burst of sign-ins queues here instead of growing
//! the process by 19 MiB per thread of tokio's blocking pool (up to 512).
//! Callers hold no database connection while they wait.

use crate::domain::kernel::FieldErrors;
use crate::domain::org::password_policy::{PolicyError, check_policy};
use crate::threads::Pool;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing stopped: its threads are gone")]
    Closed,
}

/// The threads argon2 runs on: one per core, since more would only share
/// the same cores and keep more memory. Started on first use.
static WORKERS: LazyLock<Pool> = LazyLock::new(|| {
    keep_large_blocks_on_mmap();
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    Pool::start("argon2", cores, 0)
});

/// glibc serves an allocation as large as argon2's from mmap and unmaps it
/// when freed, but after the first such free it raises its threshold to
/// that size and serves the next ones from its heaps, which it keeps: each
/// sign-in grew the process by 19 MiB (measured: 15 MiB at start, 167 MiB
/// after ten sign-ins; flat with the threshold fixed). Setting the
/// threshold turns that adjustment off.
fn keep_large_blocks_on_mmap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of glibc's allocator;
    // it is safe to call at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

/// Under argon2's memory, and over what a request holds at once (an
/// uploaded file: 10 MB at most by default). At 128 KiB, as it was, every
/// uploaded megabyte was mapped, faulted in page by page and unmapped
/// again: the upload row's p95 was 58 ms against 41 ms with this (the
/// threshold the only change, 16 clients).
const MMAP_THRESHOLD: usize = 16 << 20;
const _: () = assert!(MMAP_THRESHOLD < argon2::Params::DEFAULT_M_COST as usize * 1024);

/// Runs `work` on one of the [`WORKERS`] threads and waits for its answer.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    WORKERS.run(work).await.map_err(|_| HashError::Closed)
}

pub async fn hash(password: String) -> Result<String, HashError> {
    bounded(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hash(e.to_string()))
    })
    .await?
}

/// True when `password` matches `phc`. A malformed stored hash never matches.
pub async fn verify(password: String, phc: String) -> Result<bool, HashError> {
    bounded(move || verify_blocking(&password, &phc)).await
}

/// True when the account has a password and `password` matches it. Without
/// one (no such account, or invited and not yet set) it checks against a
/// dummy hash all the same, so the answer takes as long either way.
pub async fn verify_account(password: String, phc: Option<String>) -> Result<bool, HashError> {
    bounded(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
}

/// True when `password` matches any of `hashes` (used for the history check).
pub async fn matches_any(password: String, hashes: Vec<String>) -> Result<bool, HashError> {
    bounded(move || hashes.iter().any(|h| verify_blocking(&password, h))).await
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password, verified against when the account does not
/// exist, so an unknown email costs the same time as a wrong password.
pub static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(crate::tokens::random_token(24).as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// The hash to store for a new `password`, typed twice (`confirm`), if the
/// policy and the history (`recent`, from
/// [`crate::domain::org::user::recent_password_hashes`]) allow it; else the
/// problem beside its field. The one check every password change takes
/// (reset, invitation, profile), saved with
/// [`crate::domain::org::user::set_password`]. It runs argon2 up to one more
/// time than [`crate::domain::org::password_policy::HISTORY`], so it takes no
/// connection: callers read `recent`, let their connection go, and take one
/// again to save.
pub async fn new_password_hash(
    password: &str,
    confirm: &str,
    email: &str,
    recent: Vec<String>,
) -> Result<Result<String, FieldErrors>, HashError> {
    let mut errors = FieldErrors::default();
    if password != confirm {
        errors.add(
            "confirm",
            "The two passwords differ; type the same password twice.",
        );
        return Ok(Err(errors));
    }
    let refused = match check_policy(password, email) {
        Err(p) => Some(p),
        Ok(()) if matches_any(password.to_owned(), recent).await? => Some(PolicyError::Reused),
        Ok(()) => None,
    };
    if let Some(p) = refused {
        errors.add("password", p.to_string());
        return Ok(Err(errors));
    }
    Ok(Ok(hash(password.to_owned()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_reasons() {
        let email = "grace.hopper@example.com";
        assert_eq!(check_policy("short", email), Err(PolicyError::TooShort));
        assert_eq!(
            check_policy(&"x".repeat(300), email),
            Err(PolicyError::TooLong)
        );
        assert_eq!(
            check_policy("passwordpassword", email),
            Err(PolicyError::Common)
        );
        assert_eq!(
            check_policy("xx-Grace.Hopper-2026", email),
            Err(PolicyError::ContainsEmail)
        );
        assert_eq!(check_policy("copper kettle morning", email), Ok(()));
        // Short local parts are not held against the password.
        assert_eq!(
            check_policy("copper kettle morning", "jo@example.com"),
            Ok(())
        );
    }

    #[tokio::test]
    async fn hash_then_verify() -> Result<(), HashError> {
        let h = hash("copper kettle morning".into()).await?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("copper kettle morning".into(), h.clone()).await?);
        assert!(!verify("copper kettle evening".into(), h.clone()).await?);
        assert!(!verify("anything".into(), "not a hash".into()).await?);
        assert!(matches_any("copper kettle morning".into(), vec!["junk".into(), h]).await?);
        Ok(())
    }
}
