//! What happens around a subject: comments and mentions, notifications and
//! the digest, the audit trail and the history read from it.

pub mod audit;
pub mod comments;
pub mod history;
pub mod notify;
