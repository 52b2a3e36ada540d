//! Requisitions: the requirement (form, lifecycle, list, export), its
//! openings and its history.

pub mod approval_subject;
pub mod history;
pub mod opening;
pub mod requirement;
