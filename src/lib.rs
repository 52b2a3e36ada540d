//! Hiring Hare: a recruitment-requisition tracker. The binary (`main.rs`)
//! is a thin command line over this library; the integration tests drive
//! the same router.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod live;
pub mod mail;
pub mod nudge;
pub mod seed;
pub mod seed_load;
pub mod server;
pub mod storage;
pub mod threads;
pub mod tokens;
pub mod web;

/// The error of the commands (serve, seed, migrate): any of the layers'
/// errors, reported once at the top. At the root so that cli, seed and
/// server share it without pointing at each other.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
