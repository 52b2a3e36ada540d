//! Read-only queries behind the dashboards.

pub mod dashboard;
