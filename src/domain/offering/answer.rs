//! The candidate's answer: the mailed link to the current version (only
//! its digest kept), accepting by typing their full name or declining,
//! without an account; an answer given by phone, recorded by the
//! recruiter; and the expiry run with its reminder two days before.
//!
//! Accepting is the headcount ledger's one way in: the offer's opening is
//! filled and the application hired in the same transaction, so two
//! acceptances racing for the last opening leave one hire and one clear
//! refusal, and nothing half-done.

use super::commands::{set_status, tell};
use super::{Offer, OfferId, Status, find, onboarding};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes, Entity};
use crate::domain::activity::notify::Event;
use crate::domain::kernel::{FieldErrors, optional_text};
use crate::domain::messaging::{Letters, outbox};
use crate::domain::recruiting::application::{self, Who};
use crate::domain::recruiting::careers;
use crate::tokens::{random_token, token_digest};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The candidate's first address.
pub(super) async fn addressee(
    conn: &mut PgConnection,
    o: &Offer,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select email from candidate_emails where candidate_id = $1 order by position, email limit 1",
    )
    .bind(o.candidate_id)
    .fetch_optional(conn)
    .await
}

/// When a link to `o` stops working: the end of its expiry day (UTC).
fn link_end(o: &Offer) -> DateTime<Utc> {
    o.terms
        .expires_on
        .succ_opt()
        .unwrap_or(o.terms.expires_on)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// Mails the candidate a new link to the offer's current version (the
/// offer itself, or with `reminder` the word that it expires soon).
pub(super) async fn mail_link(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    o: &Offer,
    reminder: bool,
) -> Result<(), Error> {
    let Some(to) = addressee(&mut *conn, o).await? else {
        return Ok(());
    };
    let token = random_token(32);
    sqlx::query(
        "insert into offer_links (digest, offer_id, terms_version, expires_at) values ($1, $2, $3, $4)",
    )
    .bind(token_digest(mail.token_key(), &token))
    .bind(o.id)
    .bind(o.terms_version)
    .bind(link_end(o))
    .execute(&mut *conn)
    .await?;
    let company = careers::company(&mut *conn).await?.company_name;
    let m = mail.offer(
        &to,
        &o.candidate_name,
        &o.title,
        &company,
        o.terms.expires_on,
        &token,
        reminder,
    )?;
    outbox::queue(conn, &m).await?;
    Ok(())
}

/// What a mailed link opens.
#[derive(Debug)]
pub enum Opened {
    /// The offer, waiting for an answer.
    Open(Box<Offer>),
    /// Why it cannot be answered (any more), in words for the candidate.
    Closed(String),
}

/// The offer the link was mailed for, if the link exists at all. With
/// `lock`, the link and the offer stay locked for an answer.
pub async fn open(
    conn: &mut PgConnection,
    key: &[u8],
    token: &str,
    lock: bool,
) -> Result<Option<Opened>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Link {
        offer_id: OfferId,
        terms_version: i32,
        expires_at: DateTime<Utc>,
        used_at: Option<DateTime<Utc>>,
    }
    let sql = if lock {
        "select offer_id, terms_version, expires_at, used_at from offer_links where digest = $1 for update"
    } else {
        "select offer_id, terms_version, expires_at, used_at from offer_links where digest = $1"
    };
    let Some(link): Option<Link> = sqlx::query_as(sql)
        .bind(token_digest(key, token))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    if lock {
        sqlx::query("select from offers where id = $1 for update")
            .bind(link.offer_id)
            .execute(&mut *conn)
            .await?;
    }
    let Some(o) = find(conn, link.offer_id).await? else {
        return Ok(None);
    };
    let day = |d: DateTime<Utc>| d.format("%-d %B %Y").to_string();
    let closed = match o.status {
        Status::Accepted | Status::Declined if link.used_at.is_some() => Some(format!(
            "You answered this offer on {}: it is {}. Thank you.",
            link.used_at.map(day).unwrap_or_default(),
            o.status.label().to_lowercase()
        )),
        Status::Accepted | Status::Declined => Some(format!(
            "This offer was answered on {}: it is {}.",
            o.answered_at.map(day).unwrap_or_default(),
            o.status.label().to_lowercase()
        )),
        Status::Withdrawn => Some("This offer was withdrawn.".to_owned()),
        Status::Expired => Some(format!(
            "This offer expired on {}.",
            o.terms.expires_on.format("%-d %B %Y")
        )),
        _ if link.terms_version != o.terms_version => Some(
            "This offer has changed since this link was sent: the new version will reach you by email once it is ready."
                .to_owned(),
        ),
        Status::Sent if link.expires_at <= Utc::now() => Some(format!(
            "This offer expired on {}.",
            o.terms.expires_on.format("%-d %B %Y")
        )),
        Status::Sent => None,
        _ => Some("This offer is being revised: a new version will reach you by email.".to_owned()),
    };
    Ok(Some(match closed {
        Some(why) => Opened::Closed(why),
        None => Opened::Open(Box::new(o)),
    }))
}

/// An answer, as given.
#[derive(Debug, Clone)]
pub struct Answer {
    pub accept: bool,
    /// The full name typed to accept (from the link); None when recorded
    /// by the recruiter.
    pub signed_name: Option<String>,
    /// Why they declined, or the recruiter's note.
    pub reason: String,
}

/// The longest reason kept.
pub const REASON_MAX: usize = 2_000;

impl Answer {
    /// The link page's form: accepting needs the full name as on the
    /// offer; declining, an optional reason.
    pub fn from_link(
        accept: bool,
        signed_name: &str,
        reason: &str,
        o: &Offer,
    ) -> Result<Answer, FieldErrors> {
        let mut e = FieldErrors::default();
        let reason = optional_text(&mut e, "reason", reason, REASON_MAX);
        let signed = optional_text(&mut e, "signed_name", signed_name, 200);
        let same = |a: &str, b: &str| {
            let words = |s: &str| {
                s.split_whitespace()
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            };
            words(a) == words(b)
        };
        if accept && e.get("signed_name").is_none() && !same(&signed, &o.candidate_name) {
            e.add(
                "signed_name",
                format!(
                    "Type your full name as the offer shows it: {}.",
                    o.candidate_name
                ),
            );
        }
        e.into_result(|| Answer {
            accept,
            signed_name: accept.then_some(signed),
            reason,
        })
    }
}

/// Answers the offer the link was mailed for, as the candidate, from
/// `actor`'s address. Refused with the reason when the link no longer
/// works (used, for an old version, expired, withdrawn).
pub async fn by_link(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    token: &str,
    accept: bool,
    signed_name: &str,
    reason: &str,
) -> Result<Status, Error> {
    let o = match open(&mut *conn, mail.token_key(), token, true).await? {
        None => return Err(Error::NotFound),
        Some(Opened::Closed(why)) => return Err(Error::Refused(why)),
        Some(Opened::Open(o)) => o,
    };
    let answer = Answer::from_link(accept, signed_name, reason, &o)?;
    sqlx::query("update offer_links set used_at = now() where digest = $1")
        .bind(token_digest(mail.token_key(), token))
        .execute(&mut *conn)
        .await?;
    settle(conn, actor, None, mail, &o, &answer).await
}

/// Records an answer the candidate gave another way (by phone), as the
/// recruiter.
pub async fn record(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: OfferId,
    version: i32,
    accept: bool,
    note: &str,
) -> Result<Status, Error> {
    sqlx::query("select from offers where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let o = find(&mut *conn, id)
        .await?
        .filter(|o| o.visible_to(who.user, who.roles))
        .ok_or(Error::NotFound)?;
    if !o.managed_by(who.user, who.roles) {
        return Err(Error::Forbidden);
    }
    if o.version != version {
        return Err(Error::stale(conn, Entity::Offer, id.uuid(), version).await);
    }
    if !matches!(o.status, Status::Sent | Status::Approved) {
        return Err(Error::refused(format!(
            "The offer is {}: only an approved or sent offer can be answered.",
            o.status.label().to_lowercase()
        )));
    }
    let mut e = FieldErrors::default();
    let reason = optional_text(&mut e, "note", note, REASON_MAX);
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let answer = Answer {
        accept,
        signed_name: None,
        reason,
    };
    settle(conn, who.actor, Some(who.user), mail, &o, &answer).await
}

/// The answer, recorded: accepted, the opening is filled, the application
/// hired and the onboarding begun; either way the candidate gets a
/// confirmation and the offer's people are told.
async fn settle(
    conn: &mut PgConnection,
    actor: &Actor,
    by: Option<Uuid>,
    mail: &dyn Letters,
    o: &Offer,
    answer: &Answer,
) -> Result<Status, Error> {
    let (to, action, event, what) = if answer.accept {
        (
            Status::Accepted,
            audit::Action::OfferAccepted,
            Event::OfferAccepted,
            "was accepted",
        )
    } else {
        (
            Status::Declined,
            audit::Action::OfferDeclined,
            Event::OfferDeclined,
            "was declined",
        )
    };
    if answer.accept {
        application::hire_by_offer(&mut *conn, actor, by, o.application_id, o.opening_id).await?;
    }
    set_status(&mut *conn, actor, o, to, action, &answer.reason)
        .await
        .map_err(|e| match &e {
            // The last guard of the ledger: one accepted offer per opening.
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::refused("This position was filled meanwhile: nothing was changed.")
            }
            _ => e.into(),
        })?;
    sqlx::query(
        "update offers set answered_at = now(), signed_name = $2, answer_reason = nullif($3, ''),
                answer_ip = $4, answer_agent = $5, answer_recorded_by = $6
          where id = $1",
    )
    .bind(o.id)
    .bind(&answer.signed_name)
    .bind(&answer.reason)
    .bind(actor.ip.filter(|_| by.is_none()))
    .bind(actor.user_agent.as_deref().filter(|_| by.is_none()))
    .bind(by)
    .execute(&mut *conn)
    .await?;
    if answer.accept {
        onboarding::start(&mut *conn, actor, mail, o).await?;
    }
    if let Some(address) = addressee(&mut *conn, o).await? {
        let company = careers::company(&mut *conn).await?.company_name;
        let m = mail.offer_answered(
            &address,
            &o.candidate_name,
            &o.title,
            &company,
            answer.accept,
            o.terms.start_date,
        )?;
        outbox::queue(&mut *conn, &m).await?;
    }
    tell(conn, mail, o, event, what, by).await?;
    Ok(to)
}

/// Expires sent offers past their date and reminds the candidate (with a
/// fresh link) and the offer's people two days before. Each offer is
/// claimed by a row update, so processes running this at once act on it
/// once. Returns how many offers it touched.
pub async fn expire_and_remind(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    today: NaiveDate,
) -> Result<usize, Error> {
    let expired: Vec<OfferId> = sqlx::query_scalar(
        "update offers o set status = 'expired', version = o.version + 1, updated_at = now()
           from offer_versions v
          where o.status = 'sent' and v.offer_id = o.id and v.number = o.terms_version
            and v.expires_on < $1
          returning o.id",
    )
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    let actor = Actor::system();
    for id in &expired {
        let Some(o) = find(&mut *conn, *id).await? else {
            continue;
        };
        let c = Changes::new().field("status", &"sent", &"expired").field(
            "version",
            &(o.version - 1),
            &o.version,
        );
        audit::record(
            &mut *conn,
            &actor,
            audit::Action::OfferExpired,
            Entity::Offer,
            Some(id.uuid()),
            c,
        )
        .await?;
        tell(
            &mut *conn,
            mail,
            &o,
            Event::OfferExpired,
            "expired unanswered",
            None,
        )
        .await?;
    }
    let due: Vec<OfferId> = sqlx::query_scalar(
        "update offers o set expiry_reminded_at = now()
           from offer_versions v
          where o.status = 'sent' and v.offer_id = o.id and v.number = o.terms_version
            and v.expires_on between $1 and $1 + 2 and o.expiry_reminded_at is null
          returning o.id",
    )
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    for id in &due {
        let Some(o) = find(&mut *conn, *id).await? else {
            continue;
        };
        mail_link(&mut *conn, mail, &o, true).await?;
        let what = format!(
            "expires on {} unanswered so far",
            o.terms.expires_on.format("%-d %B")
        );
        tell(&mut *conn, mail, &o, Event::OfferExpiring, &what, None).await?;
    }
    Ok(expired.len() + due.len())
}
