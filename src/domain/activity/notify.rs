//! The events people are told about (DOMAIN.md, "Notifications"), in one
//! place: who may silence which, how each is delivered by default, and the
//! rows that make the bell, the list and the live updates.
//!
//! A notification is written in the transaction of the change it is about,
//! with a nudge (see `crate::nudge`) that tells the live streams once it has
//! committed: the rows are the truth, so a browser that was offline loses
//! nothing.

use crate::domain::Error;
use crate::domain::approval::subject::SubjectRef;
use crate::domain::kernel::After;
use crate::domain::messaging::Letters;
use crate::domain::messaging::outbox;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The PostgreSQL channel live updates travel on.
pub const CHANNEL: &str = "hh_events";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    RequirementCreated,
    RequirementSubmitted,
    ApprovalPending,
    /// One approver approved; the approval goes on.
    ApprovalStepApproved,
    ApprovalApproved,
    ApprovalRejected,
    ApprovalChangesRequested,
    ApprovalReminder,
    RequirementOpened,
    CandidateAdded,
    ApplicationStageChanged,
    ApplicationRejected,
    Mention,
    /// A candidate asked to see, withdraw or erase their data.
    DataRequested,
    InterviewScheduled,
    InterviewChanged,
    InterviewCancelled,
    FeedbackSubmitted,
    /// A scorecard is late: to its interviewer, and after two business
    /// days to the recruiter.
    FeedbackOverdue,
    OfferPendingApproval,
    OfferApproved,
    OfferSent,
    OfferAccepted,
    OfferDeclined,
    /// Two days before a sent offer expires unanswered.
    OfferExpiring,
    OfferExpired,
    /// Onboarding tasks given to someone, and overdue ones.
    OnboardingTaskDue,
}

/// How a person wants to hear of an event by mail. In the app they always
/// see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Immediately,
    Digest,
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Immediately, Delivery::Digest, Delivery::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Immediately => "immediately",
            Delivery::Digest => "digest",
            Delivery::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediately => "Mail at once",
            Delivery::Digest => "In the daily digest",
            Delivery::Off => "No mail",
        }
    }
}

impl Event {
    pub const ALL: [Event; 27] = [
        Event::ApprovalPending,
        Event::ApprovalReminder,
        Event::ApprovalStepApproved,
        Event::ApprovalApproved,
        Event::ApprovalChangesRequested,
        Event::ApprovalRejected,
        Event::RequirementCreated,
        Event::RequirementSubmitted,
        Event::RequirementOpened,
        Event::CandidateAdded,
        Event::ApplicationStageChanged,
        Event::ApplicationRejected,
        Event::InterviewScheduled,
        Event::InterviewChanged,
        Event::InterviewCancelled,
        Event::FeedbackSubmitted,
        Event::FeedbackOverdue,
        Event::OfferPendingApproval,
        Event::OfferApproved,
        Event::OfferSent,
        Event::OfferAccepted,
        Event::OfferDeclined,
        Event::OfferExpiring,
        Event::OfferExpired,
        Event::OnboardingTaskDue,
        Event::Mention,
        Event::DataRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::RequirementCreated => "requirement.created",
            Event::RequirementSubmitted => "requirement.submitted",
            Event::ApprovalPending => "approval.pending",
            Event::ApprovalStepApproved => "approval.step_approved",
            Event::ApprovalApproved => "approval.approved",
            Event::ApprovalRejected => "approval.rejected",
            Event::ApprovalChangesRequested => "approval.changes_requested",
            Event::ApprovalReminder => "approval.reminder",
            Event::RequirementOpened => "requirement.opened",
            Event::CandidateAdded => "candidate.added",
            Event::ApplicationStageChanged => "application.stage_changed",
            Event::ApplicationRejected => "application.rejected",
            Event::Mention => "mention",
            Event::DataRequested => "privacy.data_requested",
            Event::InterviewScheduled => "interview.scheduled",
            Event::InterviewChanged => "interview.changed",
            Event::InterviewCancelled => "interview.cancelled",
            Event::FeedbackSubmitted => "feedback.submitted",
            Event::FeedbackOverdue => "feedback.overdue",
            Event::OfferPendingApproval => "offer.pending_approval",
            Event::OfferApproved => "offer.approved",
            Event::OfferSent => "offer.sent",
            Event::OfferAccepted => "offer.accepted",
            Event::OfferDeclined => "offer.declined",
            Event::OfferExpiring => "offer.expiring",
            Event::OfferExpired => "offer.expired",
            Event::OnboardingTaskDue => "onboarding.task_due",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// How the preference page names it.
    pub fn label(self) -> &'static str {
        match self {
            Event::RequirementCreated => "A requirement naming me is drafted",
            Event::RequirementSubmitted => "A requirement of mine is submitted",
            Event::ApprovalPending => "An approval waits for me",
            Event::ApprovalStepApproved => {
                "Someone approves a requirement of mine, more approvals to go"
            }
            Event::ApprovalApproved => "A requirement of mine is approved",
            Event::ApprovalRejected => "A requirement of mine is rejected",
            Event::ApprovalChangesRequested => "Changes are asked for on a requirement of mine",
            Event::ApprovalReminder => "An approval is overdue",
            Event::RequirementOpened => "A requirement I recruit for opens",
            Event::CandidateAdded => "A candidate joins a requirement of mine",
            Event::ApplicationStageChanged => "A candidate of mine moves to another stage",
            Event::ApplicationRejected => "A candidate of mine is rejected or withdraws",
            Event::Mention => "Someone mentions me",
            Event::DataRequested => "A candidate asks about their data (admins)",
            Event::InterviewScheduled => "An interview I am on or recruit for is scheduled",
            Event::InterviewChanged => "An interview I am on or recruit for changes",
            Event::InterviewCancelled => "An interview I am on or recruit for is cancelled",
            Event::FeedbackSubmitted => "A scorecard comes in for a candidate of mine",
            Event::FeedbackOverdue => "A scorecard is overdue",
            Event::OfferPendingApproval => "An offer for a requirement of mine goes for approval",
            Event::OfferApproved => "An offer of mine is approved",
            Event::OfferSent => "An offer for a requirement of mine is sent",
            Event::OfferAccepted => "An offer of mine is accepted",
            Event::OfferDeclined => "An offer of mine is declined",
            Event::OfferExpiring => "An offer of mine expires in two days unanswered",
            Event::OfferExpired => "An offer of mine expires unanswered",
            Event::OnboardingTaskDue => "Onboarding tasks are mine, or overdue",
        }
    }

    /// Mail when nobody chose otherwise: what needs the person's action
    /// comes at once; what only informs, in the digest.
    pub fn default_delivery(self) -> Delivery {
        match self {
            Event::RequirementCreated
            | Event::RequirementSubmitted
            | Event::RequirementOpened
            | Event::CandidateAdded
            | Event::ApplicationStageChanged
            | Event::ApplicationRejected
            | Event::ApprovalStepApproved
            | Event::FeedbackSubmitted
            | Event::OfferPendingApproval
            | Event::OfferSent => Delivery::Digest,
            _ => Delivery::Immediately,
        }
    }

    /// Whether mail may be switched off altogether. A waiting approval
    /// or a late scorecard blocks someone else's work, and a candidate's
    /// data request has a legal deadline: at least the digest must say so.
    pub fn may_be_off(self) -> bool {
        !matches!(
            self,
            Event::ApprovalPending | Event::DataRequested | Event::FeedbackOverdue
        )
    }

    /// `wanted` as far as this event allows.
    pub fn allowed(self, wanted: Delivery) -> Delivery {
        if wanted == Delivery::Off && !self.may_be_off() {
            Delivery::Digest
        } else {
            wanted
        }
    }
}

/// What one event tells its recipients.
pub struct Notice {
    pub event: Event,
    pub subject_type: &'static str,
    pub subject_id: Uuid,
    /// One line, e.g. "HH-2026-0042 Platform engineer waits for your approval".
    pub text: String,
    /// Where the item leads, a local path.
    pub link: String,
    pub actor: Option<Uuid>,
}

/// How a notice names a subject (a requirement, an offer, …) and where it
/// leads.
pub struct Named<'a> {
    pub subject: SubjectRef,
    /// "HH-2026-0042".
    pub reference: &'a str,
    pub title: &'a str,
    /// Where the subject is read, a local path.
    pub path: String,
}

impl Notice {
    /// News of a subject: "<reference> <title> <what>", leading to it.
    pub fn about(event: Event, s: &Named<'_>, what: &str, actor: Option<Uuid>) -> Notice {
        Notice {
            event,
            subject_type: s.subject.kind.as_str(),
            subject_id: s.subject.id,
            text: format!("{} {} {what}", s.reference, s.title),
            link: s.path.clone(),
            actor,
        }
    }

    /// News of an approval task of `s`, leading to its decision page.
    pub fn task(
        event: Event,
        s: &Named<'_>,
        task: Uuid,
        what: &str,
        actor: Option<Uuid>,
    ) -> Notice {
        Notice {
            event,
            subject_type: "approval_task",
            subject_id: task,
            text: format!("{} {} {what}", s.reference, s.title),
            link: format!("/approvals/{task}"),
            actor,
        }
    }
}

/// Someone to mail about a notice now.
#[derive(Debug, sqlx::FromRow)]
pub struct Recipient {
    pub email: String,
    pub full_name: String,
}

/// Tells `to` (in the caller's transaction) and returns those of them who
/// want mail about it now; the others get it in the digest, or not at all.
pub async fn notify(
    conn: &mut PgConnection,
    notice: &Notice,
    to: &[Uuid],
) -> Result<Vec<Recipient>, sqlx::Error> {
    if to.is_empty() {
        return Ok(Vec::new());
    }
    // Which choices, and whether no choice, mean mail now for this event.
    let event = notice.event;
    let now = |d: Delivery| event.allowed(d) == Delivery::Immediately;
    let now_if_chosen: Vec<&str> = Delivery::ALL
        .into_iter()
        .filter(|d| now(*d))
        .map(Delivery::as_str)
        .collect();
    // The streams hear of it with a nudge (`crate::nudge`) made in the same
    // statement: sent after commit, dropped on rollback. NOTIFY payloads
    // are limited to 8000 bytes: a line of text and at most 100
    // recipients each.
    let text: String = notice.text.chars().take(200).collect();
    let recipients = sqlx::query_as(
        "with told as (
           insert into notifications (user_id, event, subject_type, subject_id, text, link, actor_id)
           select unnest($1::uuid[]), $2, $3, $4, $5, $6, $7
           returning user_id),
         nudged as (
           insert into nudges (channel, payload)
           select $10, jsonb_build_object('users', jsonb_agg(user_id), 'event', $2::text,
                                          'text', $11::text, 'link', $6::text)::text
             from (select user_id, (row_number() over () - 1) / 100 as chunk from told) t
            group by chunk)
         select u.email, u.full_name
           from told join users u on u.id = told.user_id
           left join notification_preferences p on p.user_id = u.id and p.event = $2
          where coalesce(p.delivery = any($8), $9)",
    )
    .bind(to)
    .bind(event.as_str())
    .bind(notice.subject_type)
    .bind(notice.subject_id)
    .bind(&notice.text)
    .bind(&notice.link)
    .bind(notice.actor)
    .bind(&now_if_chosen)
    .bind(now(event.default_delivery()))
    .bind(CHANNEL)
    .bind(&text)
    .fetch_all(&mut *conn)
    .await?;
    Ok(recipients)
}

/// [`notify`], and the plain notice mail to those who want it now: for
/// events without a mail of their own.
pub async fn tell(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    notice: &Notice,
    to: &[Uuid],
) -> Result<(), Error> {
    for r in notify(&mut *conn, notice, to).await? {
        let items = [(notice.text.clone(), notice.link.clone())];
        outbox::queue(
            &mut *conn,
            &mail.notices(&r.email, &r.full_name, &items, false)?,
        )
        .await?;
    }
    Ok(())
}

/// The local hour at which people get their daily digest.
pub const DIGEST_HOUR: i32 = 7;

/// The daily digest: to each person whose local time is [`DIGEST_HOUR`] at
/// `now`, one mail listing the unread notifications they chose to get that
/// way and have not had yet. Each row is claimed (marked digested) by the
/// statement that reads it, so processes running this at once never list a
/// row twice. Returns the mails queued.
pub async fn send_digests(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    // Which (user, event) pairs go to the digest: the chosen ones, and the
    // events whose default is the digest where nothing was chosen.
    let digest_defaults: Vec<&str> = Event::ALL
        .into_iter()
        .filter(|e| e.default_delivery() == Delivery::Digest)
        .map(Event::as_str)
        .collect();
    #[derive(sqlx::FromRow)]
    struct Item {
        user_id: Uuid,
        email: String,
        full_name: String,
        text: String,
        link: String,
    }
    let rows: Vec<Item> = sqlx::query_as(
        "with claimed as (
           update notifications n set digested_at = now()
             from users u
            where u.id = n.user_id and u.deactivated_at is null
              and extract(hour from $2::timestamptz at time zone u.time_zone) = $3
              and n.digested_at is null and n.read_at is null
              and coalesce((select p.delivery from notification_preferences p
                             where p.user_id = n.user_id and p.event = n.event),
                           case when n.event = any($1) then 'digest' end) = 'digest'
           returning n.user_id, u.email, u.full_name, n.text, n.link, n.created_at)
         select user_id, email, full_name, text, link from claimed order by user_id, created_at",
    )
    .bind(&digest_defaults)
    .bind(now)
    .bind(DIGEST_HOUR)
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for person in rows.chunk_by(|a, b| a.user_id == b.user_id) {
        let items: Vec<(String, String)> = person
            .iter()
            .map(|i| (i.text.clone(), i.link.clone()))
            .collect();
        let (email, name) = (&person[0].email, &person[0].full_name);
        outbox::queue(&mut *conn, &mail.notices(email, name, &items, true)?).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Tells the streams that `subject` changed (a decision, an edit, a
/// transition), after commit: pages showing it re-read themselves. Only its
/// kind and id travel, and whether it is confidential as of this change
/// (as the `approval_subjects` view says, for any kind): then only those who
/// may see it hear of it (`crate::live`). What a page re-reads is checked
/// like any request.
pub async fn changed(conn: &mut PgConnection, subject: SubjectRef) -> Result<(), sqlx::Error> {
    // A nudge (`crate::nudge`), its payload made where it is stored: one
    // statement on every change.
    sqlx::query(
        "insert into nudges (channel, payload)
         select $3, jsonb_build_object(
                  'subject', jsonb_build_object('kind', $1::text, 'id', $2::uuid),
                  'confidential', coalesce((select confidential from approval_subjects
                                             where kind = $1 and id = $2), true))::text",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .bind(CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every event with the user's choice, for the preferences form.
pub async fn preferences(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<(Event, Delivery)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Chosen {
        event: String,
        delivery: String,
    }
    let rows: Vec<Chosen> =
        sqlx::query_as("select event, delivery from notification_preferences where user_id = $1")
            .bind(user)
            .fetch_all(conn)
            .await?;
    Ok(Event::ALL
        .into_iter()
        .map(|e| {
            let chosen = rows
                .iter()
                .find(|c| c.event == e.as_str())
                .and_then(|c| Delivery::parse(&c.delivery));
            (e, e.allowed(chosen.unwrap_or(e.default_delivery())))
        })
        .collect())
}

pub async fn set_preference(
    conn: &mut PgConnection,
    user: Uuid,
    event: Event,
    wanted: Delivery,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification_preferences (user_id, event, delivery) values ($1, $2, $3)
         on conflict (user_id, event) do update set delivery = excluded.delivery",
    )
    .bind(user)
    .bind(event.as_str())
    .bind(event.allowed(wanted).as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// One notification as the list shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct Item {
    pub id: Uuid,
    pub text: String,
    pub link: String,
    pub actor_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

pub const PAGE_SIZE: i64 = 30;

/// The user's notifications, newest first (unread only if asked), one page
/// plus a row to tell whether more exist; `after` is the last row of the
/// previous page.
pub async fn list(
    conn: &mut PgConnection,
    user: Uuid,
    unread_only: bool,
    after: Option<After>,
) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as(
        "select n.id, n.text, n.link, a.full_name as actor_name, n.created_at, n.read_at
           from notifications n left join users a on a.id = n.actor_id
          where n.user_id = $1 and (not $2 or n.read_at is null)
            and (n.created_at, n.id) < (coalesce($3, 'infinity'),
                                        coalesce($4, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
          order by n.created_at desc, n.id desc limit $5",
    )
    .bind(user)
    .bind(unread_only)
    .bind(after.map(|a| a.at))
    .bind(after.map(|a| a.id))
    .bind(PAGE_SIZE + 1)
    .fetch_all(conn)
    .await
}

pub async fn unread_count(conn: &mut PgConnection, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from notifications where user_id = $1 and read_at is null")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// Marks one (`Some(id)`) or all of the user's notifications read; returns
/// the link of the one, to go on to. Another user's id marks nothing.
pub async fn mark_read(
    conn: &mut PgConnection,
    user: Uuid,
    id: Option<Uuid>,
) -> Result<Option<String>, sqlx::Error> {
    let links: Vec<String> = sqlx::query_scalar(
        "update notifications set read_at = coalesce(read_at, now())
          where user_id = $1 and ($2::uuid is null or id = $2) and (read_at is null or $2 is not null)
          returning link",
    )
    .bind(user)
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(id.and(links.into_iter().next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_approval_cannot_be_silenced_entirely() {
        assert_eq!(
            Event::ApprovalPending.allowed(Delivery::Off),
            Delivery::Digest
        );
        assert_eq!(Event::Mention.allowed(Delivery::Off), Delivery::Off);
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
    }
}
