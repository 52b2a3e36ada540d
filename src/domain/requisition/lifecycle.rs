//! A requirement's lifecycle: its statuses, the actions that move it, the
//! state machine between them, and [`apply`], the one way to move it.

use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{FieldErrors, REASON_MAX, optional_text};
use crate::domain::requisition::requirement::{RequirementId, find};
use sqlx::PgConnection;
use uuid::Uuid;

/// Where a requirement is in its life (DOMAIN.md, "Requirement").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    PendingApproval,
    ChangesRequested,
    Approved,
    Rejected,
    Open,
    OnHold,
    Filled,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::PendingApproval,
        Status::ChangesRequested,
        Status::Approved,
        Status::Rejected,
        Status::Open,
        Status::OnHold,
        Status::Filled,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingApproval => "pending_approval",
            Status::ChangesRequested => "changes_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Open => "open",
            Status::OnHold => "on_hold",
            Status::Filled => "filled",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::PendingApproval => "Pending approval",
            Status::ChangesRequested => "Changes requested",
            Status::Approved => "Approved",
            Status::Rejected => "Rejected",
            Status::Open => "Open",
            Status::OnHold => "On hold",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Rejected, filled and cancelled requirements never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Rejected | Status::Filled | Status::Cancelled)
    }
}

crate::text_enum!(Status);

/// What someone asks to do to a requirement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send a draft (or a requirement whose changes were requested) for approval.
    Submit,
    /// Every approval step approved (the approval engine decides this).
    Approve,
    Reject,
    RequestChanges,
    /// Publish an approved requirement: recruiting starts.
    Open,
    Hold,
    Resume,
    Cancel,
    /// Every opening is filled or closed.
    Fill,
    /// A material edit of an approved requirement goes back to approval.
    SubmitChange,
    /// The approvers declined a change: the approved values return.
    DeclineChange,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "submit" => Action::Submit,
            "open" => Action::Open,
            "hold" => Action::Hold,
            "resume" => Action::Resume,
            "cancel" => Action::Cancel,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::RequestChanges => "request_changes",
            Action::Open => "open",
            Action::Hold => "hold",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::Fill => "fill",
            Action::SubmitChange => "submit_change",
            Action::DeclineChange => "decline_change",
        }
    }

    /// The button that asks for it.
    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "Submit for approval",
            Action::Approve => "Approve",
            Action::Reject => "Reject",
            Action::RequestChanges => "Ask for changes",
            Action::Open => "Open for recruiting",
            Action::Hold => "Put on hold",
            Action::Resume => "Resume",
            Action::Cancel => "Cancel requirement",
            Action::Fill => "Mark filled",
            Action::SubmitChange => "Send the change for approval",
            Action::DeclineChange => "Decline the change",
        }
    }

    /// The flash message once it is done: a sentence, as a person says it.
    pub fn done(self) -> &'static str {
        match self {
            Action::Submit => "Submitted for approval.",
            Action::Approve => "Approved.",
            Action::Reject => "Rejected.",
            Action::RequestChanges => "Changes requested.",
            Action::Open => "Opened for recruiting.",
            Action::Hold => "Put on hold.",
            Action::Resume => "Recruiting resumed.",
            Action::Cancel => "Requirement cancelled.",
            Action::Fill => "Marked filled.",
            Action::SubmitChange => "The change went to the approvers.",
            Action::DeclineChange => "The change was declined.",
        }
    }

    /// Whether the transition must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject | Action::RequestChanges | Action::Cancel | Action::DeclineChange
        )
    }
}

/// The lifecycle, in one place: the status `action` leads to from `from`,
/// or None when the action is not allowed there.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Draft | S::ChangesRequested, A::Submit) => Some(S::PendingApproval),
        (S::PendingApproval, A::Approve) => Some(S::Approved),
        (S::PendingApproval, A::Reject) => Some(S::Rejected),
        (S::PendingApproval, A::RequestChanges) => Some(S::ChangesRequested),
        (S::Approved, A::Open) => Some(S::Open),
        (S::Open, A::Hold) => Some(S::OnHold),
        (S::OnHold, A::Resume) => Some(S::Open),
        (S::Open | S::OnHold, A::Fill) => Some(S::Filled),
        (S::Approved | S::Open | S::OnHold, A::SubmitChange) => Some(S::PendingApproval),
        (S::PendingApproval, A::DeclineChange) => Some(S::Approved),
        (s, A::Cancel) if !s.is_final() => Some(S::Cancelled),
        _ => None,
    }
}

/// Who asks for a lifecycle change, so that [`apply`] can refuse what is
/// not theirs to ask, whatever the caller checked before.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// A person, with their roles: only what [`Requirement::may`] allows.
    Person { id: Uuid, roles: &'a [Role] },
    /// The application moving it on as the consequence of something already
    /// allowed: an approval decided, the last opening settled, the command
    /// line seeding demo data.
    App,
}

impl Action {
    /// How the audit log names this action taken.
    fn audited(self) -> audit::Action {
        use audit::Action as A;
        match self {
            Action::Submit => A::RequirementSubmitted,
            Action::Approve => A::RequirementApproved,
            Action::Reject => A::RequirementRejected,
            Action::RequestChanges => A::RequirementChangesRequested,
            Action::Open => A::RequirementOpened,
            Action::Hold => A::RequirementHeld,
            Action::Resume => A::RequirementResumed,
            Action::Cancel => A::RequirementCancelled,
            Action::Fill => A::RequirementFilled,
            Action::SubmitChange => A::RequirementChangeSubmitted,
            Action::DeclineChange => A::RequirementChangeDeclined,
        }
    }
}

/// What the state machine says to an action `from` has no arrow for.
pub fn not_while(from: Status) -> Error {
    Error::refused(format!(
        "This is not possible while the requirement is {}.",
        from.label().to_lowercase()
    ))
}

/// Moves the requirement through its lifecycle, recording the transition
/// row and its audit row. `version` guards against acting on a stale page.
pub async fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    asker: Asker<'_>,
    id: RequirementId,
    version: i32,
    action: Action,
    reason: &str,
) -> Result<Status, Error> {
    let r = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    if let Asker::Person { id: user, roles } = asker
        && !r.may(user, roles, action)
    {
        return Err(Error::Forbidden);
    }
    let mut e = FieldErrors::default();
    let reason = optional_text(&mut e, "reason", reason, REASON_MAX);
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    if action.needs_reason() && reason.is_empty() {
        return Err(Error::field("reason", "Say why: a reason is required."));
    }
    let from = r.status;
    let to = transition(from, action).ok_or_else(|| not_while(from))?;
    let done = sqlx::query(
        "update requirements set status = $3, version = version + 1, updated_at = now()
          where id = $1 and version = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(version)
    .bind(to.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::Requirement, id.uuid(), version).await);
    }
    if to == Status::Cancelled {
        // Nobody is left deciding on a requirement that is called off.
        crate::domain::approval::cancel(&mut *conn, actor, super::approval_subject::subject(id))
            .await?;
    }
    if to == Status::Open {
        // One opening per head, created when recruiting starts (again, after
        // an approved change: only the heads added since).
        sqlx::query(
            "insert into openings (requirement_id)
             select $1 from generate_series(1, $2 - (select count(*)::int from openings
                                                      where requirement_id = $1 and status <> 'closed'))",
        )
        .bind(id)
        .bind(r.headcount)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "insert into requirement_transitions (requirement_id, from_status, to_status, reason, actor_id)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(&reason)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    crate::domain::activity::notify::changed(
        &mut *conn,
        crate::domain::requisition::approval_subject::subject(id),
    )
    .await?;
    let c = Changes::new()
        .field("status", &from.as_str(), &to.as_str())
        .created("reason", &reason)
        .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        action.audited(),
        audit::Entity::Requirement,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_follows_the_diagram() {
        use Action as A;
        use Status as S;
        assert_eq!(transition(S::Draft, A::Submit), Some(S::PendingApproval));
        assert_eq!(
            transition(S::ChangesRequested, A::Submit),
            Some(S::PendingApproval)
        );
        assert_eq!(
            transition(S::PendingApproval, A::Approve),
            Some(S::Approved)
        );
        assert_eq!(
            transition(S::PendingApproval, A::RequestChanges),
            Some(S::ChangesRequested)
        );
        assert_eq!(transition(S::PendingApproval, A::Reject), Some(S::Rejected));
        assert_eq!(transition(S::Approved, A::Open), Some(S::Open));
        assert_eq!(transition(S::Open, A::Hold), Some(S::OnHold));
        assert_eq!(transition(S::OnHold, A::Resume), Some(S::Open));
        assert_eq!(transition(S::OnHold, A::Fill), Some(S::Filled));
        for s in Status::ALL {
            assert_eq!(transition(s, A::Cancel).is_some(), !s.is_final(), "{s:?}");
        }
        // Refused: skipping approval, reopening the final states.
        assert_eq!(transition(S::Draft, A::Open), None);
        assert_eq!(transition(S::Draft, A::Approve), None);
        assert_eq!(transition(S::Rejected, A::Submit), None);
        assert_eq!(transition(S::Filled, A::Resume), None);
        assert_eq!(transition(S::Cancelled, A::Submit), None);
    }
}
