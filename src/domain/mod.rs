//! Rules, state and the SQL that keeps them: no HTTP, no HTML, no mail
//! templates, no sessions (CI checks that nothing here names axum, askama,
//! lettre, `crate::web`, `crate::mail` or `crate::auth`).
//!
//! Functions take a `&mut PgConnection` so a caller can compose several in
//! one transaction (the change, its audit row and its mail commit together).

pub mod access;
pub mod activity;
pub mod approval;
pub mod kernel;
pub mod messaging;
pub mod org;
pub mod reporting;
pub mod requisition;

use approval::subject::{Subject, SubjectKind};

/// The area that answers to the approval engine for each kind of subject
/// (offers join when their area exists). Here, above the areas, so the
/// engine never names one.
pub fn approval_subject(kind: SubjectKind) -> Option<&'static dyn Subject> {
    match kind {
        SubjectKind::Requirement => Some(&requisition::approval_subject::Requirements),
        SubjectKind::Offer => None,
    }
}
