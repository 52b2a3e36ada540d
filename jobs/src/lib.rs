//! Background jobs for Hiring Hare, built on apalis 1.0 with PostgreSQL storage.
//!
//! Why this crate exists: domain changes and the work they trigger (sending
//! mail, later reminders and digests) must not be lost or duplicated by a
//! crash between "commit" and "do the work". Tasks therefore live in the same
//! PostgreSQL database as the domain (schema `apalis`) and are enqueued inside
//! the caller's transaction, so a rollback also discards the task.
//!
//! Dependency direction: the main crate depends on `jobs`, never the reverse.
//! Handlers reach the domain only through small traits the main crate
//! implements ([`Mailer`], [`Periodic`], [`Extractor`]).
//!
//! Typical use from the main crate:
//!
//! 1. at start-up, [`setup()`] (idempotent migrations of the `apalis` schema);
//! 2. in a request handler, write the outbox row and call [`enqueue_mail`]
//!    with the same transaction;
//! 3. in `main`, spawn [`run_workers`] with a shutdown future.
//!
//! Adding a job: create a module next to `mail` with its queue name, payload,
//! `enqueue_*` function and a `register` function, then add one line to the
//! job list in `runner::register_all`.

mod error;
mod extract;
mod mail;
mod periodic;
mod queue;
mod retry;
mod runner;
mod setup;

pub use error::JobsError;
pub use extract::{EXTRACT_QUEUE, Extractor, enqueue_extract};
pub use mail::{MAIL_MAX_ATTEMPTS, MAIL_QUEUE, Mailer, SendMail, enqueue_mail, enqueue_mail_in};
pub use periodic::Periodic;
pub use runner::{SHUTDOWN_GRACE, run_workers};
pub use setup::setup;

/// Error type job handlers return to signal a (retryable) failure.
///
/// Boxed so the main crate can use whatever error types it already has.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
