//! The approval engine: a submitted subject (a requirement, next an offer;
//! see [`subject`]) runs through its workflow's steps; each step's approvers decide in parallel, steps in
//! order. Decisions are rows ([`approval_tasks`]), taken under a lock on the
//! approval so two approvers deciding at once leave one consistent outcome.
//!
//! [`approval_tasks`]: ../../../migrations/20261124000003_approvals.sql

pub mod engine;
pub mod links;
pub mod reminders;
pub mod subject;
pub mod tasks;
pub mod workflow;

use crate::domain::activity::notify;
use crate::domain::kernel::TransitionError;
use crate::domain::messaging::LetterError;
use crate::domain::messaging::outbox;

pub use engine::{
    Earlier, cancel, decide, earlier, last_approved_fields, may_decide, reassign, resume_status,
    submit,
};
pub use links::{Link, check_link, grant_holds, use_link};
pub use reminders::{business_days_between, remind_overdue};
pub use subject::{About, Subject, SubjectKind, SubjectRef};
pub(crate) use tasks::waiting_for;
pub use tasks::{
    ChangesAsked, INBOX_PAGE, InboxPage, Route, Task, changes_asked, decided, route, task,
    task_with_trail, trail, waiting,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        Some(match s {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject,
            "request_changes" => Decision::RequestChanges,
            _ => return None,
        })
    }

    fn task_status(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::RequestChanges => "changes_requested",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("this approval is not waiting for you")]
    NotYours,
    #[error("this approval was already decided")]
    Decided,
    #[error("a comment is required")]
    CommentRequired,
    /// No step has anyone who may approve: submitting would approve by
    /// default. `cause` says why, step by step, in words for the requester.
    #[error("nobody can approve this: {cause}")]
    NoApprovers { cause: String },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("rendering mail failed: {0}")]
    Mail(#[from] LetterError),
    #[error(transparent)]
    Queue(#[from] outbox::QueueError),
}

impl From<notify::TellError> for DecideError {
    fn from(e: notify::TellError) -> Self {
        match e {
            notify::TellError::Db(e) => e.into(),
            notify::TellError::Mail(e) => DecideError::Mail(e),
            notify::TellError::Queue(e) => DecideError::Queue(e),
        }
    }
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Transition(e.into())
    }
}
