//! What candidates ask of their data, by links mailed to them: renewing
//! their consent before it lapses, and the "your data" pages (see what is
//! held, download it, withdraw consent, ask for erasure). Each request is
//! logged with its answer deadline and the admins are told. Also the daily
//! run that asks for renewals and anonymises whoever is past their date.

use super::super::candidate::CandidateId;
use super::super::files::Store;
use super::anonymise::{self, Why};
use super::settings;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::messaging::{Letters, outbox};
use crate::tokens::{random_token, token_digest};
use chrono::{DateTime, Months, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

/// What a mailed link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Purpose {
    ConsentRenewal,
    DataAccess,
}

/// How long a "your data" link works.
pub const ACCESS_HOURS: i64 = 24;

async fn issue(
    conn: &mut PgConnection,
    key: &[u8],
    candidate: CandidateId,
    purpose: Purpose,
    expires_at: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let token = random_token(32);
    sqlx::query(
        "insert into candidate_tokens (candidate_id, purpose, digest, expires_at) values ($1, $2, $3, $4)",
    )
    .bind(candidate)
    .bind(purpose)
    .bind(token_digest(key, &token))
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(token)
}

/// Whose link `token` is, while it works (never for one anonymised since).
pub async fn holder(
    conn: &mut PgConnection,
    key: &[u8],
    token: &str,
    purpose: Purpose,
) -> Result<Option<CandidateId>, sqlx::Error> {
    sqlx::query_scalar(
        "select t.candidate_id from candidate_tokens t join candidates c on c.id = t.candidate_id
          where t.digest = $1 and t.purpose = $2 and t.expires_at > now() and c.anonymised_at is null",
    )
    .bind(token_digest(key, token))
    .bind(purpose)
    .fetch_optional(conn)
    .await
}

/// The candidate's first address and name, for mail.
async fn addressee(
    conn: &mut PgConnection,
    id: CandidateId,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select e.email, c.full_name from candidates c
           join candidate_emails e on e.candidate_id = c.id
          where c.id = $1 order by e.position, e.email limit 1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Asks those whose consent lapses within the renewal window to renew it,
/// once per lapse (the claim is a row update, so processes running this at
/// once ask each person once). Returns how many were asked.
pub async fn ask_renewals(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    company: &str,
) -> Result<usize, Error> {
    let window = settings(&mut *conn).await?.renewal_days;
    let due: Vec<(CandidateId, NaiveDate)> = sqlx::query_as(
        "update candidates c set consent_asked_at = now()
          where c.id in (select id from candidates
                          where consent_until between current_date and current_date + $1
                            and consent_asked_at is null and anonymised_at is null
                            and merged_into is null and deleted_at is null
                          for update skip locked)
          returning c.id, c.consent_until",
    )
    .bind(window)
    .fetch_all(&mut *conn)
    .await?;
    let mut asked = 0;
    for (id, until) in due {
        let Some((to, name)) = addressee(&mut *conn, id).await? else {
            continue;
        };
        let expires = until
            .succ_opt()
            .unwrap_or(until)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let token = issue(
            &mut *conn,
            mail.token_key(),
            id,
            Purpose::ConsentRenewal,
            expires,
        )
        .await?;
        outbox::queue(
            &mut *conn,
            &mail.consent_renewal(&to, &name, company, until, &token)?,
        )
        .await?;
        asked += 1;
    }
    Ok(asked)
}

/// Renews the consent of the link's holder for the settings' period from
/// today; the link is spent. Returns the new end.
pub async fn renew(
    conn: &mut PgConnection,
    actor: &Actor,
    key: &[u8],
    token: &str,
) -> Result<NaiveDate, Error> {
    let id = holder(&mut *conn, key, token, Purpose::ConsentRenewal)
        .await?
        .ok_or(Error::NotFound)?;
    let months = settings(&mut *conn).await?.future_roles_months;
    let before: Option<NaiveDate> =
        sqlx::query_scalar("select consent_until from candidates where id = $1 for update")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let until = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(months.unsigned_abs()))
        .unwrap_or(NaiveDate::MAX);
    sqlx::query(
        "update candidates set consent_until = $2, consent_given_at = now(), consent_asked_at = null,
                version = version + 1, updated_at = now()
          where id = $1",
    )
    .bind(id)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "delete from candidate_tokens where candidate_id = $1 and purpose = 'consent_renewal'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        audit::Action::CandidateConsentRenewed,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new().field("consent_until", &before, &Some(until)),
    )
    .await?;
    Ok(until)
}

/// Mails `email` a link to what is held about it, or word that nothing is.
/// The page that asks says the same either way, so it tells nobody whether
/// an address is known.
pub async fn send_access_link(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    email: &str,
    company: &str,
) -> Result<(), Error> {
    let found: Option<(CandidateId, String)> = sqlx::query_as(
        "select c.id, c.full_name from candidate_emails e join candidates c on c.id = e.candidate_id
          where lower(e.email) = lower($1) and c.anonymised_at is null and c.merged_into is null
            and c.deleted_at is null
          limit 1",
    )
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    let letter = match found {
        Some((id, name)) => {
            let expires = Utc::now() + chrono::Duration::hours(ACCESS_HOURS);
            let token = issue(
                &mut *conn,
                mail.token_key(),
                id,
                Purpose::DataAccess,
                expires,
            )
            .await?;
            mail.your_data(email, company, Some((&name, &token)))?
        }
        None => mail.your_data(email, company, None)?,
    };
    outbox::queue(conn, &letter).await?;
    Ok(())
}

/// What a candidate asked of their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// To see what is held (answered by the page itself).
    Access,
    /// To withdraw consent to be kept for future roles (done at once).
    Withdrawal,
    /// To be erased: an admin answers, within the month.
    Erasure,
}

impl Ask {
    pub fn label(self) -> &'static str {
        match self {
            Ask::Access => "to see their data",
            Ask::Withdrawal => "to withdraw their consent",
            Ask::Erasure => "to be erased",
        }
    }
}

/// Logs the request (answered at once, or waiting with its deadline a
/// month on) and tells the admins. An erasure asked for twice is one
/// request; one answered at once (a look, a withdrawal) is logged once a
/// day, however often the page is opened.
async fn log(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    actor: &Actor,
    id: CandidateId,
    ask: Ask,
    answered: bool,
) -> Result<(), Error> {
    let due: Option<NaiveDate> = sqlx::query_scalar(
        "insert into data_requests (candidate_id, kind, due_on, answered_at)
         select $1, $2, (current_date + interval '1 month')::date, case when $3 then now() end
          where not exists (select from data_requests
                             where candidate_id = $1 and kind = $2
                               and (answered_at is null
                                    or ($3 and requested_at > now() - interval '1 day')))
         returning due_on",
    )
    .bind(id)
    .bind(ask)
    .bind(answered)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(due) = due else {
        return Ok(());
    };
    audit::record(
        &mut *conn,
        actor,
        audit::Action::CandidateDataRequested,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new().created("kind", &ask).created("due_on", &due),
    )
    .await?;
    let admins: Vec<uuid::Uuid> = sqlx::query_scalar(
        "select id from users where deactivated_at is null and roles && array['admin', 'super_admin']",
    )
    .fetch_all(&mut *conn)
    .await?;
    let text = if answered {
        format!("A candidate asked {} (done)", ask.label())
    } else {
        format!(
            "A candidate asked {}: answer by {}",
            ask.label(),
            due.format("%-d %B %Y")
        )
    };
    let notice = Notice {
        event: Event::DataRequested,
        subject_type: "candidate",
        subject_id: id.uuid(),
        text,
        link: format!("/candidates/{id}#privacy"),
        actor: None,
    };
    notify::tell(conn, mail, &notice, &admins).await
}

/// The holder of a "your data" link looked at it.
pub async fn accessed(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    actor: &Actor,
    id: CandidateId,
) -> Result<(), Error> {
    log(conn, mail, actor, id, Ask::Access, true).await
}

/// Withdraws the candidate's consent to be kept for future roles: their
/// data is then kept only for the retention period after their last
/// application closed.
pub async fn withdraw(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    actor: &Actor,
    id: CandidateId,
) -> Result<(), Error> {
    let before: Option<NaiveDate> =
        sqlx::query_scalar("select consent_until from candidates where id = $1 for update")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "update candidates set consent_until = null, consent_asked_at = null,
                version = version + 1, updated_at = now()
          where id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    audit::record(
        &mut *conn,
        actor,
        audit::Action::CandidateConsentWithdrawn,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new().field("consent_until", &before, &None),
    )
    .await?;
    log(conn, mail, actor, id, Ask::Withdrawal, true).await
}

/// Asks for erasure: an admin answers it by erasing them.
pub async fn ask_erasure(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    actor: &Actor,
    id: CandidateId,
) -> Result<(), Error> {
    log(conn, mail, actor, id, Ask::Erasure, false).await
}

/// A request still waiting for its answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Waiting {
    pub candidate_id: CandidateId,
    pub candidate_name: String,
    pub kind: Ask,
    pub requested_at: DateTime<Utc>,
    pub due_on: NaiveDate,
}

/// The requests waiting for an answer, the most urgent first; of one
/// candidate, or (None) of all.
pub async fn waiting(
    conn: &mut PgConnection,
    candidate: Option<CandidateId>,
) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "select r.candidate_id, c.full_name as candidate_name, r.kind, r.requested_at, r.due_on
           from data_requests r join candidates c on c.id = r.candidate_id
          where r.answered_at is null and ($1::uuid is null or r.candidate_id = $1)
          order by r.due_on, r.requested_at",
    )
    .bind(candidate)
    .fetch_all(conn)
    .await
}

/// Erases the candidate at once (an admin, on request): anonymised, and
/// their waiting requests answered. Call
/// [`anonymise::forget_files`] once this commits.
pub async fn erase(conn: &mut PgConnection, actor: &Actor, id: CandidateId) -> Result<(), Error> {
    anonymise::anonymise(&mut *conn, actor, id, Why::Erased).await?;
    sqlx::query(
        "update data_requests set answered_at = now(), answered_by = $2
          where candidate_id = $1 and answered_at is null",
    )
    .bind(id)
    .bind(actor.user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The daily run: once a day however many processes tick (the first to
/// claim the day runs it), asks for renewals, anonymises whoever is past
/// their date (each in a transaction of their own), deletes the files that
/// frees and the links that expired. Returns how many were anonymised.
pub async fn daily(pool: &PgPool, mail: &dyn Letters, store: &dyn Store) -> Result<usize, Error> {
    let claimed =
        sqlx::query("insert into privacy_runs (day) values (current_date) on conflict do nothing")
            .execute(pool)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let company = super::super::careers::company(&mut tx).await?.company_name;
    ask_renewals(&mut tx, mail, &company).await?;
    tx.commit().await?;
    let past = past_date(&mut *pool.acquire().await?).await?;
    for id in &past {
        let mut tx = pool.begin().await?;
        anonymise::anonymise(&mut tx, &Actor::system(), *id, Why::Expired).await?;
        tx.commit().await?;
    }
    let mut conn = pool.acquire().await?;
    anonymise::forget_files(&mut conn, store).await?;
    sqlx::query("delete from candidate_tokens where expires_at < now()")
        .execute(&mut *conn)
        .await?;
    Ok(past.len())
}

/// Whoever is past their date: no hold, no open application, and both
/// their consent and the retention period after their last application
/// closed behind them (the same rule as [`super::basis`]).
pub async fn past_date(conn: &mut PgConnection) -> Result<Vec<CandidateId>, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "select id from (select c.id, p.retention_months, ",
        super::keeping_columns!(),
        " from candidates c cross join privacy_settings p
           where c.anonymised_at is null and c.legal_hold is null and c.merged_into is null) k
          where not applying
            and (consent_until is null or consent_until < current_date)
            and (closed_on + make_interval(months => retention_months))::date < current_date"
    ))
    .fetch_all(conn)
    .await
}
