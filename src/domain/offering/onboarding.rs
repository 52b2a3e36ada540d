//! Onboarding: checklist templates kept by admins (one per department and
//! a default: tasks with an owner and a due day relative to the start
//! date), and each hire's checklist made from one when their offer is
//! accepted. Owners are told, tick tasks off on the hire's page or their
//! own list, and are reminded of overdue ones.

use super::{Offer, OfferId};
use crate::domain::Error;
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::{self, Actor, Changes, Entity};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::id::Id;
use crate::domain::kernel::{FieldErrors, optional_id, required_text};
use crate::domain::messaging::Letters;
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

pub type TemplateId = Id<Template>;
pub type OnboardingId = Id<Onboarding>;
pub type TaskId = Id<Task>;

/// Who owns a task, as the template names them: the hire's own hiring
/// manager or recruiter, everyone with a role, or a person.
pub const OWNER_ROLES: [(&str, &str); 4] = [
    ("hiring_manager", "The hiring manager"),
    ("recruiter", "The recruiter"),
    ("admin", "Admins (IT, facilities)"),
    ("approver", "Approvers (finance)"),
];

/// One task of a template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateTask {
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub owner_role: Option<String>,
    pub due_days: i32,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub version: i32,
    pub tasks: Json<Vec<TemplateTask>>,
}

macro_rules! template_select {
    () => {
        "select t.id, t.name, t.department_id, d.name as department_name, t.version,
                coalesce((select jsonb_agg(jsonb_build_object('title', k.title, 'owner_id', k.owner_id,
                                 'owner_role', k.owner_role, 'due_days', k.due_days) order by k.position)
                            from onboarding_template_tasks k where k.template_id = t.id), '[]') as tasks
           from onboarding_templates t left join departments d on d.id = t.department_id "
    };
}

/// Every template: the default first, then by department.
pub async fn templates(conn: &mut PgConnection) -> Result<Vec<Template>, sqlx::Error> {
    sqlx::query_as(concat!(
        template_select!(),
        "order by t.department_id is not null, d.name"
    ))
    .fetch_all(conn)
    .await
}

pub async fn template(
    conn: &mut PgConnection,
    id: TemplateId,
) -> Result<Option<Template>, sqlx::Error> {
    sqlx::query_as(concat!(template_select!(), "where t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A template's form, kept as typed: its name, its department (empty: a
/// new department's template) and one row per task.
#[derive(Debug, Clone, Default)]
pub struct TemplateForm {
    pub name: String,
    pub department_id: String,
    pub tasks: Vec<TaskForm>,
    pub version: i32,
}

#[derive(Debug, Clone, Default)]
pub struct TaskForm {
    pub title: String,
    /// "role:<role>" or "user:<id>".
    pub owner: String,
    pub due_days: String,
}

impl TaskForm {
    pub fn of(t: &TemplateTask) -> TaskForm {
        TaskForm {
            title: t.title.clone(),
            owner: match (&t.owner_role, t.owner_id) {
                (Some(r), _) => format!("role:{r}"),
                (None, Some(u)) => format!("user:{u}"),
                (None, None) => String::new(),
            },
            due_days: t.due_days.to_string(),
        }
    }
}

impl TemplateForm {
    pub fn of(t: &Template) -> TemplateForm {
        TemplateForm {
            name: t.name.clone(),
            department_id: t.department_id.map(|d| d.to_string()).unwrap_or_default(),
            tasks: t.tasks.iter().map(TaskForm::of).collect(),
            version: t.version,
        }
    }

    /// The tasks, or each problem beside its row's field (`tasks-2-title`).
    fn parse(&self) -> Result<(String, Option<Uuid>, Vec<TemplateTask>), FieldErrors> {
        let mut e = FieldErrors::default();
        let name = required_text(&mut e, "name", &self.name, 120, "Name the checklist.");
        let department = optional_id(&mut e, "department_id", &self.department_id);
        let mut tasks = Vec::new();
        for (n, t) in self.tasks.iter().enumerate() {
            if t.title.trim().is_empty()
                && t.owner.trim().is_empty()
                && t.due_days.trim().is_empty()
            {
                continue;
            }
            let mut te = FieldErrors::default();
            let title = required_text(&mut te, "title", &t.title, 200, "Say what is to be done.");
            let (owner_role, owner_id) = match t.owner.split_once(':') {
                Some(("role", r)) if OWNER_ROLES.iter().any(|(k, _)| *k == r) => {
                    (Some(r.to_owned()), None)
                }
                Some(("user", u)) if u.parse::<Uuid>().is_ok() => (None, u.parse().ok()),
                _ => {
                    te.add("owner", "Choose who does it.");
                    (None, None)
                }
            };
            let due_days = match t.due_days.trim().parse::<i32>() {
                Ok(d) if (-365..=365).contains(&d) => d,
                _ => {
                    te.add("due_days", "Enter days from the start date, like -5 or 30.");
                    0
                }
            };
            e.nest("tasks", n, te);
            tasks.push(TemplateTask {
                title,
                owner_id,
                owner_role,
                due_days,
            });
        }
        if tasks.is_empty() && e.is_empty() {
            e.add("tasks", "Add at least one task.");
        }
        e.into_result(|| (name, department, tasks))
    }
}

/// Saves a template: `id` None makes a department's own. Refused when the
/// department has one already, or someone saved it since `form.version`.
pub async fn save_template(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Option<TemplateId>,
    form: &TemplateForm,
) -> Result<TemplateId, Error> {
    let (name, department, tasks) = form.parse()?;
    let people: Vec<Uuid> = tasks.iter().filter_map(|t| t.owner_id).collect();
    let known: i64 = sqlx::query_scalar(
        "select count(*) from users where id = any($1) and deactivated_at is null",
    )
    .bind(&people)
    .fetch_one(&mut *conn)
    .await?;
    if known != people.len() as i64 {
        return Err(Error::field(
            "tasks",
            "Choose owners among the active users.",
        ));
    }
    let id = match id {
        Some(id) => {
            let before = template(&mut *conn, id).await?.ok_or(Error::NotFound)?;
            if before.version != form.version {
                return Err(Error::stale(
                    conn,
                    Entity::OnboardingTemplate,
                    id.uuid(),
                    form.version,
                )
                .await);
            }
            sqlx::query("update onboarding_templates set name = $2, version = version + 1, updated_at = now() where id = $1")
                .bind(id)
                .bind(&name)
                .execute(&mut *conn)
                .await?;
            sqlx::query("delete from onboarding_template_tasks where template_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            id
        }
        None => {
            let Some(department) = department else {
                return Err(Error::field(
                    "department_id",
                    "Choose the department it is for.",
                ));
            };
            sqlx::query_scalar(
                "insert into onboarding_templates (name, department_id) values ($1, $2) returning id",
            )
            .bind(&name)
            .bind(department)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| Error::taken(e, "department_id", "That department has its own checklist already: change that one."))?
        }
    };
    for (n, t) in tasks.iter().enumerate() {
        sqlx::query(
            "insert into onboarding_template_tasks (template_id, position, title, owner_id, owner_role, due_days)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(n as i32 + 1)
        .bind(&t.title)
        .bind(t.owner_id)
        .bind(&t.owner_role)
        .bind(t.due_days)
        .execute(&mut *conn)
        .await?;
    }
    let c = Changes::new()
        .field("version", &form.version, &(form.version + 1))
        .created("name", &name)
        .created("tasks", &tasks.len());
    audit::record(
        conn,
        actor,
        audit::Action::OnboardingTemplateSaved,
        Entity::OnboardingTemplate,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Onboarding {
    pub id: OnboardingId,
    pub offer_id: OfferId,
    pub start_date: NaiveDate,
    pub candidate_id: Uuid,
    pub candidate_name: String,
    pub requirement_id: RequirementId,
    pub reference: String,
    pub title: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: TaskId,
    pub onboarding_id: OnboardingId,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub owner_role: Option<String>,
    pub owner_name: Option<String>,
    pub due_on: NaiveDate,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by_name: Option<String>,
    pub version: i32,
    /// Whose hire it is, for the owner's list.
    pub candidate_name: String,
}

impl Task {
    /// "Maria Lopez", "Admins (IT, facilities)".
    pub fn owner(&self) -> String {
        match (&self.owner_name, &self.owner_role) {
            (Some(n), _) => n.clone(),
            (None, Some(r)) => crate::domain::kernel::label(&OWNER_ROLES, r).to_owned(),
            (None, None) => "—".into(),
        }
    }

    pub fn overdue(&self, today: &NaiveDate) -> bool {
        self.done_at.is_none() && self.due_on < *today
    }

    /// Whether `user` (with `roles`) owns it.
    pub fn owned_by(&self, user: Uuid, roles: &[Role]) -> bool {
        self.owner_id == Some(user)
            || self
                .owner_role
                .as_deref()
                .and_then(Role::parse)
                .is_some_and(|r| roles.contains(&r))
    }
}

macro_rules! task_select {
    () => {
        "select k.id, k.onboarding_id, k.title, k.owner_id, k.owner_role, u.full_name as owner_name, k.due_on,
                k.done_at, d.full_name as done_by_name, k.version, c.full_name as candidate_name
           from onboarding_tasks k
           join onboardings b on b.id = k.onboarding_id
           join offers o on o.id = b.offer_id
           join applications a on a.id = o.application_id
           join candidates c on c.id = a.candidate_id
           left join users u on u.id = k.owner_id
           left join users d on d.id = k.done_by "
    };
}

/// Begins the onboarding of an accepted offer's hire: the checklist of its
/// department's template (or the default), each owner told.
pub async fn start(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn Letters,
    o: &Offer,
) -> Result<OnboardingId, Error> {
    // The department's template (or the default), its tasks copied in one
    // statement: the hire's own hiring manager and recruiter by name (the
    // recruiter, when it has none, is who drafted the offer), other roles
    // as roles. Returns the onboarding and who owns its tasks, people in
    // those roles included.
    #[derive(sqlx::FromRow)]
    struct Started {
        id: OnboardingId,
        tasks: i64,
        owners: Vec<Uuid>,
    }
    let started: Started = sqlx::query_as(
        "with template as (
           select id from onboarding_templates
            where department_id = $2 or department_id is null
            order by department_id is null limit 1),
         made as (
           insert into onboardings (offer_id, template_id, start_date)
           select $1, (select id from template), $3 returning id),
         tasks as (
           insert into onboarding_tasks (onboarding_id, position, title, owner_id, owner_role, due_on)
           select m.id, k.position, k.title,
                  case when k.owner_id is not null then k.owner_id
                       when k.owner_role = 'hiring_manager' then $4
                       when k.owner_role = 'recruiter' then $5 end,
                  case when k.owner_id is null and k.owner_role not in ('hiring_manager', 'recruiter')
                       then k.owner_role end,
                  $3 + k.due_days
             from made m cross join onboarding_template_tasks k
            where k.template_id = (select id from template)
           returning owner_id, owner_role)
         select (select id from made) as id, (select count(*) from tasks) as tasks,
                array(select owner_id from tasks where owner_id is not null
                      union
                      select u.id from users u
                       where u.deactivated_at is null
                         and u.roles && array(select owner_role from tasks where owner_role is not null))
                  as owners",
    )
    .bind(o.id)
    .bind(o.department_id)
    .bind(o.terms.start_date)
    .bind(o.hiring_manager_id)
    .bind(o.recruiter_id.unwrap_or(o.created_by))
    .fetch_one(&mut *conn)
    .await?;
    let (id, owners) = (started.id, started.owners);
    let notice = Notice {
        event: Event::OnboardingTaskDue,
        subject_type: "offer",
        subject_id: o.id.uuid(),
        text: format!(
            "{} starts on {}: onboarding tasks for you",
            o.candidate_name,
            o.terms.start_date.format("%-d %B %Y")
        ),
        link: format!("/onboarding/{id}"),
        actor: actor.user_id,
    };
    notify::tell(&mut *conn, mail, &notice, &owners).await?;
    let c = Changes::new()
        .created("offer_id", &o.id)
        .created("tasks", &started.tasks);
    audit::record(
        conn,
        actor,
        audit::Action::OnboardingStarted,
        Entity::Offer,
        Some(o.id.uuid()),
        c,
    )
    .await?;
    Ok(id)
}

async fn with_role(conn: &mut PgConnection, role: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from users where deactivated_at is null and $1 = any(roles)")
        .bind(role)
        .fetch_all(conn)
        .await
}

pub async fn find(
    conn: &mut PgConnection,
    id: OnboardingId,
) -> Result<Option<Onboarding>, sqlx::Error> {
    sqlx::query_as(
        "select b.id, b.offer_id, b.start_date, a.candidate_id, c.full_name as candidate_name,
                a.requirement_id, r.reference, r.title
           from onboardings b
           join offers o on o.id = b.offer_id
           join applications a on a.id = o.application_id
           join candidates c on c.id = a.candidate_id
           join requirements r on r.id = a.requirement_id
          where b.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The onboarding of an offer, if it was accepted.
pub async fn of_offer(
    conn: &mut PgConnection,
    offer: OfferId,
) -> Result<Option<OnboardingId>, sqlx::Error> {
    sqlx::query_scalar("select id from onboardings where offer_id = $1")
        .bind(offer)
        .fetch_optional(conn)
        .await
}

/// The checklist, in order.
pub async fn tasks(conn: &mut PgConnection, id: OnboardingId) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query_as(concat!(
        task_select!(),
        "where k.onboarding_id = $1 order by k.position"
    ))
    .bind(id)
    .fetch_all(conn)
    .await
}

/// What `user` has to do, soonest first: open tasks they own by name or
/// by role, and those done in the last week.
pub async fn owned_by(
    conn: &mut PgConnection,
    user: Uuid,
    roles: &[Role],
) -> Result<Vec<Task>, sqlx::Error> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    sqlx::query_as(concat!(
        task_select!(),
        "where (k.owner_id = $1 or k.owner_role = any($2))
           and (k.done_at is null or k.done_at > now() - interval '7 days')
         order by k.done_at is not null, k.due_on, k.position
         limit 500"
    ))
    .bind(user)
    .bind(&roles)
    .fetch_all(conn)
    .await
}

/// Whether `user` sees the onboarding: they see its offer, or own one of
/// its tasks.
pub async fn seen_by(
    conn: &mut PgConnection,
    id: OnboardingId,
    user: Uuid,
    roles: &[Role],
) -> Result<bool, sqlx::Error> {
    let Some(b) = find(&mut *conn, id).await? else {
        return Ok(false);
    };
    let offer = super::find(&mut *conn, b.offer_id).await?;
    if offer.is_some_and(|o| o.visible_to(user, roles)) {
        return Ok(true);
    }
    Ok(tasks(conn, id)
        .await?
        .iter()
        .any(|t| t.owned_by(user, roles)))
}

/// Task `id` (locked) with its offer, if `user` may tick it: not found
/// unless they see its offer or own it; forbidden unless they own it,
/// manage the offer, are its hiring manager or an admin.
pub async fn tickable(
    conn: &mut PgConnection,
    id: TaskId,
    user: Uuid,
    roles: &[Role],
) -> Result<(Task, Offer), Error> {
    let t: Task = sqlx::query_as(concat!(task_select!(), "where k.id = $1 for update of k"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
    let b = find(&mut *conn, t.onboarding_id)
        .await?
        .ok_or(Error::NotFound)?;
    let offer = super::find(&mut *conn, b.offer_id)
        .await?
        .ok_or(Error::NotFound)?;
    if !offer.visible_to(user, roles) && !t.owned_by(user, roles) {
        return Err(Error::NotFound);
    }
    let may = t.owned_by(user, roles)
        || offer.managed_by(user, roles)
        || offer.hiring_manager_id == user
        || allows(roles, Permission::AdministerRequirements);
    if !may {
        return Err(Error::Forbidden);
    }
    Ok((t, offer))
}

/// Ticks a task off (or, `done` false, opens it again), as [`tickable`]
/// allows.
pub async fn tick(
    conn: &mut PgConnection,
    actor: &Actor,
    user: Uuid,
    roles: &[Role],
    id: TaskId,
    done: bool,
    version: i32,
) -> Result<OnboardingId, Error> {
    let (t, offer) = tickable(&mut *conn, id, user, roles).await?;
    if t.version != version {
        return Err(Error::stale(conn, Entity::OnboardingTask, id.uuid(), version).await);
    }
    if t.done_at.is_some() == done {
        return Ok(t.onboarding_id);
    }
    sqlx::query(
        "update onboarding_tasks set done_at = case when $2 then now() end, done_by = case when $2 then $3::uuid end,
                version = version + 1
          where id = $1",
    )
    .bind(id)
    .bind(done)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    let action = if done {
        audit::Action::OnboardingTaskDone
    } else {
        audit::Action::OnboardingTaskReopened
    };
    let c = Changes::new()
        .field("version", &version, &(version + 1))
        .created("task", &t.title);
    audit::record(
        &mut *conn,
        actor,
        action,
        Entity::OnboardingTask,
        Some(id.uuid()),
        c,
    )
    .await?;
    notify::changed(conn, offer.subject()).await?;
    Ok(t.onboarding_id)
}

/// How far a hire's onboarding is: (done, total).
pub fn progress(tasks: &[Task]) -> (usize, usize) {
    (
        tasks.iter().filter(|t| t.done_at.is_some()).count(),
        tasks.len(),
    )
}

/// A hire's onboarding with its progress.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Progress {
    pub id: OnboardingId,
    pub offer_id: OfferId,
    pub candidate_name: String,
    pub start_date: NaiveDate,
    pub done: i64,
    pub total: i64,
}

macro_rules! progress_select {
    () => {
        "select b.id, b.offer_id, c.full_name as candidate_name, b.start_date,
                (select count(*) from onboarding_tasks k where k.onboarding_id = b.id and k.done_at is not null) as done,
                (select count(*) from onboarding_tasks k where k.onboarding_id = b.id) as total
           from onboardings b
           join offers o on o.id = b.offer_id
           join applications a on a.id = o.application_id
           join candidates c on c.id = a.candidate_id "
    };
}

/// The onboardings of a requirement's hires.
pub async fn of_requirement(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Progress>, sqlx::Error> {
    sqlx::query_as(concat!(
        progress_select!(),
        "where a.requirement_id = $1 order by b.start_date"
    ))
    .bind(requirement)
    .fetch_all(conn)
    .await
}

/// The onboardings of a candidate (one per accepted offer).
pub async fn of_candidate(
    conn: &mut PgConnection,
    candidate: crate::domain::recruiting::candidate::CandidateId,
) -> Result<Vec<Progress>, sqlx::Error> {
    sqlx::query_as(concat!(
        progress_select!(),
        "where a.candidate_id = $1 order by b.start_date"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await
}

/// Tells the owners of tasks past their due day, once per task (claimed by
/// a row update). Returns how many tasks were reminded of.
pub async fn remind_overdue(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    today: NaiveDate,
) -> Result<usize, Error> {
    #[derive(sqlx::FromRow)]
    struct Due {
        onboarding_id: OnboardingId,
        title: String,
        owner_id: Option<Uuid>,
        owner_role: Option<String>,
        offer_id: Uuid,
    }
    let due: Vec<Due> = sqlx::query_as(
        "update onboarding_tasks k set reminded_at = now()
           from onboardings b
          where b.id = k.onboarding_id and k.done_at is null and k.reminded_at is null and k.due_on < $1
          returning k.onboarding_id, k.title, k.owner_id, k.owner_role, b.offer_id",
    )
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    for d in &due {
        let mut to: Vec<Uuid> = d.owner_id.into_iter().collect();
        if let Some(role) = &d.owner_role {
            to.extend(with_role(&mut *conn, role).await?);
        }
        let notice = Notice {
            event: Event::OnboardingTaskDue,
            subject_type: "offer",
            subject_id: d.offer_id,
            text: format!("Onboarding task overdue: {}", d.title),
            link: format!("/onboarding/{}", d.onboarding_id),
            actor: None,
        };
        notify::tell(&mut *conn, mail, &notice, &to).await?;
    }
    Ok(due.len())
}

/// The people a template's task may name: every active user.
pub async fn owner_choices(
    conn: &mut PgConnection,
) -> Result<Vec<crate::domain::kernel::NameOf>, sqlx::Error> {
    sqlx::query_as(
        "select id, full_name as name from users where deactivated_at is null order by full_name, id",
    )
    .fetch_all(conn)
    .await
}
