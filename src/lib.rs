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
pub mod web;
