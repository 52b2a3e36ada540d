//! Sessions, password hashing, CSRF tokens and sign-in throttling: no
//! rules (those are the domain's) and no pages (those are the web's).

pub mod csrf;
pub mod password;
pub mod session_store;
pub mod throttle;
