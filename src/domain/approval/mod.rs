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

pub use engine::{
    Since, cancel, decide, last_approved_fields, may_decide, reassign, resume_status, since, submit,
};
pub use links::{Link, check_link, grant_holds, since_mailed, use_link};
pub use reminders::{business_days_between, remind_overdue};
pub use subject::{About, Subject, SubjectKind, SubjectRef};
pub(crate) use tasks::waiting_for;
pub use tasks::{
    ChangesAsked, INBOX_PAGE, InboxPage, Route, Task, TaskId, TaskStatus, changes_asked, decided,
    route, task, task_with_trail, trail, waiting,
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

    fn task_status(self) -> TaskStatus {
        match self {
            Decision::Approve => TaskStatus::Approved,
            Decision::Reject => TaskStatus::Rejected,
            Decision::RequestChanges => TaskStatus::ChangesRequested,
        }
    }
}
