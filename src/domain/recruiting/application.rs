//! Applications: a candidate for one requirement, moving through its
//! pipeline's stages. Every move is a row (who, from where, to where,
//! when) beside its audit row; reaching the hired stage fills an opening;
//! a rejection ends it with a reason, and can be undone.

use super::candidate::{CandidateId, Source};
use super::stage::{self, Reason, ReasonId, Side, Stage, StageId, StageKind};
use crate::domain::Error;
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use crate::domain::id::Id;
use crate::domain::kernel::{FieldErrors, optional_text};
use crate::domain::messaging::{Letters, outbox};
use crate::domain::requisition::lifecycle::Status;
use crate::domain::requisition::opening;
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub type ApplicationId = Id<Application>;

/// An application as its candidate's profile and its checks read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Application {
    pub id: ApplicationId,
    pub candidate_id: CandidateId,
    pub candidate_name: String,
    pub requirement_id: RequirementId,
    pub reference: String,
    pub title: String,
    pub requirement_status: Status,
    pub confidential: bool,
    pub hiring_manager_id: Uuid,
    pub recruiter_id: Option<Uuid>,
    pub requested_by: Uuid,
    pub stage_id: StageId,
    pub stage_name: String,
    pub stage_kind: StageKind,
    pub stage_entered_at: DateTime<Utc>,
    pub source: Source,
    pub rejection: Option<String>,
    pub rejection_note: Option<String>,
    /// When the rejection mail goes, while it waits (and can be cancelled).
    pub mail_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl Application {
    /// Whether `user` sees it: they see its requirement (a confidential one
    /// only its people and admins do).
    pub fn visible_to(&self, user: Uuid, roles: &[Role]) -> bool {
        !self.confidential
            || self.own_people().contains(&user)
            || allows(roles, Permission::AdministerRequirements)
    }

    /// Whether `user` may move, reject or un-reject it: recruiters and
    /// admins who see it.
    pub fn managed_by(&self, user: Uuid, roles: &[Role]) -> bool {
        allows(roles, Permission::ManageCandidates) && self.visible_to(user, roles)
    }

    fn own_people(&self) -> Vec<Uuid> {
        let mut people = vec![self.hiring_manager_id, self.requested_by];
        people.extend(self.recruiter_id);
        people
    }

    /// Who hears of its moves (the requirement's hiring manager and
    /// recruiter), but not `actor`.
    fn people_but(&self, actor: Option<Uuid>) -> Vec<Uuid> {
        let mut people = vec![self.hiring_manager_id];
        people.extend(self.recruiter_id);
        people.dedup();
        people.retain(|p| Some(*p) != actor);
        people
    }

    /// How long it has been in its stage, as a card says it: "3 d", "5 h".
    pub fn time_in_stage(&self, now: DateTime<Utc>) -> String {
        time_in_stage(self.stage_entered_at, now)
    }
}

/// A span as a card says it: minutes under an hour, hours under two days,
/// then days.
pub fn time_in_stage(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - since).num_minutes().max(0);
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} d", m / (24 * 60)),
    }
}

macro_rules! application_select {
    () => {
        application_select!("")
    };
    // With more columns (", …", as `concat!` takes them) over the same joins.
    ($($more:tt)+) => {
        concat!("select a.id, a.candidate_id, c.full_name as candidate_name, a.requirement_id, r.reference, r.title,
                r.status as requirement_status, r.confidential, r.hiring_manager_id, r.recruiter_id,
                r.created_by as requested_by, a.stage_id, s.name as stage_name, s.kind as stage_kind,
                a.stage_entered_at, a.source, rr.label as rejection, a.rejection_note,
                (select min(o.send_at) from outbox o
                  where o.application_id = a.id and o.sent_at is null and o.cancelled_at is null
                    and o.send_at > now()) as mail_at,
                a.version", $($more)+, "
           from applications a
           join candidates c on c.id = a.candidate_id
           join requirements r on r.id = a.requirement_id
           join pipeline_stages s on s.id = a.stage_id
           left join rejection_reasons rr on rr.id = a.rejection_reason_id ")
    };
}

/// The candidate's applications, newest first (the caller keeps those the
/// viewer may see: [`Application::visible_to`]).
pub async fn of_candidate(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<Vec<Application>, sqlx::Error> {
    sqlx::query_as(concat!(
        application_select!(),
        "where a.candidate_id = $1 and r.deleted_at is null order by a.created_at desc"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await
}

/// An application as its candidate's profile shows it: with its stage
/// history, oldest move first, and its requirement's pipeline.
#[derive(Debug)]
pub struct InFull {
    pub application: Application,
    pub moves: Vec<Move>,
    pub stages: Vec<Stage>,
}

#[derive(sqlx::FromRow)]
struct InFullRow {
    #[sqlx(flatten)]
    application: Application,
    moves: sqlx::types::Json<Vec<Move>>,
    /// The requirement's own pipeline; none when it follows the template.
    own_stages: Option<sqlx::types::Json<Vec<Stage>>>,
}

/// The candidate's applications in full, newest first (the caller keeps
/// those the viewer may see, as for [`of_candidate`]), each requirement's
/// pipeline its own copy or else `template` (the catalog's: building it
/// again for every application was a fifth of the statement). The
/// histories and own pipelines ride along as JSON: one statement where
/// there were three, each round trip costing the page more than the rows
/// it brought.
pub async fn of_candidate_in_full(
    conn: &mut PgConnection,
    candidate: CandidateId,
    template: &[Stage],
) -> Result<Vec<InFull>, sqlx::Error> {
    // A move's names are looked up one by one: joined, the planner hashed
    // every user for a history of two moves, and a window function for
    // `left_at` added a sort to each application (a third of the
    // statement's time, measured with pgbench).
    let rows: Vec<InFullRow> = sqlx::query_as(concat!(
        application_select!(
            ",
                (select coalesce(json_agg(json_build_object(
                          'from_stage', (select f.name from pipeline_stages f where f.id = m.from_stage_id),
                          'to_stage', (select t.name from pipeline_stages t where t.id = m.to_stage_id),
                          'moved_by', (select u.full_name from users u where u.id = m.moved_by),
                          'at', m.at) order by m.id), '[]')
                   from application_stage_changes m where m.application_id = a.id) as moves,
                (select json_agg(json_build_object('id', s.id, 'name', s.name, 'kind', s.kind,
                                                   'position', s.position) order by s.position)
                   from pipeline_stages s
                  where s.requirement_id = a.requirement_id and s.archived_at is null) as own_stages"
        ),
        "where a.candidate_id = $1 and r.deleted_at is null order by a.created_at desc"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut moves = row.moves.0;
            // A stage was left when the next move was made.
            let mut left_at = None;
            for m in moves.iter_mut().rev() {
                m.left_at = left_at;
                left_at = Some(m.at);
            }
            InFull {
                application: row.application,
                moves,
                stages: row
                    .own_stages
                    .map_or_else(|| template.to_vec(), |own| own.0),
            }
        })
        .collect())
}

pub async fn find(
    conn: &mut PgConnection,
    id: ApplicationId,
) -> Result<Option<Application>, sqlx::Error> {
    sqlx::query_as(concat!(
        application_select!(),
        "where a.id = $1 and r.deleted_at is null and c.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// An application locked for a change, in the transaction that locked
/// it, by someone who may manage it: what each change here takes, so that
/// none skips the lock or the check, and the handler reads it once.
#[derive(Debug)]
pub struct Locked(Application);

impl std::ops::Deref for Locked {
    type Target = Application;
    fn deref(&self) -> &Application {
        &self.0
    }
}

/// The application, locked for a change by `who`: not found unless they
/// see it, refused unless they may manage it.
pub async fn lock(
    conn: &mut PgConnection,
    who: Who<'_>,
    id: ApplicationId,
) -> Result<Locked, Error> {
    // Locked first, then read: a join read `for update of a` rechecks a
    // row changed meanwhile against the old stage's row, and finds none.
    sqlx::query("select from applications where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let a = find(conn, id).await?.ok_or(Error::NotFound)?;
    if !a.visible_to(who.user, who.roles) {
        return Err(Error::NotFound);
    }
    if !a.managed_by(who.user, who.roles) {
        return Err(Error::Forbidden);
    }
    Ok(Locked(a))
}

/// Who is asking: the person and their roles, checked by every change
/// here as well as by the handler.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub actor: &'a Actor,
    pub user: Uuid,
    pub roles: &'a [Role],
}

/// Adds the candidate to an open (or on hold) requirement's pipeline, at
/// its first stage, and tells the requirement's people.
pub async fn add(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    candidate: CandidateId,
    requirement: RequirementId,
    source: Source,
) -> Result<ApplicationId, Error> {
    if !allows(who.roles, Permission::ManageCandidates) {
        return Err(Error::Forbidden);
    }
    super::candidate::takes_data(&mut *conn, candidate).await?;
    let r = crate::domain::requisition::requirement::find(&mut *conn, requirement)
        .await?
        .filter(|r| r.visible_to(who.user, who.roles))
        .ok_or_else(|| Error::field("requirement_id", "Choose one of the requirements."))?;
    let entry = Entry::AddedBy(who.user);
    enter(conn, who.actor, entry, mail, candidate, &r, source).await
}

/// How a candidate comes into a pipeline.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// Added by this user.
    AddedBy(Uuid),
    /// Applying themselves on the careers site, with this cover letter
    /// (empty: none).
    Applied { cover_letter: &'a str },
}

/// Puts the candidate in the pipeline of `r` at its first stage. Refused
/// unless `r` is open (or on hold), and when they are in it already.
pub async fn enter(
    conn: &mut PgConnection,
    actor: &Actor,
    entry: Entry<'_>,
    mail: &dyn Letters,
    candidate: CandidateId,
    r: &crate::domain::requisition::requirement::Requirement,
    source: Source,
) -> Result<ApplicationId, Error> {
    let requirement = r.id;
    if !matches!(r.status, Status::Open | Status::OnHold) {
        return Err(Error::field(
            "requirement_id",
            format!(
                "{} is {}: candidates join a requirement once it is open.",
                r.reference,
                r.status.label().to_lowercase()
            ),
        ));
    }
    let first = stage::pipeline(&mut *conn, requirement)
        .await?
        .into_iter()
        .find(|s| s.kind == StageKind::Active)
        .ok_or_else(|| Error::refused("This requirement's pipeline has no stage to start in."))?;
    let (by, cover_letter) = match entry {
        Entry::AddedBy(user) => (Some(user), ""),
        Entry::Applied { cover_letter } => (None, cover_letter),
    };
    // The application and the first line of its history in one statement.
    let id: Option<ApplicationId> = sqlx::query_scalar(
        "with added as (
           insert into applications (candidate_id, requirement_id, stage_id, owner_id, source, created_by,
                                     cover_letter)
           values ($1, $2, $3, coalesce($4, (select owner_id from candidates where id = $1)), $5, $6, $7)
           on conflict (candidate_id, requirement_id) do nothing
           returning id),
         history as (
           insert into application_stage_changes (application_id, to_stage_id, moved_by)
           select id, $3, $6 from added)
         select id from added",
    )
    .bind(candidate)
    .bind(requirement)
    .bind(first.id)
    .bind(r.recruiter_id)
    .bind(source)
    .bind(by)
    .bind(cover_letter)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Err(Error::field(
            "requirement_id",
            format!("They are in the pipeline of {} already.", r.reference),
        ));
    };
    let a = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let c = Changes::new()
        .created("requirement", &r.reference)
        .created("stage", &first.name)
        .created("source", &source.as_str());
    audit::record(
        &mut *conn,
        actor,
        audit::Action::ApplicationCreated,
        audit::Entity::Application,
        Some(id.uuid()),
        c,
    )
    .await?;
    let what = if by.is_some() {
        "joined the pipeline"
    } else {
        "applied on the careers site"
    };
    let notice = notice(&a, Event::CandidateAdded, what, by);
    notify::tell(&mut *conn, mail, &notice, &a.people_but(by)).await?;
    notify::changed(conn, board_subject(requirement)).await?;
    Ok(id)
}

/// The subject whose live updates a board listens to: its requirement.
fn board_subject(requirement: RequirementId) -> SubjectRef {
    SubjectRef::new(SubjectKind::Requirement, requirement.uuid())
}

/// "Ana Costa moved to Interview, HH-2026-0042 Platform engineer", leading
/// to the candidate.
fn notice(a: &Application, event: Event, what: &str, actor: Option<Uuid>) -> Notice {
    Notice {
        event,
        subject_type: "candidate",
        subject_id: a.candidate_id.uuid(),
        text: format!("{} {what}, {} {}", a.candidate_name, a.reference, a.title),
        link: format!("/candidates/{}", a.candidate_id),
        actor,
    }
}

/// Why a move did not happen when another came first: who moved it where,
/// and when.
async fn moved_meanwhile(conn: &mut PgConnection, a: &Application) -> Error {
    let by: Option<String> = sqlx::query_scalar(
        "select u.full_name from application_stage_changes m left join users u on u.id = m.moved_by
          where m.application_id = $1 order by m.id desc limit 1",
    )
    .bind(a.id)
    .fetch_optional(conn)
    .await
    .ok()
    .flatten();
    Error::refused(format!(
        "{} moved {} to {} meanwhile: nothing was changed. Move them again from there if you still want to.",
        by.as_deref().unwrap_or("Someone"),
        a.candidate_name,
        a.stage_name
    ))
}

/// What a move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    To(String),
    /// Hired: an opening is filled; the requirement too when it was the
    /// last one open.
    Hired {
        requirement_filled: bool,
    },
    /// Already there.
    Unchanged,
}

/// Moves the application from stage `from` (where the mover saw it) to
/// `to`, one of its pipeline's active stages or its hired stage. Refused if
/// it moved meanwhile, so two moves at once leave one consistent history.
pub async fn move_to(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    a: &Locked,
    from: StageId,
    to: StageId,
) -> Result<Moved, Error> {
    if a.stage_id == to {
        return Ok(Moved::Unchanged);
    }
    if a.stage_id != from {
        return Err(moved_meanwhile(conn, a).await);
    }
    match a.stage_kind {
        StageKind::Hired => {
            return Err(Error::refused(format!(
                "{} is hired: the application stays at {}.",
                a.candidate_name, a.stage_name
            )));
        }
        k if k.is_end() => {
            return Err(Error::refused(format!(
                "{} is {}: un-reject them first.",
                a.candidate_name,
                a.stage_name.to_lowercase()
            )));
        }
        _ => {}
    }
    let target = stage::pipeline(&mut *conn, a.requirement_id)
        .await?
        .into_iter()
        .find(|s| s.id == to)
        .ok_or_else(|| Error::field("stage_id", "Choose one of this pipeline's stages."))?;
    if target.kind.is_end() {
        return Err(Error::field(
            "stage_id",
            "To reject, give a reason with Reject.",
        ));
    }
    let mut outcome = Moved::To(target.name.clone());
    if target.kind == StageKind::Hired {
        let now = opening::hire(
            &mut *conn,
            who.actor,
            a.requirement_id,
            a.id.uuid(),
            &a.candidate_name,
            None,
        )
        .await?;
        outcome = Moved::Hired {
            requirement_filled: now == Status::Filled,
        };
    }
    set_stage(&mut *conn, Some(who.user), a, &target, None).await?;
    let c = Changes::new().field("stage", &a.stage_name, &target.name);
    audit::record(
        &mut *conn,
        who.actor,
        audit::Action::ApplicationMoved,
        audit::Entity::Application,
        Some(a.id.uuid()),
        c,
    )
    .await?;
    let what = format!("moved to {}", target.name);
    let notice = notice(a, Event::ApplicationStageChanged, &what, Some(who.user));
    notify::tell(&mut *conn, mail, &notice, &a.people_but(Some(who.user))).await?;
    notify::changed(conn, board_subject(a.requirement_id)).await?;
    Ok(outcome)
}

/// Hires the application into `opening`, its accepted offer's: to its
/// pipeline's hired stage, the opening filled (and the requirement, when it
/// was the last open). `by` is who recorded the answer, None when the
/// candidate did from their link. Refused, with nothing changed, when the
/// application has ended or that opening is settled meanwhile.
pub async fn hire_by_offer(
    conn: &mut PgConnection,
    actor: &Actor,
    by: Option<Uuid>,
    id: ApplicationId,
    opening: opening::OpeningId,
) -> Result<Moved, Error> {
    sqlx::query("select from applications where id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let a = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    if a.stage_kind != StageKind::Active {
        return Err(Error::refused(format!(
            "{} is {} already: nothing was changed.",
            a.candidate_name,
            a.stage_name.to_lowercase()
        )));
    }
    let hired = stage::pipeline(&mut *conn, a.requirement_id)
        .await?
        .into_iter()
        .find(|s| s.kind == StageKind::Hired)
        .ok_or_else(|| Error::refused("This requirement's pipeline has no hired stage."))?;
    let now = opening::hire(
        &mut *conn,
        actor,
        a.requirement_id,
        a.id.uuid(),
        &a.candidate_name,
        Some(opening),
    )
    .await?;
    set_stage(&mut *conn, by, &a, &hired, None).await?;
    let c = Changes::new().field("stage", &a.stage_name, &hired.name);
    audit::record(
        &mut *conn,
        actor,
        audit::Action::ApplicationMoved,
        audit::Entity::Application,
        Some(id.uuid()),
        c,
    )
    .await?;
    // Its people hear of the acceptance itself (`offer.accepted`); the
    // board moves the card.
    notify::changed(conn, board_subject(a.requirement_id)).await?;
    Ok(Moved::Hired {
        requirement_filled: now == Status::Filled,
    })
}

/// The application's pipeline stage where offers are made: the last
/// active one ("Offer" by default).
pub async fn offer_stage(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Option<Stage>, sqlx::Error> {
    Ok(stage::pipeline(conn, requirement)
        .await?
        .into_iter()
        .filter(|s| s.kind == StageKind::Active)
        .max_by_key(|s| s.position))
}

/// Puts the application in `to`, with the move's row; `reason` is set on
/// a rejection and cleared otherwise.
async fn set_stage(
    conn: &mut PgConnection,
    by: Option<Uuid>,
    a: &Application,
    to: &Stage,
    reason: Option<(&Reason, &str)>,
) -> Result<(), sqlx::Error> {
    // The move and its line in the history in one statement: a round trip
    // less on the recruiters' most frequent change.
    sqlx::query(
        "with moved as (
           update applications set stage_id = $2, stage_entered_at = now(), rejection_reason_id = $3,
                  rejection_note = $4, version = version + 1, updated_at = now()
            where id = $1
           returning id)
         insert into application_stage_changes (application_id, from_stage_id, to_stage_id, moved_by)
         select id, $5, $2, $6 from moved",
    )
    .bind(a.id)
    .bind(to.id)
    .bind(reason.map(|(r, _)| r.id))
    .bind(reason.map(|(_, note)| note).filter(|n| !n.is_empty()))
    .bind(a.stage_id)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The longest note kept with a rejection.
pub const NOTE_MAX: usize = 2_000;

/// A rejection as the form gives it: a reason from the list, and a note.
pub struct Rejection {
    pub reason: ReasonId,
    pub note: String,
    /// Mail the candidate, this long after: time enough to cancel.
    pub mail_in: Option<std::time::Duration>,
}

impl Rejection {
    /// The form's reason and note; `mail_in` when its "email them" box is
    /// ticked.
    pub fn parse(
        reason: &str,
        note: &str,
        mail_in: Option<std::time::Duration>,
    ) -> Result<Rejection, FieldErrors> {
        let mut e = FieldErrors::default();
        let reason = reason.trim().parse().ok();
        if reason.is_none() {
            e.add("reason_id", "Choose a reason.");
        }
        let note = optional_text(&mut e, "note", note, NOTE_MAX);
        match reason {
            Some(reason) if e.is_empty() => Ok(Rejection {
                reason,
                note,
                mail_in,
            }),
            _ => Err(e),
        }
    }
}

/// Ends the application with a reason: at the rejected stage when we
/// rejected them, the withdrawn one when they withdrew. `from` is the stage
/// the person saw it in.
pub async fn reject(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    a: &Locked,
    from: StageId,
    rejection: &Rejection,
) -> Result<(), Error> {
    if a.stage_id != from {
        return Err(moved_meanwhile(conn, a).await);
    }
    if a.stage_kind == StageKind::Hired || a.stage_kind.is_end() {
        return Err(Error::refused(format!(
            "{} is {} already.",
            a.candidate_name,
            a.stage_name.to_lowercase()
        )));
    }
    if !rejection.note.is_empty() {
        super::candidate::takes_data_unheld(&mut *conn, a.candidate_id)
            .await
            .map_err(|e| e.beside("note"))?;
    }
    let reason = stage::reason(&mut *conn, rejection.reason)
        .await?
        .ok_or_else(|| Error::field("reason_id", "Choose one of the reasons."))?;
    let end = stage::pipeline(&mut *conn, a.requirement_id)
        .await?
        .into_iter()
        .find(|s| s.kind == reason.side.end())
        .ok_or_else(|| Error::refused("This requirement's pipeline has no stage to end in."))?;
    set_stage(
        &mut *conn,
        Some(who.user),
        a,
        &end,
        Some((&reason, &rejection.note)),
    )
    .await?;
    let mut c = Changes::new()
        .field("stage", &a.stage_name, &end.name)
        .created("reason", &reason.label)
        .personal("note", !rejection.note.is_empty());
    if let Some(delay) = rejection.mail_in {
        let to: String = sqlx::query_scalar(
            "select email from candidate_emails where candidate_id = $1 order by position, email limit 1",
        )
        .bind(a.candidate_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            Error::field(
                "notify",
                format!("{} has no email address to write to.", a.candidate_name),
            )
        })?;
        let withdrawn = reason.side == Side::TheyWithdrew;
        let letter = mail.rejection(&to, &a.candidate_name, &a.title, withdrawn)?;
        outbox::queue_later(&mut *conn, &letter, delay, Some(a.id.uuid())).await?;
        c = c.personal("mail_to", true);
    }
    audit::record(
        &mut *conn,
        who.actor,
        audit::Action::ApplicationRejected,
        audit::Entity::Application,
        Some(a.id.uuid()),
        c,
    )
    .await?;
    let what = format!("{}: {}", end.name.to_lowercase(), reason.label);
    let notice = notice(a, Event::ApplicationRejected, &what, Some(who.user));
    notify::tell(&mut *conn, mail, &notice, &a.people_but(Some(who.user))).await?;
    notify::changed(conn, board_subject(a.requirement_id)).await?;
    Ok(())
}

/// Undoes a rejection (or a withdrawal): back to the stage it ended from.
/// Returns that stage's name.
pub async fn unreject(conn: &mut PgConnection, who: Who<'_>, a: &Locked) -> Result<String, Error> {
    if !a.stage_kind.is_end() {
        return Err(Error::refused(format!(
            "{} is not rejected: they are at {}.",
            a.candidate_name, a.stage_name
        )));
    }
    // The stage it was in before it ended, if that is still in its
    // pipeline; else the first stage.
    let before: Option<StageId> = sqlx::query_scalar(
        "select from_stage_id from application_stage_changes
          where application_id = $1 and to_stage_id = $2 order by id desc limit 1",
    )
    .bind(a.id)
    .bind(a.stage_id)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let pipeline = stage::pipeline(&mut *conn, a.requirement_id).await?;
    let back = pipeline
        .iter()
        .find(|s| Some(s.id) == before && s.kind == StageKind::Active)
        .or_else(|| pipeline.iter().find(|s| s.kind == StageKind::Active))
        .ok_or_else(|| Error::refused("This requirement's pipeline has no stage to return to."))?;
    set_stage(&mut *conn, Some(who.user), a, back, None).await?;
    // The rejection mail, if it is still waiting, goes no more.
    let cancelled = outbox::cancel(&mut *conn, a.id.uuid()).await?;
    let c = Changes::new()
        .field("stage", &a.stage_name, &back.name)
        .field("reason", &a.rejection, &None)
        .field("mail_cancelled", &false, &cancelled);
    audit::record(
        &mut *conn,
        who.actor,
        audit::Action::ApplicationUnrejected,
        audit::Entity::Application,
        Some(a.id.uuid()),
        c,
    )
    .await?;
    notify::changed(conn, board_subject(a.requirement_id)).await?;
    Ok(back.name.clone())
}

/// How long a rejection mail waits, in words: "10 minutes", "1 minute".
pub fn mail_wait(delay: std::time::Duration) -> String {
    match delay.as_secs().div_ceil(60) {
        1 => "1 minute".into(),
        n => format!("{n} minutes"),
    }
}

/// Stops the rejection mail waiting to go to the application's candidate.
pub async fn cancel_mail(conn: &mut PgConnection, who: Who<'_>, a: &Locked) -> Result<(), Error> {
    if !outbox::cancel(&mut *conn, a.id.uuid()).await? {
        return Err(Error::refused(
            "The email is no longer waiting: it has gone, or was cancelled.",
        ));
    }
    audit::record(
        conn,
        who.actor,
        audit::Action::ApplicationMailCancelled,
        audit::Entity::Application,
        Some(a.id.uuid()),
        Changes::new().field("mail_cancelled", &false, &true),
    )
    .await?;
    Ok(())
}

/// One move in an application's stage history.
#[derive(Debug, serde::Deserialize)]
pub struct Move {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub moved_by: Option<String>,
    pub at: DateTime<Utc>,
    /// Until the next move (none yet: now): the time spent in `to_stage`.
    #[serde(skip)]
    pub left_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn time_in_stage_reads_as_a_card_says_it() {
        let now = Utc::now();
        assert_eq!(time_in_stage(now - Duration::minutes(5), now), "5 min");
        assert_eq!(time_in_stage(now - Duration::hours(47), now), "47 h");
        assert_eq!(time_in_stage(now - Duration::days(3), now), "3 d");
        assert_eq!(time_in_stage(now + Duration::minutes(5), now), "0 min");
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        let e = Rejection::parse("", "x", None).err().unwrap();
        assert_eq!(e.get("reason_id"), Some("Choose a reason."));
        let e = Rejection::parse("not-an-id", &"x".repeat(NOTE_MAX + 1), None)
            .err()
            .unwrap();
        assert!(e.get("note").is_some());
        let id = Uuid::new_v4().to_string();
        assert_eq!(Rejection::parse(&id, " ok ", None).unwrap().note, "ok");
    }
}
