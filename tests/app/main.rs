//! The integration tests: one binary, each test on a fresh database cloned
//! from a migrated template, talking to a real server over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod admin;
mod approvals;
mod auth;
mod browser;
mod browser_interviews;
mod browser_offers;
mod browser_privacy;
mod browser_recruiting;
mod browser_requirements;
mod careers;
mod change_approval;
mod comments;
mod connections;
mod files;
mod home;
mod interviews;
mod jobs;
mod layers;
mod live_regions;
mod mail;
mod merges;
mod notifications;
mod nudges;
mod offers;
mod openings;
mod people;
mod platform;
mod privacy;
mod problems;
mod recruiting;
mod rejection_mail;
mod requirements;
mod routes;
mod row_rules;
mod subjects;
mod timezones;
mod typed;
mod workflows;
