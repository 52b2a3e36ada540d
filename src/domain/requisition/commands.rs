//! What people do to a requirement, each one call with everything that
//! goes with it: draft one from the form, edit it (an approved one's
//! material change going back to its approvers), and act on it from its
//! page (submit, open, hold, cancel…, with the approval started and the
//! people told).

use crate::domain::Error;
use crate::domain::activity::audit::Actor;
use crate::domain::activity::notify::Event;
use crate::domain::messaging::Letters;
use crate::domain::org::user;
use crate::domain::requisition::approval_subject;
use crate::domain::requisition::form::{self, RequirementFields, RequirementForm};
use crate::domain::requisition::lifecycle::{self, Action, Asker, Status};
use crate::domain::requisition::opening;
use crate::domain::requisition::requirement::{self, Requirement, RequirementId};
use sqlx::PgConnection;

/// The form read and checked: its people typed as names or emails read
/// into ids (kept in the form, which then shows the people), then
/// [`form::validate`]. `before` is the requirement as saved, for an edit.
async fn read(
    conn: &mut PgConnection,
    f: &mut RequirementForm,
    before: Option<&Requirement>,
) -> Result<RequirementFields, Error> {
    let picked = user::read_people(
        &mut *conn,
        vec![
            ("hiring_manager_id", &mut f.hiring_manager_id),
            ("recruiter_id", &mut f.recruiter_id),
        ],
    )
    .await?;
    let checked = form::validate(conn, f, before).await?;
    Ok(user::picked_first(picked, checked)?)
}

/// Drafts a requirement from the form and tells its people.
pub async fn draft(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    f: &mut RequirementForm,
) -> Result<RequirementId, Error> {
    let fields = read(&mut *conn, f, None).await?;
    let id = requirement::create(&mut *conn, actor, &fields).await?;
    requirement::announce(
        conn,
        actor,
        mail,
        id,
        Event::RequirementCreated,
        "was drafted",
    )
    .await?;
    Ok(id)
}

/// What an edit led to, besides the save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    Saved,
    /// A material change to an approved requirement: it went back to the
    /// approvers, and is pending approval until they decide.
    SentForApproval,
    /// Down to the heads already hired: the requirement is filled.
    Filled,
}

/// Saves the form over requirement `r` (as the editor loaded it) by
/// `editor`, who must be allowed to edit it; its recruiter changes only
/// how the job is sought. A material change to an approved requirement
/// starts its approval in the same transaction.
pub async fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    editor: Asker<'_>,
    mail: &dyn Letters,
    r: &Requirement,
    f: &mut RequirementForm,
) -> Result<Edited, Error> {
    if let Asker::Person { id, roles } = editor {
        if !r.editable_by(id, roles) {
            return Err(Error::Forbidden);
        }
        if r.sourcing_only(id, roles) {
            *f = RequirementForm::sourcing_edit(r, std::mem::take(f));
        }
    }
    let fields = read(&mut *conn, f, Some(r)).await?;
    // Measured against what the approvers agreed to, not the last save:
    // lowering then raising the headcount again is no change.
    let reapprove = r.approved()
        && requirement::is_material(
            &approval_subject::last_approved_fields(&mut *conn, r.id)
                .await?
                .unwrap_or_else(|| r.fields()),
            &fields,
        );
    requirement::update(&mut *conn, actor, r.id, f.version, &fields).await?;
    if reapprove {
        let (id, version) = (r.id, f.version + 1);
        approval_subject::submit(conn, actor, editor, mail, id, version, Action::SubmitChange)
            .await?;
        return Ok(Edited::SentForApproval);
    }
    Ok(match opening::fill_when_done(conn, actor, r.id).await? {
        Some(_) => Edited::Filled,
        None => Edited::Saved,
    })
}

/// An action as the requirement's page asks it: on the version the page
/// showed, with the reason typed for the actions that need one.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub action: Action,
    pub version: i32,
    pub reason: &'a str,
}

/// Takes an action on requirement `id` for `asker`: submitting starts its
/// approval; opening it tells its people recruiting starts.
pub async fn act(
    conn: &mut PgConnection,
    actor: &Actor,
    asker: Asker<'_>,
    mail: &dyn Letters,
    id: RequirementId,
    ask: Ask<'_>,
) -> Result<(), Error> {
    let Ask {
        action,
        version,
        reason,
    } = ask;
    if action == Action::Submit {
        return approval_subject::submit(conn, actor, asker, mail, id, version, action).await;
    }
    if lifecycle::apply(&mut *conn, actor, asker, id, version, action, reason).await?
        == Status::Open
    {
        let what = "is open for recruiting";
        requirement::announce(conn, actor, mail, id, Event::RequirementOpened, what).await?;
    }
    Ok(())
}
