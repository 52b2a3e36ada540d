//! Requisitions: the requirement (form, lifecycle, list, export), its
//! openings and its history.

pub mod history;
pub mod opening;
pub mod requirement;
