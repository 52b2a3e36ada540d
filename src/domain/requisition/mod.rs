//! Requisitions: the requirement (as stored, its form, its lifecycle, its
//! list and export), its openings and its history.

pub mod approval_subject;
pub mod commands;
pub mod form;
pub mod history;
pub mod lifecycle;
pub mod list;
pub mod opening;
pub mod requirement;
