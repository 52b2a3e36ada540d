//! The password policy: length, the common-password list, the email's
//! local part and the history a new password may not repeat. Hashing is
//! `crate::auth::password`'s; this is only the rule.

use std::collections::HashSet;
use std::sync::LazyLock;

pub const MIN_LENGTH: usize = 12;
/// Bounds the work an attacker can ask of argon2 with one request.
pub const MAX_LENGTH: usize = 256;
/// How many earlier passwords a new one may not repeat.
pub const HISTORY: i64 = 5;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a password is refused, in words shown beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Use at least {MIN_LENGTH} characters.")]
    TooShort,
    #[error("Use at most {MAX_LENGTH} characters.")]
    TooLong,
    #[error("This password is on a list of common passwords; choose another.")]
    Common,
    #[error("The password must not contain your email name.")]
    ContainsEmail,
    #[error("You used this password recently; choose one you have not used before.")]
    Reused,
}

/// Checks the rules that need no database: length, the common-password
/// list and the email's local part. Reuse is checked by [`crate::domain::org::user`].
pub fn check_policy(password: &str, email: &str) -> Result<(), PolicyError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PolicyError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err(PolicyError::Common);
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    // A one- or two-letter local part would forbid half the alphabet.
    if local.chars().count() >= 3 && lower.contains(&local) {
        return Err(PolicyError::ContainsEmail);
    }
    Ok(())
}
