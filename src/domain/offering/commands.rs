//! What recruiters do to an offer: draft it, change its terms (a new
//! version once it has gone for approval), submit it, send it, withdraw
//! it. Each checks who asks here as well as in the handler, and runs in
//! the caller's transaction.

use super::terms::{Terms, TermsForm};
use super::{Offer, OfferId, Status, approval_subject, find, letter, open_openings};
use crate::domain::Error;
use crate::domain::access::{Permission, allows};
use crate::domain::activity::audit::{self, Actor, Changes, Entity};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::approval;
use crate::domain::messaging::{Letters, outbox};
use crate::domain::recruiting::application::{self, ApplicationId, Who};
use crate::domain::recruiting::careers;
use crate::domain::requisition::opening::OpeningId;
use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// Locks the offer and checks that `who` may change it: 404 unless they
/// see it, 403 unless they manage offers.
async fn lock(conn: &mut PgConnection, who: Who<'_>, id: OfferId) -> Result<Offer, Error> {
    sqlx::query("select from offers where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let o = find(conn, id)
        .await?
        .filter(|o| o.visible_to(who.user, who.roles))
        .ok_or(Error::NotFound)?;
    if !o.managed_by(who.user, who.roles) {
        return Err(Error::Forbidden);
    }
    Ok(o)
}

/// The offer at the version the form was loaded with, or who changed it
/// since.
async fn current(
    conn: &mut PgConnection,
    who: Who<'_>,
    id: OfferId,
    version: i32,
) -> Result<Offer, Error> {
    let o = lock(&mut *conn, who, id).await?;
    if o.version != version {
        return Err(Error::stale(conn, Entity::Offer, id.uuid(), version).await);
    }
    Ok(o)
}

fn not_while(o: &Offer, doing: &str) -> Error {
    Error::refused(format!(
        "The offer is {}: it cannot be {doing} now.",
        o.status.label().to_lowercase()
    ))
}

/// Drafts an offer for an application in its pipeline's offer stage, for
/// one of the requirement's open openings. One live offer per application.
pub async fn draft(
    conn: &mut PgConnection,
    who: Who<'_>,
    application: ApplicationId,
    form: &TermsForm,
    today: NaiveDate,
) -> Result<OfferId, Error> {
    sqlx::query("select from applications where id = $1 for update")
        .bind(application)
        .execute(&mut *conn)
        .await?;
    let a = application::find(&mut *conn, application)
        .await?
        .filter(|a| a.visible_to(who.user, who.roles))
        .ok_or(Error::NotFound)?;
    if !allows(who.roles, Permission::ManageOffers) {
        return Err(Error::Forbidden);
    }
    crate::domain::recruiting::candidate::takes_data_unheld(&mut *conn, a.candidate_id).await?;
    let stage = application::offer_stage(&mut *conn, a.requirement_id).await?;
    if stage.as_ref().map(|s| s.id) != Some(a.stage_id) {
        return Err(Error::refused(format!(
            "{} is at {}: move them to {} first, where offers are made.",
            a.candidate_name,
            a.stage_name,
            stage.map_or("the offer stage".into(), |s| s.name)
        )));
    }
    let live: Option<OfferId> = sqlx::query_scalar(
        "select id from offers where application_id = $1
            and status in ('draft', 'pending_approval', 'approved', 'sent')",
    )
    .bind(application)
    .fetch_optional(&mut *conn)
    .await?;
    if live.is_some() {
        return Err(Error::refused(format!(
            "{} has an offer under way for this requirement already: change that one.",
            a.candidate_name
        )));
    }
    let openings = open_openings(&mut *conn, a.requirement_id).await?;
    let opening = form
        .opening_id
        .trim()
        .parse::<Uuid>()
        .ok()
        .map(OpeningId::new);
    let opening = opening.filter(|o| openings.iter().any(|(id, _)| id == o));
    let terms = form.parse(today);
    let (opening, terms) = match (opening, terms) {
        (Some(o), Ok(t)) => (o, t),
        (o, t) => {
            let mut e = t.err().unwrap_or_default();
            if o.is_none() {
                e.add(
                    "opening_id",
                    if openings.is_empty() {
                        "Every opening is filled or closed: raise the requirement's headcount first."
                    } else {
                        "Choose the opening it fills."
                    },
                );
            }
            return Err(Error::Invalid(e));
        }
    };
    let id: OfferId = sqlx::query_scalar(
        "insert into offers (application_id, opening_id, created_by) values ($1, $2, $3) returning id",
    )
    .bind(application)
    .bind(opening)
    .bind(who.user)
    .fetch_one(&mut *conn)
    .await?;
    insert_version(&mut *conn, id, 1, &terms, who.user).await?;
    write_letter(&mut *conn, id, 1).await?;
    let c = Changes::new()
        .created("version", &1)
        .created("application_id", &application)
        .created("salary", &terms.salary())
        .created("start_date", &terms.start_date)
        .created("expires_on", &terms.expires_on);
    audit::record(
        conn,
        who.actor,
        audit::Action::OfferCreated,
        Entity::Offer,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(id)
}

async fn insert_version(
    conn: &mut PgConnection,
    id: OfferId,
    number: i32,
    t: &Terms,
    by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into offer_versions (offer_id, number, salary_minor, currency, period, bonus, equity,
                sign_on_minor, start_date, expires_on, location, employment_type, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict (offer_id, number) do update set
                salary_minor = excluded.salary_minor, currency = excluded.currency,
                period = excluded.period, bonus = excluded.bonus, equity = excluded.equity,
                sign_on_minor = excluded.sign_on_minor, start_date = excluded.start_date,
                expires_on = excluded.expires_on, location = excluded.location,
                employment_type = excluded.employment_type, notes = excluded.notes",
    )
    .bind(id)
    .bind(number)
    .bind(t.salary_minor)
    .bind(&t.currency)
    .bind(&t.period)
    .bind(&t.bonus)
    .bind(&t.equity)
    .bind(t.sign_on_minor)
    .bind(t.start_date)
    .bind(t.expires_on)
    .bind(&t.location)
    .bind(&t.employment_type)
    .bind(&t.notes)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The letter of version `number`, merged from the company's template and
/// kept with the version (as Markdown and as a PDF).
async fn write_letter(conn: &mut PgConnection, id: OfferId, number: i32) -> Result<(), Error> {
    let o = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let template = super::letter_template::read(&mut *conn).await?.body;
    let company = careers::company(&mut *conn).await?.company_name;
    let merged = letter::merge(&template, &values(&o, &company));
    let pdf = letter::pdf(&merged, &o.heading()).map_err(|e| Error::Internal(Box::new(e)))?;
    sqlx::query("update offer_versions set letter = $3, letter_pdf = $4 where offer_id = $1 and number = $2")
        .bind(id)
        .bind(number)
        .bind(&merged)
        .bind(&pdf)
        .execute(conn)
        .await?;
    Ok(())
}

/// The merge fields' values for `o`'s current terms.
fn values(o: &Offer, company: &str) -> letter::Values {
    let t = &o.terms;
    let date = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    let mut v = letter::Values::new();
    v.set("candidate_name", &o.candidate_name)
        .set(
            "candidate_first_name",
            o.candidate_name
                .split_whitespace()
                .next()
                .unwrap_or_default(),
        )
        .set("job_title", &o.title)
        .set("requirement_reference", &o.reference)
        .set("department", &o.department_name)
        .set("location", &t.location)
        .set("employment_type", t.employment())
        .set("salary", t.salary())
        .set("bonus", &t.bonus)
        .set("equity", &t.equity)
        .set("sign_on", t.sign_on())
        .set("start_date", date(t.start_date))
        .set("expiry_date", date(t.expires_on))
        .set("company_name", company)
        .set("hiring_manager_name", &o.hiring_manager_name)
        .set(
            "recruiter_name",
            o.recruiter_name.as_deref().unwrap_or_default(),
        )
        .set("today", date(chrono::Utc::now().date_naive()));
    v
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// The draft's terms, changed in place.
    Draft,
    /// A new version, gone for approval again.
    NewVersion(i32),
    Unchanged,
}

/// Changes the terms. A draft changes in place; an offer that went for
/// approval (pending, approved or sent) gets a new version: the approval
/// of the old one is called off and no longer counts, the new one goes
/// for approval, and the candidate's link to the old one dies.
pub async fn change(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: OfferId,
    form: &TermsForm,
    today: NaiveDate,
) -> Result<Changed, Error> {
    let o = current(&mut *conn, who, id, form.version).await?;
    if !o.status.is_live() {
        return Err(not_while(&o, "changed"));
    }
    let terms = form.parse(today)?;
    if terms == o.terms {
        return Ok(Changed::Unchanged);
    }
    let number = if o.status == Status::Draft {
        o.terms_version
    } else {
        approval::cancel(&mut *conn, who.actor, o.subject()).await?;
        o.terms_version + 1
    };
    insert_version(&mut *conn, id, number, &terms, who.user).await?;
    sqlx::query(
        "update offers set terms_version = $2, status = 'draft', version = version + 1, updated_at = now()
          where id = $1",
    )
    .bind(id)
    .bind(number)
    .execute(&mut *conn)
    .await?;
    write_letter(&mut *conn, id, number).await?;
    let mut c = Changes::new()
        .field("version", &o.version, &(o.version + 1))
        .field("terms_version", &o.terms_version, &number);
    for f in terms.changes_since(&o.terms) {
        c = c.field(f.label, &f.before, &f.after);
    }
    audit::record(
        &mut *conn,
        who.actor,
        audit::Action::OfferChanged,
        Entity::Offer,
        Some(id.uuid()),
        c,
    )
    .await?;
    if o.status == Status::Draft {
        notify::changed(conn, o.subject()).await?;
        return Ok(Changed::Draft);
    }
    submit(conn, who, mail, id, o.version + 1).await?;
    Ok(Changed::NewVersion(number))
}

/// Sends a draft for approval through the offer workflows.
pub async fn submit(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: OfferId,
    version: i32,
) -> Result<(), Error> {
    let o = current(&mut *conn, who, id, version).await?;
    if o.status != Status::Draft {
        return Err(not_while(&o, "submitted"));
    }
    set_status(
        &mut *conn,
        who.actor,
        &o,
        Status::PendingApproval,
        audit::Action::OfferSubmitted,
        "",
    )
    .await?;
    let what = "went for approval";
    tell(
        &mut *conn,
        mail,
        &o,
        Event::OfferPendingApproval,
        what,
        Some(who.user),
    )
    .await?;
    approval::submit(
        conn,
        who.actor,
        mail,
        &approval_subject::Offers,
        id.uuid(),
        None,
    )
    .await
}

/// Moves the offer to `to` (a new version of the row), with its audit row.
pub(super) async fn set_status(
    conn: &mut PgConnection,
    actor: &Actor,
    o: &Offer,
    to: Status,
    action: audit::Action,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update offers set status = $2, version = version + 1, updated_at = now() where id = $1",
    )
    .bind(o.id)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    let c = Changes::new()
        .field("status", &o.status.as_str(), &to.as_str())
        .field("version", &o.version, &(o.version + 1));
    let c = if reason.is_empty() {
        c
    } else {
        c.created("reason", &reason)
    };
    audit::record(conn, actor, action, Entity::Offer, Some(o.id.uuid()), c).await
}

/// Tells the offer's people (its drafter, the requirement's hiring manager
/// and recruiter), but not `actor`, that it `what`.
pub(super) async fn tell(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    o: &Offer,
    event: Event,
    what: &str,
    actor: Option<Uuid>,
) -> Result<(), Error> {
    let mut people = vec![o.created_by, o.hiring_manager_id];
    people.extend(o.recruiter_id);
    people.sort();
    people.dedup();
    people.retain(|p| Some(*p) != actor);
    let text = format!("{} for {} {what}", o.heading(), o.reference);
    let notice = Notice {
        event,
        subject_type: "offer",
        subject_id: o.id.uuid(),
        text,
        link: o.path(),
        actor,
    };
    notify::tell(&mut *conn, mail, &notice, &people).await?;
    notify::changed(conn, o.subject()).await?;
    Ok(())
}

/// Sends an approved offer: the candidate is mailed a link to its current
/// version, working until the offer expires.
pub async fn send(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: OfferId,
    version: i32,
    today: NaiveDate,
) -> Result<(), Error> {
    let o = current(&mut *conn, who, id, version).await?;
    if o.status != Status::Approved {
        return Err(not_while(&o, "sent"));
    }
    if o.terms.expires_on < today {
        return Err(Error::refused(
            "Its expiry date has passed: change it (a new version, approved again) before sending.",
        ));
    }
    set_status(
        &mut *conn,
        who.actor,
        &o,
        Status::Sent,
        audit::Action::OfferSent,
        "",
    )
    .await?;
    sqlx::query("update offers set sent_at = now() where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    super::answer::mail_link(&mut *conn, mail, &o, false).await?;
    tell(
        conn,
        mail,
        &o,
        Event::OfferSent,
        "was sent to the candidate",
        Some(who.user),
    )
    .await
}

/// Withdraws a live offer: its approval is called off and its links die;
/// its opening stays free for another offer.
pub async fn withdraw(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: OfferId,
    version: i32,
    reason: &str,
) -> Result<(), Error> {
    let o = current(&mut *conn, who, id, version).await?;
    if !o.status.is_live() {
        return Err(not_while(&o, "withdrawn"));
    }
    let mut e = crate::domain::kernel::FieldErrors::default();
    let reason =
        crate::domain::kernel::optional_text(&mut e, "reason", reason, super::answer::REASON_MAX);
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let reason = reason.as_str();
    approval::cancel(&mut *conn, who.actor, o.subject()).await?;
    set_status(
        &mut *conn,
        who.actor,
        &o,
        Status::Withdrawn,
        audit::Action::OfferWithdrawn,
        reason,
    )
    .await?;
    if o.status == Status::Sent {
        let to = super::answer::addressee(&mut *conn, &o).await?;
        if let Some(to) = to {
            let company = careers::company(&mut *conn).await?.company_name;
            outbox::queue(
                &mut *conn,
                &mail.offer_withdrawn(&to, &o.candidate_name, &o.title, &company)?,
            )
            .await?;
        }
    }
    notify::changed(conn, o.subject()).await?;
    Ok(())
}
