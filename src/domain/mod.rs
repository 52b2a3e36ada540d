//! Rules, state and the SQL that keeps them: no HTTP, no HTML, no mail
//! templates, no sessions (CI checks that nothing here names axum, askama,
//! lettre, `crate::web`, `crate::mail` or `crate::auth`).
//!
//! Functions take a `&mut PgConnection` so a caller can compose several in
//! one transaction (the change, its audit row and its mail commit together).

pub mod access;
pub mod activity;
pub mod approval;
pub mod error;
pub mod id;
pub mod interviewing;
pub mod kernel;
pub mod messaging;
pub mod offering;
pub mod org;
pub mod recruiting;
pub mod reporting;
pub mod requisition;

pub use error::Error;

use approval::subject::{Subject, SubjectKind, SubjectRef};
use sqlx::PgConnection;
use uuid::Uuid;

/// The area that answers to the approval engine for each kind of subject
/// (the candidate has none). Here, above the areas, so the
/// engine never names one.
pub fn approval_subject(kind: SubjectKind) -> Option<&'static dyn Subject> {
    match kind {
        SubjectKind::Requirement => Some(&requisition::approval_subject::Requirements),
        SubjectKind::Offer => Some(&offering::approval_subject::Offers),
        SubjectKind::Candidate => None,
    }
}

/// Of `users`, those who may see `subject`, as its own area rules (for
/// live updates about a confidential one). A kind without an area yet is
/// seen by nobody.
pub async fn seen_by(
    conn: &mut PgConnection,
    subject: SubjectRef,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    match subject.kind {
        SubjectKind::Requirement => {
            let id = requisition::requirement::RequirementId::new(subject.id);
            requisition::requirement::seen_by(conn, id, users).await
        }
        SubjectKind::Offer => {
            offering::seen_by(conn, offering::OfferId::new(subject.id), users).await
        }
        // Nothing sends live updates about them: the board's come through
        // its requirement.
        SubjectKind::Candidate => Ok(Vec::new()),
    }
}
