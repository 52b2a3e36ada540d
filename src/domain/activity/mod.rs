//! What happens around a subject: comments and mentions, notifications and
//! the digest, and the audit trail.

pub mod audit;
pub mod comments;
pub mod notify;
