//! Requirements (requisitions) as stored: the row, its reference code, and
//! the SQL that creates, changes, finds and deletes it.

use crate::domain::Error;
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::kernel::range;
use crate::domain::messaging::Letters;
use crate::domain::requisition::form::RequirementFields;
use crate::domain::requisition::lifecycle::{Action, Status, transition};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A requirement's id (see [`crate::domain::id`]).
pub type RequirementId = crate::domain::id::Id<Requirement>;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Requirement {
    pub id: RequirementId,
    pub reference: String,
    pub title: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub job_level_id: Uuid,
    pub job_level_name: String,
    pub band_min: i64,
    pub band_max: i64,
    pub band_currency: String,
    pub level_rank: i32,
    pub hiring_manager_id: Uuid,
    pub hiring_manager_name: String,
    pub recruiter_id: Option<Uuid>,
    pub recruiter_name: Option<String>,
    pub headcount: i32,
    pub employment_type: String,
    pub location: String,
    pub remote_policy: String,
    pub salary_min: i64,
    pub salary_max: i64,
    pub currency: String,
    pub reason: String,
    pub replaces: String,
    pub target_start: Option<NaiveDate>,
    pub priority: String,
    pub description: String,
    pub skills: Vec<String>,
    pub confidential: bool,
    pub status: Status,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Requirement {
    /// The people named on it: they (and admins) see it when confidential.
    pub fn names(&self, user: Uuid) -> bool {
        user == self.hiring_manager_id || user == self.created_by || self.recruiter_id == Some(user)
    }

    /// Who hears of what happens to it (its hiring manager and recruiter),
    /// but not `actor`: nobody is told of their own doing.
    pub fn people_but(&self, actor: Option<Uuid>) -> Vec<Uuid> {
        let mut people = vec![self.hiring_manager_id];
        people.extend(self.recruiter_id);
        people.dedup();
        people.retain(|p| Some(*p) != actor);
        people
    }

    pub fn visible_to(&self, user: Uuid, roles: &[Role]) -> bool {
        !self.confidential || self.names(user) || allows(roles, Permission::AdministerRequirements)
    }

    /// Who may edit it now: its hiring manager (or creator) and admins,
    /// except while approvers are looking at it (admins only, to mend) and
    /// once it is final. An approved requirement stays editable: a material
    /// edit goes back to approval ([`is_material`]).
    pub fn editable_by(&self, user: Uuid, roles: &[Role]) -> bool {
        let admin = allows(roles, Permission::AdministerRequirements);
        let own = user == self.hiring_manager_id || user == self.created_by;
        match self.status {
            Status::PendingApproval => admin,
            s if s.is_final() => false,
            _ => own || admin || self.sourcing_only(user, roles),
        }
    }

    /// Whether `user` edits only its sourcing fields
    /// ([`RequirementForm::sourcing_edit`]): the recruiter named on it once
    /// it is approved, unless they may edit it all anyway.
    pub fn sourcing_only(&self, user: Uuid, roles: &[Role]) -> bool {
        let admin = allows(roles, Permission::AdministerRequirements);
        let own = user == self.hiring_manager_id || user == self.created_by;
        self.recruiter_id == Some(user) && self.approved() && !own && !admin
    }

    /// Whether an edit now must be approved again before it counts.
    pub fn approved(&self) -> bool {
        matches!(
            self.status,
            Status::Approved | Status::Open | Status::OnHold
        )
    }

    /// "80,000–95,000 EUR".
    pub fn salary_range(&self) -> String {
        range(self.salary_min, self.salary_max, &self.currency)
    }

    /// The level's band, as [`Requirement::salary_range`].
    pub fn band_range(&self) -> String {
        range(self.band_min, self.band_max, &self.band_currency)
    }

    /// True when the salary range reaches above the level's band.
    pub fn above_band(&self) -> bool {
        self.salary_max > self.band_max
    }

    /// Who runs its recruiting (opens, holds, fills or closes openings):
    /// its hiring manager (or creator), its recruiter and admins.
    pub fn recruited_by(&self, user: Uuid, roles: &[Role]) -> bool {
        self.names(user) || allows(roles, Permission::AdministerRequirements)
    }

    /// The actions `user` may take now: those the state allows and
    /// [`Requirement::may`] lets them ask for.
    pub fn actions_for(&self, user: Uuid, roles: &[Role]) -> Vec<Action> {
        [
            Action::Submit,
            Action::Open,
            Action::Hold,
            Action::Resume,
            Action::Cancel,
        ]
        .into_iter()
        .filter(|a| transition(self.status, *a).is_some())
        .filter(|a| self.may(user, roles, *a))
        .collect()
    }

    /// Whether `user` may ask for `action` at all, whatever the state: the
    /// answer to "is this theirs to do" comes before "is it possible now",
    /// so a refusal by role is a 403 in every state. Decisions (approve,
    /// reject, …) and their consequences belong to the approval engine,
    /// never to a person's request.
    pub fn may(&self, user: Uuid, roles: &[Role], action: Action) -> bool {
        let admin = allows(roles, Permission::AdministerRequirements);
        let own = user == self.hiring_manager_id || user == self.created_by;
        match action {
            Action::Submit | Action::Cancel | Action::SubmitChange => own || admin,
            Action::Open | Action::Hold | Action::Resume => self.recruited_by(user, roles),
            Action::Approve
            | Action::Reject
            | Action::RequestChanges
            | Action::Fill
            | Action::DeclineChange => false,
        }
    }
}

/// The select shared by requirement queries (a macro so `concat!` yields
/// `&'static str` SQL).
macro_rules! requirement_select {
    () => {
        "select r.id, r.reference, r.title, r.department_id, d.name as department_name,
                r.job_level_id, l.name as job_level_name, l.salary_min as band_min, l.salary_max as band_max,
                l.currency as band_currency, l.rank as level_rank, r.hiring_manager_id, hm.full_name as hiring_manager_name,
                r.recruiter_id, rc.full_name as recruiter_name, r.headcount, r.employment_type, r.location,
                r.remote_policy, r.salary_min, r.salary_max, r.currency, r.reason, r.replaces, r.target_start,
                r.priority, r.description, r.skills, r.confidential, r.status, r.created_by, r.version,
                r.created_at, r.updated_at
           from requirements r
           join departments d on d.id = r.department_id
           join job_levels l on l.id = r.job_level_id
           join users hm on hm.id = r.hiring_manager_id
           left join users rc on rc.id = r.recruiter_id "
    };
}

pub async fn find(
    conn: &mut PgConnection,
    id: RequirementId,
) -> Result<Option<Requirement>, sqlx::Error> {
    sqlx::query_as(concat!(
        requirement_select!(),
        "where r.id = $1 and r.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The requirement a person typed: its reference code (any case) or id.
pub async fn by_reference(
    conn: &mut PgConnection,
    text: &str,
) -> Result<Option<RequirementId>, sqlx::Error> {
    let text = text.trim().replace('\0', "");
    if let Ok(id) = text.parse() {
        return Ok(Some(id));
    }
    sqlx::query_scalar(
        "select id from requirements where reference = upper($1) and deleted_at is null",
    )
    .bind(text)
    .fetch_optional(conn)
    .await
}

/// The requirements open for recruiting that `user` works on (as hiring
/// manager or recruiter), newest first: what a form suggests.
pub async fn recruiting_for(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<crate::domain::kernel::NameOf>, sqlx::Error> {
    // One index per role (the requirements_recruiting_* partial indexes),
    // newest first in each, then merged: one scan filtered on the three
    // columns read thousands of rows to find fifty.
    sqlx::query_as(
        "select id, name from (
            (select id, reference || ' ' || title as name, created_at from requirements
              where recruiter_id = $1 and status in ('open', 'on_hold') and deleted_at is null
              order by created_at desc limit 50)
            union
            (select id, reference || ' ' || title, created_at from requirements
              where hiring_manager_id = $1 and status in ('open', 'on_hold') and deleted_at is null
              order by created_at desc limit 50)
            union
            (select id, reference || ' ' || title, created_at from requirements
              where created_by = $1 and status in ('open', 'on_hold') and deleted_at is null
              order by created_at desc limit 50)) mine
          order by created_at desc limit 50",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

/// Of `users`, those who may see requirement `id`: whom
/// [`Requirement::visible_to`] lets see it, and the approvers of its tasks,
/// whose approval page shows it. For live updates, which must not tell
/// anyone else that a confidential requirement changed.
pub async fn seen_by(
    conn: &mut PgConnection,
    id: RequirementId,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let Some(r) = find(&mut *conn, id).await? else {
        return Ok(Vec::new());
    };
    if !r.confidential {
        return Ok(users.to_vec());
    }
    let subject = crate::domain::approval::SubjectRef::new(
        crate::domain::approval::SubjectKind::Requirement,
        id.uuid(),
    );
    crate::domain::approval::subject::seen_by(conn, subject, users, |user, roles| {
        r.visible_to(user, roles)
    })
    .await
}

/// The next reference code of this year, e.g. HH-2026-0042.
async fn next_reference(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    let year = Utc::now().year();
    let n: i32 = sqlx::query_scalar(
        "insert into requirement_counters (year, last) values ($1, 1)
         on conflict (year) do update set last = requirement_counters.last + 1 returning last",
    )
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(format!("HH-{year}-{n:04}"))
}

fn changes(before: Option<&RequirementFields>, f: &RequirementFields) -> Changes {
    macro_rules! fields {
        ($($name:ident),*) => {{
            let mut c = Changes::new();
            $(c = match before {
                Some(b) => c.field(stringify!($name), &b.$name, &f.$name),
                None => c.created(stringify!($name), &f.$name),
            };)*
            c
        }};
    }
    fields!(
        title,
        department_id,
        job_level_id,
        hiring_manager_id,
        recruiter_id,
        headcount,
        employment_type,
        location,
        remote_policy,
        salary_min,
        salary_max,
        currency,
        reason,
        replaces,
        target_start,
        priority,
        description,
        skills,
        confidential
    )
}

/// Whether going from `before` to `after` changes what the approvers agreed
/// to (DOMAIN.md): more heads, a higher salary ceiling, another level or
/// department. Anything else is saved without a new approval.
pub fn is_material(before: &RequirementFields, after: &RequirementFields) -> bool {
    after.headcount > before.headcount
        || after.salary_max > before.salary_max
        || after.job_level_id != before.job_level_id
        || after.department_id != before.department_id
}

impl Requirement {
    pub fn fields(&self) -> RequirementFields {
        RequirementFields {
            title: self.title.clone(),
            department_id: self.department_id,
            job_level_id: self.job_level_id,
            hiring_manager_id: self.hiring_manager_id,
            recruiter_id: self.recruiter_id,
            headcount: self.headcount,
            employment_type: self.employment_type.clone(),
            location: self.location.clone(),
            remote_policy: self.remote_policy.clone(),
            salary_min: self.salary_min,
            salary_max: self.salary_max,
            currency: self.currency.clone(),
            reason: self.reason.clone(),
            replaces: self.replaces.clone(),
            target_start: self.target_start,
            priority: self.priority.clone(),
            description: self.description.clone(),
            skills: self.skills.clone(),
            confidential: self.confidential,
        }
    }
}

/// Binds the fields as parameters $3 to $21, the order both the insert and
/// the update use ($1 and $2 are theirs).
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    f: &'q RequirementFields,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(&f.title)
        .bind(f.department_id)
        .bind(f.job_level_id)
        .bind(f.hiring_manager_id)
        .bind(f.recruiter_id)
        .bind(f.headcount)
        .bind(&f.employment_type)
        .bind(&f.location)
        .bind(&f.remote_policy)
        .bind(f.salary_min)
        .bind(f.salary_max)
        .bind(&f.currency)
        .bind(&f.reason)
        .bind(&f.replaces)
        .bind(f.target_start)
        .bind(&f.priority)
        .bind(&f.description)
        .bind(&f.skills)
        .bind(f.confidential)
}

/// Creates a draft with its reference code.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &RequirementFields,
) -> Result<RequirementId, Error> {
    let reference = next_reference(&mut *conn).await?;
    let row = bind_fields(
        sqlx::query(
            "insert into requirements (reference, created_by, title, department_id, job_level_id, hiring_manager_id,
                    recruiter_id, headcount, employment_type, location, remote_policy, salary_min, salary_max,
                    currency, reason, replaces, target_start, priority, description, skills, confidential)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
             returning id",
        )
        .bind(&reference)
        .bind(actor.user_id),
        f,
    )
    .fetch_one(&mut *conn)
    .await?;
    let id: RequirementId = sqlx::Row::try_get(&row, "id")?;
    let c = changes(None, f).created("reference", &reference);
    audit::record(
        conn,
        actor,
        audit::Action::RequirementCreated,
        audit::Entity::Requirement,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(id)
}

/// Tells the requirement's people but the actor that it `what` (an
/// [`Event`] of its life: drafted, submitted, opened).
pub async fn announce(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    id: RequirementId,
    event: Event,
    what: &str,
) -> Result<(), Error> {
    let r = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let notice = Notice::about(event, &r.named(), what, actor.user_id);
    notify::tell(conn, mail, &notice, &r.people_but(actor.user_id)).await
}

/// Saves an edit, refusing it if the requirement changed since `version`.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RequirementId,
    version: i32,
    f: &RequirementFields,
) -> Result<(), Error> {
    let before = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let done = bind_fields(
        sqlx::query(
        "update requirements set title = $3, department_id = $4, job_level_id = $5, hiring_manager_id = $6,
                recruiter_id = $7, headcount = $8, employment_type = $9, location = $10, remote_policy = $11,
                salary_min = $12, salary_max = $13, currency = $14, reason = $15, replaces = $16,
                target_start = $17, priority = $18, description = $19, skills = $20, confidential = $21,
                version = version + 1, updated_at = now()
          where id = $1 and version = $2 and deleted_at is null",
        )
        .bind(id)
        .bind(version),
        f,
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::Requirement, id.uuid(), version).await);
    }
    // Read after the update took the row's lock, which settling an opening
    // takes too: no hire slips in between.
    let filled = crate::domain::requisition::opening::filled(&mut *conn, id).await?;
    if i64::from(f.headcount) < filled {
        return Err(Error::field(
            "headcount",
            format!("{filled} openings are filled already: the headcount can't be lower."),
        ));
    }
    // Fewer heads: the newest open openings close, so openings never
    // outnumber the headcount.
    sqlx::query(
        "update openings set status = 'closed', closed_reason = 'headcount reduced', updated_at = now()
          where id in (select id from openings where requirement_id = $1 and status = 'open'
                        order by created_at desc, id
                        limit greatest((select count(*) from openings
                                         where requirement_id = $1 and status <> 'closed') - $2, 0))",
    )
    .bind(id)
    .bind(f.headcount)
    .execute(&mut *conn)
    .await?;
    crate::domain::activity::notify::changed(
        &mut *conn,
        crate::domain::requisition::approval_subject::subject(id),
    )
    .await?;
    let c = changes(Some(&before.fields()), f).field("version", &version, &(version + 1));
    audit::record(
        &mut *conn,
        actor,
        audit::Action::RequirementUpdated,
        audit::Entity::Requirement,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(())
}

/// Soft delete (admins): the row stays for the audit trail. Its approval
/// in progress, if any, is called off with it.
pub async fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RequirementId,
) -> Result<(), Error> {
    let done = sqlx::query("update requirements set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        conn,
        actor,
        audit::Action::RequirementDeleted,
        audit::Entity::Requirement,
        Some(id.uuid()),
        Changes::new().field("deleted", &false, &true),
    )
    .await?;
    crate::domain::approval::cancel(conn, actor, super::approval_subject::subject(id)).await?;
    Ok(())
}

/// Live requirements that look like `r` (same title, department and level),
/// shown as a warning before submitting: a warning, never a block.
pub async fn possible_duplicates(
    conn: &mut PgConnection,
    r: &Requirement,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "select id, reference from requirements
          where id <> $1 and deleted_at is null and lower(title) = lower($2)
            and department_id = $3 and job_level_id = $4
            and status in ('pending_approval', 'approved', 'open', 'on_hold')
          order by created_at",
    )
    .bind(r.id)
    .bind(&r.title)
    .bind(r.department_id)
    .bind(r.job_level_id)
    .fetch_all(conn)
    .await
}
