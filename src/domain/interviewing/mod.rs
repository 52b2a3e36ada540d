//! Interviews and feedback (DOMAIN.md, "Interviews and feedback"): the
//! interview plan's rounds, interviews of an application with their panel,
//! conflicts, the invitations and feeds in iCalendar, scorecards (blind
//! until one's own is in) and the reminders for missing ones.

pub mod calendar;
pub mod feed;
pub mod plan;
pub mod reminders;
pub mod schedule;
pub mod scorecard;

use crate::domain::access::{Permission, Role, allows};
use crate::domain::id::Id;
use crate::domain::recruiting::application::ApplicationId;
use crate::domain::recruiting::candidate::CandidateId;
use crate::domain::requisition::requirement::RequirementId;
use calendar::Response;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub type InterviewId = Id<Interview>;

/// How an interview is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Phone,
    Video,
    Onsite,
    Technical,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Phone, Kind::Video, Kind::Onsite, Kind::Technical];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Phone => "phone",
            Kind::Video => "video",
            Kind::Onsite => "onsite",
            Kind::Technical => "technical",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Phone => "Phone",
            Kind::Video => "Video",
            Kind::Onsite => "On site",
            Kind::Technical => "Technical",
        }
    }
}

crate::text_enum!(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled,
    Completed,
    Cancelled,
    NoShow,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Scheduled,
        Status::Completed,
        Status::Cancelled,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Scheduled => "Scheduled",
            Status::Completed => "Completed",
            Status::Cancelled => "Cancelled",
            Status::NoShow => "No-show",
        }
    }

    /// Whether it took (or will take) place: it has a panel that owes
    /// feedback, and holds its people's time.
    pub fn is_on(self) -> bool {
        matches!(self, Status::Scheduled | Status::Completed)
    }
}

crate::text_enum!(Status);

/// An interview, with what its pages and rules need of its application.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Interview {
    pub id: InterviewId,
    pub application_id: ApplicationId,
    pub candidate_id: CandidateId,
    pub candidate_name: String,
    /// Their first address ("" when they have none).
    pub candidate_email: String,
    pub requirement_id: RequirementId,
    pub reference: String,
    pub title: String,
    pub confidential: bool,
    pub hiring_manager_id: Uuid,
    pub recruiter_id: Option<Uuid>,
    pub requested_by: Uuid,
    pub round_id: Option<Uuid>,
    pub round_name: String,
    pub kind: Kind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub location: String,
    pub notes: String,
    pub status: Status,
    pub sequence: i32,
    pub candidate_response: Response,
    pub version: i32,
}

/// How a person stands to an interview: what they may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seat {
    /// Nothing: to them it does not exist.
    None,
    /// On its panel: sees it, its kit and candidate; scores it.
    Panel,
    /// Its requirement's hiring manager (or requester): reads it, and every
    /// scorecard.
    Reader,
    /// Recruiters and admins who see its requirement: schedule, change,
    /// cancel; read every scorecard.
    Manager,
}

impl Interview {
    /// The people its requirement names.
    fn own_people(&self) -> [Option<Uuid>; 3] {
        [
            Some(self.hiring_manager_id),
            Some(self.requested_by),
            self.recruiter_id,
        ]
    }

    /// Where `user` stands, given whether they are on its panel.
    pub fn seat(&self, user: Uuid, roles: &[Role], on_panel: bool) -> Seat {
        let named = self.own_people().contains(&Some(user));
        let sees_requirement =
            !self.confidential || named || allows(roles, Permission::AdministerRequirements);
        if sees_requirement && allows(roles, Permission::ManageInterviews) {
            Seat::Manager
        } else if named && allows(roles, Permission::ViewCandidates) {
            Seat::Reader
        } else if on_panel {
            Seat::Panel
        } else {
            Seat::None
        }
    }

    /// The invitation's title for the panel: "Technical interview: Ann Lee
    /// (HH-2026-0042 Platform engineer)".
    pub fn summary(&self) -> String {
        summary(
            &self.round_name,
            &self.candidate_name,
            &self.reference,
            &self.title,
        )
    }

    pub fn is_over(&self, now: DateTime<Utc>) -> bool {
        self.ends_at <= now
    }
}

/// An interview's title in the panel's calendars.
fn summary(round: &str, candidate: &str, reference: &str, title: &str) -> String {
    format!("{round}: {candidate} ({reference} {title})")
}

/// One panel member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Panelist {
    pub user_id: Uuid,
    pub full_name: String,
    pub email: String,
    pub time_zone: String,
    pub response: Response,
    /// Whether their scorecard is in.
    pub submitted: bool,
}

macro_rules! interview_select {
    () => {
        "select i.id, i.application_id, a.candidate_id, c.full_name as candidate_name,
                coalesce((select e.email from candidate_emails e where e.candidate_id = c.id
                           order by e.position, e.email limit 1), '') as candidate_email,
                a.requirement_id, r.reference, r.title, r.confidential, r.hiring_manager_id,
                r.recruiter_id, r.created_by as requested_by, i.round_id, i.round_name, i.kind,
                i.starts_at, i.ends_at, i.time_zone, i.location, i.notes, i.status, i.sequence,
                i.candidate_response, i.version
           from interviews i
           join applications a on a.id = i.application_id
           join candidates c on c.id = a.candidate_id
           join requirements r on r.id = a.requirement_id "
    };
}

pub async fn find(
    conn: &mut PgConnection,
    id: InterviewId,
) -> Result<Option<Interview>, sqlx::Error> {
    sqlx::query_as(concat!(
        interview_select!(),
        "where i.id = $1 and r.deleted_at is null and c.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The interviews of a candidate's applications, soonest last.
pub async fn of_candidate(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<Vec<Interview>, sqlx::Error> {
    sqlx::query_as(concat!(
        interview_select!(),
        "where a.candidate_id = $1 and r.deleted_at is null order by i.starts_at desc"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await
}

/// The candidate's interviews that `user` has a seat at, with it.
pub async fn of_candidate_for(
    conn: &mut PgConnection,
    candidate: CandidateId,
    user: Uuid,
    roles: &[Role],
) -> Result<Vec<(Interview, Seat)>, sqlx::Error> {
    let all = of_candidate(&mut *conn, candidate).await?;
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = all.iter().map(|i| i.id.uuid()).collect();
    let mine: Vec<Uuid> = sqlx::query_scalar(
        "select interview_id from interview_panel where user_id = $1 and interview_id = any($2)",
    )
    .bind(user)
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(all
        .into_iter()
        .filter_map(|i| {
            let seat = i.seat(user, roles, mine.contains(&i.id.uuid()));
            (seat != Seat::None).then_some((i, seat))
        })
        .collect())
}

pub async fn panel(
    conn: &mut PgConnection,
    interview: InterviewId,
) -> Result<Vec<Panelist>, sqlx::Error> {
    sqlx::query_as(
        "select p.user_id, u.full_name, u.email, u.time_zone, p.response,
                exists (select from scorecards s
                         where s.interview_id = p.interview_id and s.author_id = p.user_id) as submitted
           from interview_panel p join users u on u.id = p.user_id
          where p.interview_id = $1 order by u.full_name, u.id",
    )
    .bind(interview)
    .fetch_all(conn)
    .await
}

/// The interview if `user` has a seat at it (else not found), their seat,
/// and its panel.
pub async fn seen_by(
    conn: &mut PgConnection,
    id: InterviewId,
    user: Uuid,
    roles: &[Role],
) -> Result<(Interview, Seat, Vec<Panelist>), crate::domain::Error> {
    let interview = find(&mut *conn, id)
        .await?
        .ok_or(crate::domain::Error::NotFound)?;
    let panel = panel(&mut *conn, id).await?;
    let on_panel = panel.iter().any(|p| p.user_id == user);
    match interview.seat(user, roles, on_panel) {
        Seat::None => Err(crate::domain::Error::NotFound),
        seat => Ok((interview, seat, panel)),
    }
}

/// The most interviews a week `user` takes before scheduling warns (None:
/// no limit).
pub async fn weekly_limit(conn: &mut PgConnection, user: Uuid) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar("select weekly_interview_limit from users where id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// Sets [`weekly_limit`] from what was typed ("" for none).
pub async fn set_weekly_limit(
    conn: &mut PgConnection,
    actor: &crate::domain::activity::audit::Actor,
    user: Uuid,
    typed: &str,
) -> Result<(), crate::domain::Error> {
    let limit = match typed.trim() {
        "" => None,
        t => Some(
            t.parse::<i32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    crate::domain::Error::field(
                        "weekly_interview_limit",
                        "Enter a number from 1 to 100, or leave it empty for no limit.",
                    )
                })?,
        ),
    };
    let before = weekly_limit(&mut *conn, user).await?;
    sqlx::query("update users set weekly_interview_limit = $2 where id = $1")
        .bind(user)
        .bind(limit)
        .execute(&mut *conn)
        .await?;
    crate::domain::activity::audit::record(
        conn,
        actor,
        crate::domain::activity::audit::Action::UserProfileUpdated,
        crate::domain::activity::audit::Entity::User,
        Some(user),
        crate::domain::activity::audit::Changes::new().field(
            "weekly_interview_limit",
            &before,
            &limit,
        ),
    )
    .await?;
    Ok(())
}
