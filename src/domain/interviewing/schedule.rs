//! Scheduling, rescheduling and cancelling an interview: the form's rules,
//! the conflicts it warns of (never blocks), and the invitations every
//! change mails to the panel and the candidate.

use super::calendar::{self, Method, Person, Response};
use super::{Interview, InterviewId, Kind, Panelist, Seat, Status, plan};
use crate::domain::Error;
use crate::domain::access::{Permission, allows};
use crate::domain::activity::audit::{self, Action, Changes, Entity};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::kernel::{FieldErrors, NameOf, optional_text};
use crate::domain::messaging::{Letters, outbox};
use crate::domain::recruiting::application::{self, ApplicationId, Who};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct ScheduleForm {
    pub round_id: String,
    pub kind: String,
    /// YYYY-MM-DD, in `time_zone`.
    pub date: String,
    /// HH:MM.
    pub start: String,
    pub minutes: String,
    pub time_zone: String,
    pub location: String,
    pub notes: String,
    pub panel: Vec<String>,
    /// Schedule although the panel has conflicts (the warning was seen).
    pub confirmed: bool,
}

/// A checked interview plan: when, how, who.
#[derive(Debug, Clone)]
pub struct Slot {
    pub round_id: Uuid,
    pub kind: Kind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: Tz,
    pub location: String,
    pub notes: String,
    pub panel: Vec<Uuid>,
}

pub const PANEL_MAX: usize = 20;

/// The longest interview, in minutes (the database checks it too): what
/// overlaps a span started at most this long before it, which keeps the
/// conflicts' read to a range of starts.
pub const LONGEST_MINUTES: i64 = 480;

impl ScheduleForm {
    /// The form filled from an interview, to change it.
    pub fn of(i: &Interview, panel: &[Panelist]) -> ScheduleForm {
        let tz: Tz = i.time_zone.parse().unwrap_or(Tz::UTC);
        let start = i.starts_at.with_timezone(&tz);
        ScheduleForm {
            round_id: i.round_id.map(|r| r.to_string()).unwrap_or_default(),
            kind: i.kind.as_str().into(),
            date: start.format("%Y-%m-%d").to_string(),
            start: start.format("%H:%M").to_string(),
            minutes: (i.ends_at - i.starts_at).num_minutes().to_string(),
            time_zone: i.time_zone.clone(),
            location: i.location.clone(),
            notes: i.notes.clone(),
            panel: panel.iter().map(|p| p.user_id.to_string()).collect(),
            confirmed: false,
        }
    }

    /// The plan, or each problem beside its field. `rounds` are the
    /// requirement's.
    pub fn check(&self, rounds: &[plan::Round]) -> Result<Slot, FieldErrors> {
        let mut e = FieldErrors::default();
        let round = self
            .round_id
            .trim()
            .parse::<Uuid>()
            .ok()
            .and_then(|id| rounds.iter().find(|r| r.id == id));
        if round.is_none() {
            e.add(
                "round_id",
                "Choose one of the rounds of the interview plan.",
            );
        }
        let kind = match self.kind.trim() {
            "" => round.map(|r| r.kind),
            k => Kind::parse(k),
        };
        if kind.is_none() {
            e.add("kind", "Choose how the interview is held.");
        }
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (2000..=2100).contains(&d.year()));
        if date.is_none() {
            e.add("date", "Enter a date like 2027-03-01.");
        }
        let start = NaiveTime::parse_from_str(self.start.trim(), "%H:%M").ok();
        if start.is_none() {
            e.add("start", "Enter a time like 14:30.");
        }
        let minutes = match self.minutes.trim() {
            "" => round.map(|r| i64::from(r.minutes)),
            m => m
                .parse::<i64>()
                .ok()
                .filter(|m| (5..=LONGEST_MINUTES).contains(m)),
        };
        if minutes.is_none() {
            e.add(
                "minutes",
                format!("Enter a length between 5 and {LONGEST_MINUTES} minutes."),
            );
        }
        let tz = self.time_zone.trim().parse::<Tz>().ok();
        if tz.is_none() {
            e.add("time_zone", "Choose a time zone from the list.");
        }
        let location = optional_text(&mut e, "location", &self.location, 500);
        let notes = optional_text(&mut e, "notes", &self.notes, 5000);
        let mut panel = Vec::new();
        for p in &self.panel {
            match p.trim().parse::<Uuid>() {
                Ok(id) if !panel.contains(&id) => panel.push(id),
                Ok(_) => {}
                Err(_) => e.add("panel", "Choose the panel from the list."),
            }
        }
        if panel.is_empty() {
            e.add("panel", "Choose at least one interviewer.");
        } else if panel.len() > PANEL_MAX {
            e.add("panel", format!("A panel has at most {PANEL_MAX} people."));
        }
        let starts_at = match (date, start, tz) {
            (Some(d), Some(t), Some(tz)) => match tz.from_local_datetime(&d.and_time(t)) {
                // At a clock change going back, the first of the two.
                chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => {
                    Some(at.with_timezone(&Utc))
                }
                chrono::LocalResult::None => {
                    e.add(
                        "start",
                        format!(
                            "{t} does not exist on {d} in {}: the clocks change then. Choose another time.",
                            tz.name()
                        ),
                    );
                    None
                }
            },
            _ => None,
        };
        if !e.is_empty() {
            return Err(e);
        }
        match (round, kind, starts_at, minutes, tz) {
            (Some(round), Some(kind), Some(starts_at), Some(minutes), Some(time_zone)) => {
                Ok(Slot {
                    round_id: round.id,
                    kind,
                    starts_at,
                    ends_at: starts_at + Duration::minutes(minutes),
                    time_zone,
                    location,
                    notes,
                    panel,
                })
            }
            _ => Err(e),
        }
    }
}

/// Another interview holding someone's time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Busy {
    pub user_id: Uuid,
    pub interview_id: Uuid,
    pub round_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Why scheduling warns about one panel member, and their day.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub user_id: Uuid,
    pub name: String,
    /// Their interviews overlapping this one.
    pub overlaps: Vec<Busy>,
    /// With this one, their interviews that week, and their limit, when
    /// that is over it.
    pub over_limit: Option<(i64, i32)>,
    /// All their interviews that day (in the interview's time zone).
    pub day: Vec<Busy>,
}

/// The warnings for `slot`'s panel: who is double-booked or over their
/// weekly limit (Monday to Sunday, in the interview's time zone), with
/// their interviews that day. `except` is the interview being changed.
pub async fn conflicts(
    conn: &mut PgConnection,
    slot: &Slot,
    except: Option<InterviewId>,
) -> Result<Vec<Conflict>, sqlx::Error> {
    let tz = slot.time_zone;
    let local = slot.starts_at.with_timezone(&tz).date_naive();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
            .earliest()
            .map_or(slot.starts_at, |t| t.with_timezone(&Utc))
    };
    let week_start = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
    let (day_from, day_to) = (midnight(local), midnight(local + Duration::days(1)));
    let (week_from, week_to) = (
        midnight(week_start),
        midnight(week_start + Duration::days(7)),
    );
    #[derive(sqlx::FromRow)]
    struct Member {
        id: Uuid,
        full_name: String,
        weekly_interview_limit: Option<i32>,
    }
    let members: Vec<Member> = sqlx::query_as(
        "select id, full_name, weekly_interview_limit from users where id = any($1) order by full_name",
    )
    .bind(&slot.panel)
    .fetch_all(&mut *conn)
    .await?;
    let busy: Vec<Busy> = sqlx::query_as(
        "select p.user_id, i.id as interview_id, i.round_name, i.starts_at, i.ends_at
           from interview_panel p join interviews i on i.id = p.interview_id
          where p.user_id = any($1) and i.status in ('scheduled', 'completed')
            and i.id is distinct from $2
            and i.starts_at < greatest($4, $6::timestamptz)
            and i.starts_at >= least($3, $5::timestamptz) - make_interval(mins => $7)
            and i.ends_at > least($3, $5::timestamptz)
          order by i.starts_at",
    )
    .bind(&slot.panel)
    .bind(except)
    .bind(week_from)
    .bind(week_to)
    .bind(day_from)
    .bind(day_to)
    .bind(LONGEST_MINUTES as i32)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for m in members {
        let theirs = busy.iter().filter(|b| b.user_id == m.id);
        let overlaps: Vec<Busy> = theirs
            .clone()
            .filter(|b| b.starts_at < slot.ends_at && b.ends_at > slot.starts_at)
            .cloned()
            .collect();
        let week = theirs
            .clone()
            .filter(|b| b.starts_at >= week_from && b.starts_at < week_to)
            .count() as i64
            + 1;
        let over_limit = m
            .weekly_interview_limit
            .filter(|limit| week > i64::from(*limit))
            .map(|limit| (week, limit));
        if overlaps.is_empty() && over_limit.is_none() {
            continue;
        }
        let day = theirs
            .filter(|b| b.starts_at < day_to && b.ends_at > day_from)
            .cloned()
            .collect();
        out.push(Conflict {
            user_id: m.id,
            name: m.full_name,
            overlaps,
            over_limit,
            day,
        });
    }
    Ok(out)
}

/// What scheduling or rescheduling did.
#[derive(Debug)]
pub enum Outcome {
    Done(InterviewId),
    /// Nothing yet: these conflicts want a second look (send again with
    /// `confirmed`).
    Warned(Vec<Conflict>),
}

/// Who may sit on a panel, by name: the active people whose roles take
/// part in hiring.
pub async fn panel_choices(conn: &mut PgConnection) -> Result<Vec<NameOf>, sqlx::Error> {
    sqlx::query_as(
        "select id, full_name as name from users
          where deactivated_at is null
            and roles && array['interviewer', 'hiring_manager', 'recruiter', 'admin']
          order by full_name, id",
    )
    .fetch_all(conn)
    .await
}

/// Checks the people chosen: active users, every one.
async fn check_panel(conn: &mut PgConnection, panel: &[Uuid]) -> Result<(), Error> {
    let found: i64 = sqlx::query_scalar(
        "select count(*) from users where id = any($1) and deactivated_at is null",
    )
    .bind(panel)
    .fetch_one(conn)
    .await?;
    if found as usize != panel.len() {
        return Err(Error::field("panel", "Choose the panel from the list."));
    }
    Ok(())
}

/// Schedules an interview of `application`: recruiters and admins who see
/// it. Warns (and does nothing) when the panel has conflicts, unless the
/// form says they were seen.
pub async fn schedule(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    application: ApplicationId,
    form: &ScheduleForm,
) -> Result<Outcome, Error> {
    let a = application::find(&mut *conn, application)
        .await?
        .filter(|a| a.visible_to(who.user, who.roles))
        .ok_or(Error::NotFound)?;
    if !allows(who.roles, Permission::ManageInterviews) {
        return Err(Error::Forbidden);
    }
    if a.stage_kind.is_end() {
        return Err(Error::refused(
            "This application has ended: un-reject it before scheduling an interview.",
        ));
    }
    crate::domain::recruiting::candidate::takes_data(&mut *conn, a.candidate_id).await?;
    let rounds = plan::rounds(&mut *conn, a.requirement_id).await?;
    let slot = form.check(&rounds)?;
    check_panel(&mut *conn, &slot.panel).await?;
    if !form.confirmed {
        let found = conflicts(&mut *conn, &slot, None).await?;
        if !found.is_empty() {
            return Ok(Outcome::Warned(found));
        }
    }
    let round_name = rounds
        .iter()
        .find(|r| r.id == slot.round_id)
        .map_or_else(String::new, |r| r.name.clone());
    let id: InterviewId = sqlx::query_scalar(
        "insert into interviews (application_id, round_id, round_name, kind, starts_at, ends_at,
                                 time_zone, location, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(application)
    .bind(slot.round_id)
    .bind(&round_name)
    .bind(slot.kind)
    .bind(slot.starts_at)
    .bind(slot.ends_at)
    .bind(slot.time_zone.name())
    .bind(&slot.location)
    .bind(&slot.notes)
    .bind(who.user)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into interview_panel (interview_id, user_id) select $1, unnest($2::uuid[])",
    )
    .bind(id)
    .bind(&slot.panel)
    .execute(&mut *conn)
    .await?;
    let i = super::find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let panel = super::panel(&mut *conn, id).await?;
    let c = Changes::new()
        .created("round", &round_name)
        .created("kind", &slot.kind.as_str())
        .created("starts_at", &slot.starts_at)
        .created("ends_at", &slot.ends_at)
        .created("time_zone", &slot.time_zone.name())
        .created("location", &slot.location)
        .personal("notes", !slot.notes.is_empty())
        .created("panel", &names(&panel));
    announce(
        &mut *conn,
        who,
        mail,
        &i,
        &panel,
        Announce {
            action: Action::InterviewScheduled,
            changes: c,
            removed: &[],
            method: Method::Request,
            event: Event::InterviewScheduled,
            what: "was scheduled",
        },
    )
    .await?;
    Ok(Outcome::Done(id))
}

fn names(panel: &[Panelist]) -> Vec<String> {
    panel.iter().map(|p| p.full_name.clone()).collect()
}

/// The interview, locked for a change by a manager of it, unless it is
/// cancelled (or its version is stale).
async fn lock(
    conn: &mut PgConnection,
    who: Who<'_>,
    id: InterviewId,
    version: Option<i32>,
) -> Result<(Interview, Vec<Panelist>), Error> {
    sqlx::query("select from interviews where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let (i, seat, panel) = super::seen_by(&mut *conn, id, who.user, who.roles).await?;
    if seat != Seat::Manager {
        return Err(Error::Forbidden);
    }
    if let Some(v) = version
        && v != i.version
    {
        return Err(Error::stale(conn, Entity::Interview, id.uuid(), v).await);
    }
    if i.status == Status::Cancelled {
        return Err(Error::refused("This interview was cancelled."));
    }
    Ok((i, panel))
}

/// Moves, re-staffs or otherwise changes an interview: everyone still on
/// the panel and the candidate get the updated invitation (the same UID, a
/// higher SEQUENCE), anyone taken off it a cancellation.
pub async fn reschedule(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: InterviewId,
    version: i32,
    form: &ScheduleForm,
) -> Result<Outcome, Error> {
    let (before, before_panel) = lock(&mut *conn, who, id, Some(version)).await?;
    crate::domain::recruiting::candidate::takes_data_unheld(&mut *conn, before.candidate_id)
        .await?;
    let panel_before = names(&before_panel);
    let rounds = plan::rounds(&mut *conn, before.requirement_id).await?;
    // The round it was scheduled in stays choosable, even if the plan
    // changed since.
    let mut choosable = rounds;
    if let Some(r) = before.round_id
        && !choosable.iter().any(|x| x.id == r)
        && let Some(round) = plan::round(&mut *conn, r).await?
    {
        choosable.push(round);
    }
    let slot = form.check(&choosable)?;
    check_panel(&mut *conn, &slot.panel).await?;
    if !form.confirmed {
        let found = conflicts(&mut *conn, &slot, Some(id)).await?;
        if !found.is_empty() {
            return Ok(Outcome::Warned(found));
        }
    }
    let round_name = choosable
        .iter()
        .find(|r| r.id == slot.round_id)
        .map_or_else(|| before.round_name.clone(), |r| r.name.clone());
    sqlx::query(
        "update interviews set round_id = $2, round_name = $3, kind = $4, starts_at = $5,
                ends_at = $6, time_zone = $7, location = $8, notes = $9, sequence = sequence + 1,
                version = version + 1, updated_at = now()
          where id = $1",
    )
    .bind(id)
    .bind(slot.round_id)
    .bind(&round_name)
    .bind(slot.kind)
    .bind(slot.starts_at)
    .bind(slot.ends_at)
    .bind(slot.time_zone.name())
    .bind(&slot.location)
    .bind(&slot.notes)
    .execute(&mut *conn)
    .await?;
    // Those who stay keep their answer, unless the time moved: then they
    // are asked again.
    let moved = before.starts_at != slot.starts_at || before.ends_at != slot.ends_at;
    sqlx::query("delete from interview_panel where interview_id = $1 and user_id <> all($2)")
        .bind(id)
        .bind(&slot.panel)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into interview_panel (interview_id, user_id) select $1, unnest($2::uuid[])
         on conflict (interview_id, user_id) do update
            set response = case when $3 then 'needs-action' else interview_panel.response end",
    )
    .bind(id)
    .bind(&slot.panel)
    .bind(moved)
    .execute(&mut *conn)
    .await?;
    if moved {
        sqlx::query("update interviews set candidate_response = 'needs-action' where id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let i = super::find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let panel = super::panel(&mut *conn, id).await?;
    let removed: Vec<Panelist> = before_panel
        .into_iter()
        .filter(|p| !slot.panel.contains(&p.user_id))
        .collect();
    let c = Changes::new()
        .field("round", &before.round_name, &i.round_name)
        .field("kind", &before.kind.as_str(), &i.kind.as_str())
        .field("starts_at", &before.starts_at, &i.starts_at)
        .field("ends_at", &before.ends_at, &i.ends_at)
        .field("time_zone", &before.time_zone, &i.time_zone)
        .field("location", &before.location, &i.location)
        .personal("notes", before.notes != i.notes)
        .field("panel", &panel_before, &names(&panel))
        .created("version", &i.version);
    announce(
        &mut *conn,
        who,
        mail,
        &i,
        &panel,
        Announce {
            action: Action::InterviewChanged,
            changes: c,
            removed: &removed,
            method: Method::Request,
            event: Event::InterviewChanged,
            what: "was changed",
        },
    )
    .await?;
    Ok(Outcome::Done(id))
}

/// Calls an interview off: everyone invited gets the cancellation.
pub async fn cancel(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    id: InterviewId,
    reason: &str,
) -> Result<(), Error> {
    let mut e = FieldErrors::default();
    let reason = optional_text(&mut e, "reason", reason, 1000);
    if !e.is_empty() {
        return Err(e.into());
    }
    let (before, _) = lock(&mut *conn, who, id, None).await?;
    sqlx::query(
        "update interviews set status = 'cancelled', sequence = sequence + 1,
                version = version + 1, updated_at = now() where id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let i = super::find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let panel = super::panel(&mut *conn, id).await?;
    let mut c = Changes::new()
        .field("status", &before.status.as_str(), &i.status.as_str())
        .created("version", &i.version);
    if !reason.is_empty() {
        c = c.created("reason", &reason);
    }
    announce(
        &mut *conn,
        who,
        mail,
        &i,
        &panel,
        Announce {
            action: Action::InterviewCancelled,
            changes: c,
            removed: &[],
            method: Method::Cancel,
            event: Event::InterviewCancelled,
            what: "was cancelled",
        },
    )
    .await
}

/// Marks how an interview went: completed, or the candidate did not come
/// (which ends the feedback it asks for).
pub async fn set_status(
    conn: &mut PgConnection,
    who: Who<'_>,
    id: InterviewId,
    status: Status,
) -> Result<(), Error> {
    if !matches!(
        status,
        Status::Completed | Status::NoShow | Status::Scheduled
    ) {
        return Err(Error::field("status", "Choose what happened."));
    }
    let (before, _) = lock(&mut *conn, who, id, None).await?;
    if before.status == status {
        return Ok(());
    }
    sqlx::query(
        "update interviews set status = $2, version = version + 1, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(&mut *conn)
    .await?;
    audit::record(
        &mut *conn,
        who.actor,
        Action::InterviewChanged,
        Entity::Interview,
        Some(id.uuid()),
        Changes::new()
            .field("status", &before.status.as_str(), &status.as_str())
            .created("version", &(before.version + 1)),
    )
    .await?;
    Ok(())
}

/// What a change of an interview tells, besides the change itself.
struct Announce<'a> {
    action: Action,
    changes: Changes,
    /// Taken off the panel: each gets a cancellation.
    removed: &'a [Panelist],
    /// Of the invitations to the panel and the candidate.
    method: Method,
    event: Event,
    /// "was scheduled", for the news.
    what: &'a str,
}

/// The audit row of a change of interview `i` (its `panel` as it now is),
/// the invitations it mails, and the news it tells.
async fn announce(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    i: &Interview,
    panel: &[Panelist],
    a: Announce<'_>,
) -> Result<(), Error> {
    audit::record(
        &mut *conn,
        who.actor,
        a.action,
        Entity::Interview,
        Some(i.id.uuid()),
        a.changes,
    )
    .await?;
    invite(&mut *conn, mail, i, panel, a.removed, a.method).await?;
    tell(conn, mail, i, panel, a.event, a.what, who.user).await
}

/// "Tue 3 Mar 2026, 10:00–11:00 (Europe/Warsaw)".
pub fn when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let (s, e) = (starts_at.with_timezone(&tz), ends_at.with_timezone(&tz));
    format!(
        "{}, {}–{} ({})",
        s.format("%a %-d %b %Y"),
        s.format("%H:%M"),
        e.format("%H:%M"),
        tz.name()
    )
}

/// One invitation mail: what the mail module needs besides the address.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub method: Method,
    /// Whether this updates one sent before.
    pub update: bool,
    /// "Technical interview: Ann Lee (HH-2026-0042 Platform engineer)" for
    /// the panel; the round and the job for the candidate.
    pub what: String,
    /// In the recipient's time zone.
    pub when: String,
    pub location: String,
    /// Notes for the panel: empty in the candidate's copy.
    pub notes: String,
    /// The kit, for the panel (a local path).
    pub kit: Option<String>,
    /// The iCalendar object, its links starting with the outbox's mark.
    pub ics: String,
}

/// Mails the interview's invitation (`method`) to its panel and to the
/// candidate, and a cancellation to each of `removed`.
async fn invite(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    i: &Interview,
    panel: &[Panelist],
    removed: &[Panelist],
    method: Method,
) -> Result<(), Error> {
    let company: String = sqlx::query_scalar("select company_name from careers_settings limit 1")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_else(|| "Hiring Hare".into());
    let organizer = mail.organizer();
    let attendees: Vec<(Person, Response)> = panel
        .iter()
        .map(|p| {
            (
                Person {
                    name: p.full_name.clone(),
                    email: p.email.clone(),
                },
                p.response,
            )
        })
        .chain((!i.candidate_email.is_empty()).then(|| {
            (
                Person {
                    name: i.candidate_name.clone(),
                    email: i.candidate_email.clone(),
                },
                i.candidate_response,
            )
        }))
        .collect();
    let kit = format!("/interviews/{}", i.id);
    let event = |summary: String, description: String, url: Option<String>| calendar::Event {
        id: i.id.uuid(),
        sequence: i.sequence,
        starts_at: i.starts_at,
        ends_at: i.ends_at,
        summary,
        description,
        location: i.location.clone(),
        url,
        cancelled: method == Method::Cancel,
        organizer: Some(organizer.clone()),
        attendees: attendees.clone(),
        stamp: Utc::now(),
    };
    let kit_url = mail.link(&kit);
    let panel_description = if i.notes.is_empty() {
        format!("Interview kit: {kit_url}")
    } else {
        format!("{}\n\nInterview kit: {kit_url}", i.notes)
    };
    let update = i.sequence > 0;
    let panel_copy = |m: Method| {
        calendar::calendar(
            m,
            "",
            &[event(
                i.summary(),
                panel_description.clone(),
                Some(kit_url.clone()),
            )],
        )
    };
    for (p, m) in panel
        .iter()
        .map(|p| (p, method))
        .chain(removed.iter().map(|p| (p, Method::Cancel)))
    {
        let letter = Invitation {
            method: m,
            update,
            what: i.summary(),
            when: when(i.starts_at, i.ends_at, &p.time_zone),
            location: i.location.clone(),
            notes: i.notes.clone(),
            kit: Some(kit.clone()),
            ics: panel_copy(m),
        };
        // Tied to the application, so anonymising the candidate removes it.
        let letter = mail.interview(&p.email, &p.full_name, &letter)?;
        outbox::queue_later(
            &mut *conn,
            &letter,
            std::time::Duration::ZERO,
            Some(i.application_id.uuid()),
        )
        .await?;
    }
    if !i.candidate_email.is_empty() {
        let what = format!("{} with {company}: {}", i.round_name, i.title);
        let description = format!(
            "{} ({}) for {} at {company}.",
            i.round_name,
            i.kind.label(),
            i.title
        );
        let letter = Invitation {
            method,
            update,
            what: what.clone(),
            when: when(i.starts_at, i.ends_at, &i.time_zone),
            location: i.location.clone(),
            notes: String::new(),
            kit: None,
            ics: calendar::calendar(method, "", &[event(what, description, None)]),
        };
        let letter = mail.interview(&i.candidate_email, &i.candidate_name, &letter)?;
        outbox::queue_later(
            &mut *conn,
            &letter,
            std::time::Duration::ZERO,
            Some(i.application_id.uuid()),
        )
        .await?;
    }
    Ok(())
}

/// Tells the panel (in the app: their invitation is their mail) and the
/// requirement's hiring manager and recruiter (as they chose), but not the
/// one who did it.
async fn tell(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    i: &Interview,
    panel: &[Panelist],
    event: Event,
    what: &str,
    actor: Uuid,
) -> Result<(), Error> {
    let notice = Notice {
        event,
        subject_type: "interview",
        subject_id: i.id.uuid(),
        text: format!(
            "{} with {} {what}, {} {}",
            i.round_name, i.candidate_name, i.reference, i.title
        ),
        link: format!("/interviews/{}", i.id),
        actor: Some(actor),
    };
    let on_panel: Vec<Uuid> = panel
        .iter()
        .map(|p| p.user_id)
        .filter(|u| *u != actor)
        .collect();
    notify::notify(&mut *conn, &notice, &on_panel).await?;
    let mut people = vec![i.hiring_manager_id];
    people.extend(i.recruiter_id);
    people.dedup();
    people.retain(|p| *p != actor && !on_panel.contains(p));
    notify::tell(conn, mail, &notice, &people).await
}

/// Records the answers a calendar REPLY carries (from the panel or the
/// candidate, matched by address); returns how many applied. A reply to
/// an interview since cancelled, or from someone not invited, changes
/// nothing.
pub async fn answered(conn: &mut PgConnection, reply: &calendar::Reply) -> Result<usize, Error> {
    let mut applied = 0;
    for (email, response) in &reply.answers {
        let panel = sqlx::query(
            "update interview_panel p set response = $3
               from users u, interviews i
              where p.interview_id = $1 and i.id = p.interview_id and i.status <> 'cancelled'
                and u.id = p.user_id and lower(u.email) = lower($2)",
        )
        .bind(reply.interview)
        .bind(email)
        .bind(response)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let candidate = sqlx::query(
            "update interviews i set candidate_response = $3
               from applications a
              where i.id = $1 and a.id = i.application_id and i.status <> 'cancelled'
                and exists (select from candidate_emails e
                             where e.candidate_id = a.candidate_id and lower(e.email) = lower($2))",
        )
        .bind(reply.interview)
        .bind(email)
        .bind(response)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if panel + candidate > 0 {
            applied += 1;
            // Who answered is kept as a panel member's name, or as "the
            // candidate" (never their address: the log keeps no personal
            // data of theirs).
            let who = if candidate > 0 {
                "candidate".to_owned()
            } else {
                email.clone()
            };
            audit::record(
                &mut *conn,
                &audit::Actor::system(),
                Action::InterviewAnswered,
                Entity::Interview,
                Some(reply.interview),
                Changes::new()
                    .created("attendee", &who)
                    .created("response", &response.as_str()),
            )
            .await?;
        }
    }
    if applied > 0 {
        let subject = sqlx::query_scalar::<_, Uuid>(
            "select a.candidate_id from interviews i join applications a on a.id = i.application_id
              where i.id = $1",
        )
        .bind(reply.interview)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(c) = subject {
            notify::changed(
                conn,
                crate::domain::approval::subject::SubjectRef::new(
                    crate::domain::approval::subject::SubjectKind::Candidate,
                    c,
                ),
            )
            .await?;
        }
    }
    Ok(applied)
}
