//! Offers (DOMAIN.md, "Offers and onboarding"): an application's offer in
//! the offer stage, its versions of terms each with its letter, its
//! approval through the engine ([`approval_subject`]), the candidate's
//! answer ([`answer`]), the headcount it fills, and the hire's onboarding
//! ([`onboarding`]).

pub mod answer;
pub mod approval_subject;
pub mod commands;
pub mod history;
pub mod letter;
pub mod letter_template;
pub mod onboarding;
pub mod terms;

use crate::domain::access::{Permission, Role, allows};
use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use crate::domain::id::Id;
use crate::domain::recruiting::application::ApplicationId;
use crate::domain::recruiting::candidate::CandidateId;
use crate::domain::requisition::opening::OpeningId;
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use terms::Terms;
use uuid::Uuid;

pub type OfferId = Id<Offer>;

/// Where an offer stands. Accepted, declined, expired and withdrawn are
/// ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    PendingApproval,
    Approved,
    Sent,
    Accepted,
    Declined,
    Expired,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::PendingApproval,
        Status::Approved,
        Status::Sent,
        Status::Accepted,
        Status::Declined,
        Status::Expired,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingApproval => "pending_approval",
            Status::Approved => "approved",
            Status::Sent => "sent",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
            Status::Expired => "expired",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::PendingApproval => "Pending approval",
            Status::Approved => "Approved",
            Status::Sent => "Sent",
            Status::Accepted => "Accepted",
            Status::Declined => "Declined",
            Status::Expired => "Expired",
            Status::Withdrawn => "Withdrawn",
        }
    }

    /// Still going somewhere: its terms may change and it may be withdrawn.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::PendingApproval | Status::Approved | Status::Sent
        )
    }
}

crate::text_enum!(Status);

/// An offer with its current terms and what pages and rules read of its
/// application and requirement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Offer {
    pub id: OfferId,
    pub application_id: ApplicationId,
    pub candidate_id: CandidateId,
    pub candidate_name: String,
    pub requirement_id: RequirementId,
    pub reference: String,
    pub title: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub level_rank: i32,
    pub band_min: i64,
    pub band_max: i64,
    pub band_currency: String,
    pub confidential: bool,
    pub hiring_manager_id: Uuid,
    pub hiring_manager_name: String,
    pub recruiter_id: Option<Uuid>,
    pub recruiter_name: Option<String>,
    pub requested_by: Uuid,
    pub opening_id: OpeningId,
    pub opening_number: i64,
    pub status: Status,
    pub terms_version: i32,
    pub version: i32,
    pub created_by: Uuid,
    pub created_by_name: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub signed_name: Option<String>,
    pub answer_reason: Option<String>,
    pub answer_ip: Option<String>,
    pub answer_agent: Option<String>,
    pub answer_recorded_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub terms: Terms,
}

macro_rules! offer_select {
    () => {
        "select o.id, o.application_id, a.candidate_id, c.full_name as candidate_name, a.requirement_id,
                r.reference, r.title, r.department_id, d.name as department_name, l.rank as level_rank,
                l.salary_min as band_min, l.salary_max as band_max, l.currency::text as band_currency,
                r.confidential, r.hiring_manager_id, hm.full_name as hiring_manager_name, r.recruiter_id,
                rc.full_name as recruiter_name, r.created_by as requested_by, o.opening_id,
                (select count(*) from openings p where p.requirement_id = op.requirement_id
                    and (p.created_at, p.id) <= (op.created_at, op.id)) as opening_number,
                o.status, o.terms_version, o.version, o.created_by, cb.full_name as created_by_name,
                o.sent_at, o.answered_at, o.signed_name, o.answer_reason, host(o.answer_ip) as answer_ip,
                o.answer_agent, rb.full_name as answer_recorded_by_name, o.created_at, o.updated_at,
                v.salary_minor, v.currency::text as currency, v.period, v.bonus, v.equity, v.sign_on_minor,
                v.start_date, v.expires_on, v.location, v.employment_type, v.notes
           from offers o
           join offer_versions v on v.offer_id = o.id and v.number = o.terms_version
           join applications a on a.id = o.application_id
           join candidates c on c.id = a.candidate_id
           join requirements r on r.id = a.requirement_id
           join departments d on d.id = r.department_id
           join job_levels l on l.id = r.job_level_id
           join users hm on hm.id = r.hiring_manager_id
           left join users rc on rc.id = r.recruiter_id
           join users cb on cb.id = o.created_by
           join openings op on op.id = o.opening_id
           left join users rb on rb.id = o.answer_recorded_by "
    };
}

impl Offer {
    /// Offer `id` as a subject (of approvals, comments, history).
    pub fn subject(&self) -> SubjectRef {
        subject(self.id)
    }

    pub fn path(&self) -> String {
        format!("/offers/{}", self.id)
    }

    /// Who works on it and so never decides on it: who drafted it and the
    /// requirement's recruiter.
    pub fn own_people(&self) -> Vec<Uuid> {
        let mut people = vec![self.created_by];
        people.extend(self.recruiter_id.filter(|r| *r != self.created_by));
        people
    }

    /// Whether `user` may read it: recruiters and admins who see its
    /// requirement (a confidential one only its people and admins), and
    /// the requirement's hiring manager and requester.
    pub fn visible_to(&self, user: Uuid, roles: &[Role]) -> bool {
        let named = [self.hiring_manager_id, self.requested_by, self.created_by].contains(&user)
            || self.recruiter_id == Some(user);
        let admin = allows(roles, Permission::AdministerRequirements);
        named || admin || (allows(roles, Permission::ManageOffers) && !self.confidential)
    }

    /// Whether `user` may draft, change, send or withdraw it.
    pub fn managed_by(&self, user: Uuid, roles: &[Role]) -> bool {
        allows(roles, Permission::ManageOffers) && self.visible_to(user, roles)
    }

    /// True when the yearly salary is above the level's band (in the
    /// band's currency; another currency is not compared).
    pub fn above_band(&self) -> bool {
        self.terms.currency == self.band_currency && self.terms.yearly() > self.band_max
    }

    /// "Offer 2 of HH-2026-0042" style heading words.
    pub fn heading(&self) -> String {
        format!("Offer to {} for {}", self.candidate_name, self.title)
    }
}

/// Offer `id` as a subject.
pub fn subject(id: OfferId) -> SubjectRef {
    SubjectRef::new(SubjectKind::Offer, id.uuid())
}

pub async fn find(conn: &mut PgConnection, id: OfferId) -> Result<Option<Offer>, sqlx::Error> {
    sqlx::query_as(concat!(offer_select!(), "where o.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The offers of the candidate's applications, newest first (the caller
/// keeps those the viewer may see).
pub async fn of_candidate(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<Vec<Offer>, sqlx::Error> {
    sqlx::query_as(concat!(
        offer_select!(),
        "where a.candidate_id = $1 order by o.created_at desc"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await
}

/// One version of an offer's terms, as the offer page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub number: i32,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub terms: Terms,
}

/// The offer's versions, newest first.
pub async fn versions(conn: &mut PgConnection, id: OfferId) -> Result<Vec<Version>, sqlx::Error> {
    sqlx::query_as(
        "select v.number, u.full_name as created_by_name, v.created_at, v.salary_minor,
                v.currency::text as currency, v.period, v.bonus, v.equity, v.sign_on_minor,
                v.start_date, v.expires_on, v.location, v.employment_type, v.notes
           from offer_versions v join users u on u.id = v.created_by
          where v.offer_id = $1 order by v.number desc",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// A version's letter: its Markdown and its PDF.
pub async fn letter(
    conn: &mut PgConnection,
    id: OfferId,
    number: i32,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "select letter, coalesce(letter_pdf, '') from offer_versions where offer_id = $1 and number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// The headcount of a requirement as its page shows it: openings open,
/// filled and closed, offers out (sent, not yet answered), and hires
/// (applications in the hired stage). Read in one statement, so the
/// numbers agree.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Headcount {
    pub headcount: i32,
    pub open: i64,
    pub filled: i64,
    pub closed: i64,
    pub offers_out: i64,
    pub hires: i64,
}

pub async fn headcount(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Headcount, sqlx::Error> {
    sqlx::query_as(
        "select r.headcount,
                (select count(*) from openings o where o.requirement_id = r.id and o.status = 'open') as open,
                (select count(*) from openings o where o.requirement_id = r.id and o.status = 'filled') as filled,
                (select count(*) from openings o where o.requirement_id = r.id and o.status = 'closed') as closed,
                (select count(*) from offers f join openings o on o.id = f.opening_id
                  where o.requirement_id = r.id and f.status = 'sent') as offers_out,
                (select count(*) from applications a join pipeline_stages s on s.id = a.stage_id
                  where a.requirement_id = r.id and s.kind = 'hired') as hires
           from requirements r where r.id = $1",
    )
    .bind(requirement)
    .fetch_one(conn)
    .await
}

/// The requirement's openings an offer may name: open ones, numbered.
pub async fn open_openings(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<(OpeningId, i64)>, sqlx::Error> {
    Ok(crate::domain::requisition::opening::of(conn, requirement)
        .await?
        .into_iter()
        .filter(|o| o.is_open())
        .map(|o| (o.id, o.number))
        .collect())
}

/// Of `users`, those who may see the offer: by [`Offer::visible_to`], or as
/// one of its approvers.
pub async fn seen_by(
    conn: &mut PgConnection,
    id: OfferId,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let Some(o) = find(&mut *conn, id).await? else {
        return Ok(Vec::new());
    };
    crate::domain::approval::subject::seen_by(conn, subject(id), users, |user, roles| {
        o.visible_to(user, roles)
    })
    .await
}
