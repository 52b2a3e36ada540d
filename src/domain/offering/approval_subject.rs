//! The offer as a subject of the approval engine: the same workflows,
//! decision page, links, delegation, reminders and escalation as
//! requirements. Its facts add the yearly amount ("amount over" a
//! threshold) to the department, level and band; what approvers see
//! between rounds is the field-by-field difference of the terms.

use super::terms::Terms;
use super::{Offer, OfferId, Status, commands, find, history};
use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::{self, Actor};
use crate::domain::activity::history::{Event, FieldChange};
use crate::domain::activity::notify;
use crate::domain::approval::subject::{
    About, Applied, Ending, Facts, Outcome, Subject, SubjectKind,
};
use futures::future::BoxFuture;
use serde::Deserialize as _;
use sqlx::PgConnection;
use uuid::Uuid;

/// The offers' answer to the engine.
pub struct Offers;

impl Offer {
    /// The offer as the approval engine sees it.
    pub fn about(&self) -> About {
        About {
            subject: self.subject(),
            version: self.version,
            reference: format!("Offer {}", self.reference),
            title: format!("{}, {}", self.candidate_name, self.title),
            path: self.path(),
            requester_id: self.created_by,
            requester_name: self.created_by_name.clone(),
            summary: format!(
                "{} to {} as {} in {}, starting {}{}",
                self.terms.salary(),
                self.candidate_name,
                self.title,
                self.department_name,
                self.terms.start_date.format("%-d %B %Y"),
                if self.above_band() {
                    " (above the level's band)"
                } else {
                    ""
                }
            ),
            own_people: self.own_people(),
            facts: Facts {
                department_id: Some(self.department_id),
                level_rank: Some(self.level_rank),
                headcount: None,
                above_band: Some(self.above_band()),
                employment_type: Some(self.terms.employment_type.clone()),
                reason: None,
                amount: Some(self.terms.yearly()),
            },
            snapshot: serde_json::to_value(&self.terms).unwrap_or_default(),
        }
    }
}

impl Subject for Offers {
    fn kind(&self) -> SubjectKind {
        SubjectKind::Offer
    }

    fn about<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Option<About>, sqlx::Error>> {
        Box::pin(async move { Ok(find(conn, OfferId::new(id)).await?.map(|o| o.about())) })
    }

    fn visible_to<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        viewer: Uuid,
        roles: &'a [Role],
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let o = find(conn, OfferId::new(id)).await?;
            Ok(o.is_some_and(|o| o.visible_to(viewer, roles)))
        })
    }

    fn history<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> BoxFuture<'a, Result<Vec<Event>, sqlx::Error>> {
        Box::pin(history::timeline(conn, OfferId::new(id)))
    }

    fn changes_since<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
        earlier: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Vec<FieldChange>, Error>> {
        Box::pin(async move {
            let o = find(conn, OfferId::new(id)).await?.ok_or(Error::NotFound)?;
            let earlier = Terms::deserialize(earlier).map_err(|e| Error::Internal(Box::new(e)))?;
            Ok(o.terms.changes_since(&earlier))
        })
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        actor: &'a Actor,
        ending: Ending<'a>,
    ) -> BoxFuture<'a, Result<Applied, Error>> {
        Box::pin(apply(conn, actor, ending))
    }
}

/// What an outcome does to the offer: approved, it may be sent; rejected
/// or sent back for changes, it is a draft again for its recruiter to
/// change, resubmit or withdraw. (The engine tells the recruiter who
/// asked: `offer.approved` for an offer.)
async fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    ending: Ending<'_>,
) -> Result<Applied, Error> {
    let id = OfferId::new(ending.subject.id);
    sqlx::query("select from offers where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let o = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    if o.status != Status::PendingApproval {
        return Err(Error::refused(
            "The offer changed meanwhile; it is no longer waiting for this decision.",
        ));
    }
    let (to, action) = match ending.outcome {
        Outcome::Approved => (Status::Approved, audit::Action::OfferApproved),
        Outcome::Rejected | Outcome::ChangesRequested => {
            (Status::Draft, audit::Action::OfferReturned)
        }
    };
    commands::set_status(&mut *conn, actor, &o, to, action, ending.comment).await?;
    notify::changed(conn, o.subject()).await?;
    Ok(Applied::AsDecided)
}
