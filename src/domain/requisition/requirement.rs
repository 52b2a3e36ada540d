//! Requirements (requisitions): their fields and validation, reference
//! codes, the lifecycle state machine, and the SQL that keeps them.

use crate::domain::access::allows;
use crate::domain::access::{Permission, Role};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{
    FieldErrors, SaveError, optional_date, optional_id, optional_text, required_text,
};
use crate::domain::org::Pick;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Where a requirement is in its life (DOMAIN.md, "Requirement").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    PendingApproval,
    ChangesRequested,
    Approved,
    Rejected,
    Open,
    OnHold,
    Filled,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::PendingApproval,
        Status::ChangesRequested,
        Status::Approved,
        Status::Rejected,
        Status::Open,
        Status::OnHold,
        Status::Filled,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingApproval => "pending_approval",
            Status::ChangesRequested => "changes_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Open => "open",
            Status::OnHold => "on_hold",
            Status::Filled => "filled",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::PendingApproval => "Pending approval",
            Status::ChangesRequested => "Changes requested",
            Status::Approved => "Approved",
            Status::Rejected => "Rejected",
            Status::Open => "Open",
            Status::OnHold => "On hold",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Rejected, filled and cancelled requirements never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Rejected | Status::Filled | Status::Cancelled)
    }
}

crate::text_enum!(Status);

/// What someone asks to do to a requirement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send a draft (or a requirement whose changes were requested) for approval.
    Submit,
    /// Every approval step approved (the approval engine decides this).
    Approve,
    Reject,
    RequestChanges,
    /// Publish an approved requirement: recruiting starts.
    Open,
    Hold,
    Resume,
    Cancel,
    /// Every opening is filled or closed.
    Fill,
    /// A material edit of an approved requirement goes back to approval.
    SubmitChange,
    /// The approvers declined a change: the approved values return.
    DeclineChange,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "submit" => Action::Submit,
            "open" => Action::Open,
            "hold" => Action::Hold,
            "resume" => Action::Resume,
            "cancel" => Action::Cancel,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::RequestChanges => "request_changes",
            Action::Open => "open",
            Action::Hold => "hold",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::Fill => "fill",
            Action::SubmitChange => "submit_change",
            Action::DeclineChange => "decline_change",
        }
    }

    /// The button that asks for it.
    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "Submit for approval",
            Action::Approve => "Approve",
            Action::Reject => "Reject",
            Action::RequestChanges => "Ask for changes",
            Action::Open => "Open for recruiting",
            Action::Hold => "Put on hold",
            Action::Resume => "Resume",
            Action::Cancel => "Cancel requirement",
            Action::Fill => "Mark filled",
            Action::SubmitChange => "Send the change for approval",
            Action::DeclineChange => "Decline the change",
        }
    }

    /// The flash message once it is done: a sentence, as a person says it.
    pub fn done(self) -> &'static str {
        match self {
            Action::Submit => "Submitted for approval.",
            Action::Approve => "Approved.",
            Action::Reject => "Rejected.",
            Action::RequestChanges => "Changes requested.",
            Action::Open => "Opened for recruiting.",
            Action::Hold => "Put on hold.",
            Action::Resume => "Recruiting resumed.",
            Action::Cancel => "Requirement cancelled.",
            Action::Fill => "Marked filled.",
            Action::SubmitChange => "The change went to the approvers.",
            Action::DeclineChange => "The change was declined.",
        }
    }

    /// Whether the transition must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject | Action::RequestChanges | Action::Cancel | Action::DeclineChange
        )
    }
}

/// The lifecycle, in one place: the status `action` leads to from `from`,
/// or None when the action is not allowed there.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Draft | S::ChangesRequested, A::Submit) => Some(S::PendingApproval),
        (S::PendingApproval, A::Approve) => Some(S::Approved),
        (S::PendingApproval, A::Reject) => Some(S::Rejected),
        (S::PendingApproval, A::RequestChanges) => Some(S::ChangesRequested),
        (S::Approved, A::Open) => Some(S::Open),
        (S::Open, A::Hold) => Some(S::OnHold),
        (S::OnHold, A::Resume) => Some(S::Open),
        (S::Open | S::OnHold, A::Fill) => Some(S::Filled),
        (S::Approved | S::Open | S::OnHold, A::SubmitChange) => Some(S::PendingApproval),
        (S::PendingApproval, A::DeclineChange) => Some(S::Approved),
        (s, A::Cancel) if !s.is_final() => Some(S::Cancelled),
        _ => None,
    }
}

// The choices a workflow's conditions read too live in the kernel.
pub use crate::domain::kernel::{EMPLOYMENT_TYPES, REASONS, label};

pub const REMOTE_POLICIES: [(&str, &str); 3] = [
    ("onsite", "On site"),
    ("hybrid", "Hybrid"),
    ("remote", "Remote"),
];
pub const PRIORITIES: [(&str, &str); 4] = [
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
];
/// The form as typed, kept to show again with its errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequirementForm {
    pub title: String,
    pub department_id: String,
    pub job_level_id: String,
    pub hiring_manager_id: String,
    pub recruiter_id: String,
    pub headcount: String,
    pub employment_type: String,
    pub location: String,
    pub remote_policy: String,
    pub salary_min: String,
    pub salary_max: String,
    pub currency: String,
    pub reason: String,
    pub replaces: String,
    pub target_start: String,
    pub priority: String,
    pub description: String,
    /// Comma-separated.
    pub skills: String,
    pub confidential: Option<String>,
    /// Ticked to save despite the warnings (see [`RequirementForm::parse`]).
    pub confirm: Option<String>,
    pub version: i32,
}

/// A requirement's fields, valid. Serialized, they are what an approval
/// was asked to approve.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct RequirementFields {
    pub title: String,
    pub department_id: Uuid,
    pub job_level_id: Uuid,
    pub hiring_manager_id: Uuid,
    pub recruiter_id: Option<Uuid>,
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
}

/// A job level's band, for the salary check.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub min: i64,
    pub max: i64,
}

fn choice(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    choices: &[(&str, &str)],
) -> String {
    if !choices.iter().any(|(v, _)| *v == value) {
        e.add(field, "Choose one of the options.");
    }
    value.to_owned()
}

fn money(e: &mut FieldErrors, field: &'static str, v: &str) -> i64 {
    match v.trim().replace([',', '_', ' '], "").parse::<i64>() {
        Ok(n) if n >= 0 => n,
        _ => {
            e.add(field, "Enter an amount in whole units, like 85000.");
            0
        }
    }
}

impl RequirementForm {
    pub fn from_requirement(r: &Requirement) -> Self {
        RequirementForm {
            title: r.title.clone(),
            department_id: r.department_id.to_string(),
            job_level_id: r.job_level_id.to_string(),
            hiring_manager_id: r.hiring_manager_id.to_string(),
            recruiter_id: r.recruiter_id.map(|id| id.to_string()).unwrap_or_default(),
            headcount: r.headcount.to_string(),
            employment_type: r.employment_type.clone(),
            location: r.location.clone(),
            remote_policy: r.remote_policy.clone(),
            salary_min: r.salary_min.to_string(),
            salary_max: r.salary_max.to_string(),
            currency: r.currency.clone(),
            reason: r.reason.clone(),
            replaces: r.replaces.clone(),
            target_start: r.target_start.map(|d| d.to_string()).unwrap_or_default(),
            priority: r.priority.clone(),
            description: r.description.clone(),
            skills: r.skills.join(", "),
            confidential: r.confidential.then(|| "on".to_owned()),
            confirm: None,
            version: r.version,
        }
    }

    /// Checks every field. `band` is the chosen level's salary band, if the
    /// level exists; `before` what was saved until now (None for a new
    /// one); `today` the date that a start date must not precede.
    ///
    /// Two things are warnings rather than errors (DOMAIN.md: validated
    /// against the band, a plan for a date): a salary minimum below the
    /// band, and a target start in the past. Each stops the save until the
    /// user ticks `confirm`, unless it was already saved that way.
    pub fn parse(
        &self,
        band: Option<Band>,
        before: Option<&RequirementFields>,
        today: NaiveDate,
    ) -> Result<RequirementFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = required_text(
            &mut e,
            "title",
            &self.title,
            TITLE_MAX,
            "Enter the job title.",
        );
        let required_id = |e: &mut FieldErrors, field: &'static str, v: &str, msg: &str| {
            let id = optional_id(e, field, v);
            if id.is_none() && e.get(field).is_none() {
                e.add(field, msg);
            }
            id.unwrap_or_default()
        };
        let department_id = required_id(
            &mut e,
            "department_id",
            &self.department_id,
            "Choose the department.",
        );
        let job_level_id = required_id(
            &mut e,
            "job_level_id",
            &self.job_level_id,
            "Choose the job level.",
        );
        let hiring_manager_id = required_id(
            &mut e,
            "hiring_manager_id",
            &self.hiring_manager_id,
            "Choose the hiring manager.",
        );
        let recruiter_id = optional_id(&mut e, "recruiter_id", &self.recruiter_id);
        let headcount = match self.headcount.trim().parse::<i32>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                e.add(
                    "headcount",
                    "Enter how many people to hire: a whole number from 1 to 500.",
                );
                1
            }
        };
        let employment_type = choice(
            &mut e,
            "employment_type",
            &self.employment_type,
            &EMPLOYMENT_TYPES,
        );
        let remote_policy = choice(
            &mut e,
            "remote_policy",
            &self.remote_policy,
            &REMOTE_POLICIES,
        );
        let priority = choice(&mut e, "priority", &self.priority, &PRIORITIES);
        let reason = choice(&mut e, "reason", &self.reason, &REASONS);
        let salary_min = money(&mut e, "salary_min", &self.salary_min);
        let salary_max = money(&mut e, "salary_max", &self.salary_max);
        let salaries_ok = e.get("salary_min").is_none() && e.get("salary_max").is_none();
        if salaries_ok && salary_min > salary_max {
            e.add("salary_max", "The maximum must be at least the minimum.");
        }
        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            e.add("currency", "Enter a three-letter currency code, like EUR.");
        }
        let location = optional_text(&mut e, "location", &self.location, LOCATION_MAX);
        let replaces = optional_text(&mut e, "replaces", &self.replaces, REPLACES_MAX);
        if reason == "backfill" && replaces.is_empty() {
            e.add("replaces", "Say whom this hire replaces.");
        }
        let target_start = optional_date(&mut e, "target_start", &self.target_start);
        let description = optional_text(&mut e, "description", &self.description, DESCRIPTION_MAX);
        let skills = skills(&mut e, &self.skills);

        // The warnings, each once its field is otherwise valid.
        let mut warnings = Vec::new();
        if let (true, Some(band)) = (salaries_ok, band)
            && salary_min < band.min
            && before.is_none_or(|b| b.salary_min != salary_min || b.job_level_id != job_level_id)
        {
            warnings.push((
                "salary_min",
                format!(
                    "This is below the level's band ({} – {}). Check it, then confirm below.",
                    amount(&band.min),
                    amount(&band.max)
                ),
            ));
        }
        if let Some(start) = target_start
            && start < today
            && before.is_none_or(|b| b.target_start != target_start)
        {
            warnings.push((
                "target_start",
                "This date is in the past. Check it, then confirm below.".to_owned(),
            ));
        }
        if !warnings.is_empty() && self.confirm.is_none() {
            for (field, message) in warnings {
                if e.get(field).is_none() {
                    e.add(field, message);
                }
            }
            e.add(
                "confirm",
                "Confirm the warnings above to save anyway, or change those fields.",
            );
        }
        e.into_result(|| RequirementFields {
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
            reason: reason.clone(),
            replaces: if reason == "backfill" {
                replaces
            } else {
                String::new()
            },
            target_start,
            priority,
            description,
            skills,
            confidential: self.confidential.is_some(),
        })
    }

    /// What a recruiter may change on an approved requirement (DOMAIN.md:
    /// "recruiter (sourcing fields once approved)"): how the job is
    /// advertised and sought (its description, skills, location and
    /// remote policy) and how urgently. Every other field keeps its saved
    /// value, whatever was posted: what the approvers agreed to (heads,
    /// salary, level, department, people) stays theirs.
    pub fn sourcing_edit(saved: &Requirement, posted: RequirementForm) -> RequirementForm {
        RequirementForm {
            location: posted.location,
            remote_policy: posted.remote_policy,
            priority: posted.priority,
            description: posted.description,
            skills: posted.skills,
            version: posted.version,
            confirm: posted.confirm,
            ..RequirementForm::from_requirement(saved)
        }
    }
}

/// The fields a recruiter edits on an approved requirement (see
/// [`RequirementForm::sourcing_edit`]), by their form names.
pub const SOURCING_FIELDS: [&str; 5] = [
    "location",
    "remote_policy",
    "priority",
    "description",
    "skills",
];

/// The longest each text field may be, in characters; the form shows each
/// as its `maxlength`. A title or a place fits a line; a description is a
/// long page of Markdown.
pub const TITLE_MAX: usize = 200;
pub const LOCATION_MAX: usize = 200;
pub const REPLACES_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
/// At most this many skills, each at most [`SKILL_MAX`] characters: tags,
/// not prose.
pub const SKILLS_MAX: usize = 30;
pub const SKILL_MAX: usize = 50;
/// The skills box as a whole: every tag at its longest with its comma.
pub const SKILLS_TEXT_MAX: usize = SKILLS_MAX * (SKILL_MAX + 2);

/// The comma-separated skills as tags: trimmed, empty ones dropped, a
/// repeat (in any case) kept once.
fn skills(e: &mut FieldErrors, input: &str) -> Vec<String> {
    let text = optional_text(e, "skills", input, SKILLS_TEXT_MAX);
    let mut skills: Vec<String> = Vec::new();
    for skill in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !skills.iter().any(|s| s.eq_ignore_ascii_case(skill)) {
            skills.push(skill.to_owned());
        }
    }
    let problem = if skills.len() > SKILLS_MAX {
        Some(format!("List at most {SKILLS_MAX} skills."))
    } else {
        skills
            .iter()
            .find(|s| s.chars().count() > SKILL_MAX)
            .map(|long| {
                format!("Keep each skill to {SKILL_MAX} characters at most (“{long}” is longer).")
            })
    };
    if let Some(problem) = problem
        && e.get("skills").is_none()
    {
        e.add("skills", problem);
    }
    skills
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Requirement {
    pub id: Uuid,
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

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Requirement>, sqlx::Error> {
    sqlx::query_as(concat!(
        requirement_select!(),
        "where r.id = $1 and r.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Of `users`, those who may see requirement `id`: whom
/// [`Requirement::visible_to`] lets see it, and the approvers of its tasks,
/// whose approval page shows it. For live updates, which must not tell
/// anyone else that a confidential requirement changed.
pub async fn seen_by(
    conn: &mut PgConnection,
    id: Uuid,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Person {
        id: Uuid,
        roles: Vec<String>,
        approver: bool,
    }
    let Some(r) = find(&mut *conn, id).await? else {
        return Ok(Vec::new());
    };
    if !r.confidential {
        return Ok(users.to_vec());
    }
    let people: Vec<Person> = sqlx::query_as(
        "select u.id, u.roles,
                exists (select 1 from approval_tasks t join approvals a on a.id = t.approval_id
                         where a.subject_type = 'requirement' and a.subject_id = $2
                           and t.approver_id = u.id) as approver
           from users u where u.id = any($1) and u.deactivated_at is null",
    )
    .bind(users)
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(people
        .into_iter()
        .filter(|p| {
            let roles: Vec<Role> = p.roles.iter().filter_map(|r| Role::parse(r)).collect();
            p.approver || r.visible_to(p.id, &roles)
        })
        .map(|p| p.id)
        .collect())
}

/// Parses the form (see [`RequirementForm::parse`]) and checks its choices
/// against the database: the department, level and people must be live
/// unless `before` (the requirement as saved, None for a new one) already
/// had them.
pub async fn validate(
    conn: &mut PgConnection,
    form: &RequirementForm,
    before: Option<&Requirement>,
) -> Result<Result<RequirementFields, FieldErrors>, sqlx::Error> {
    let id = |v: &str| v.trim().parse::<Uuid>().ok();
    let level = id(&form.job_level_id);
    let band: Option<(i64, i64)> = match level {
        Some(level) => {
            sqlx::query_as("select salary_min, salary_max from job_levels where id = $1")
                .bind(level)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let band = band.map(|(min, max)| Band { min, max });
    let saved = before.map(Requirement::fields);
    let parsed = form.parse(band, saved.as_ref(), Utc::now().date_naive());
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    let recruiter = id(&form.recruiter_id);
    crate::domain::org::check_choices(
        conn,
        &mut errors,
        &[
            (
                "department_id",
                Pick::Department,
                id(&form.department_id),
                saved.as_ref().map(|s| s.department_id),
            ),
            (
                "job_level_id",
                Pick::Level,
                level,
                saved.as_ref().map(|s| s.job_level_id),
            ),
            (
                "hiring_manager_id",
                Pick::Person,
                id(&form.hiring_manager_id),
                saved.as_ref().map(|s| s.hiring_manager_id),
            ),
            (
                "recruiter_id",
                Pick::Person,
                recruiter,
                saved.as_ref().and_then(|s| s.recruiter_id),
            ),
        ],
    )
    .await?;
    Ok(match parsed {
        Ok(fields) if errors.is_empty() => Ok(fields),
        _ => Err(errors),
    })
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
) -> Result<Uuid, SaveError> {
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
    let id: Uuid = sqlx::Row::try_get(&row, "id")?;
    let c = changes(None, f).created("reference", &reference);
    audit::record(
        conn,
        actor,
        "requirement.created",
        audit::Entity::Requirement,
        Some(id),
        c,
    )
    .await?;
    Ok(id)
}

/// Saves an edit, refusing it if the requirement changed since `version`.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    f: &RequirementFields,
) -> Result<(), TransitionError> {
    let before = find(&mut *conn, id).await?.ok_or(SaveError::NotFound)?;
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
        return Err(SaveError::Stale.into());
    }
    // Read after the update took the row's lock, which settling an opening
    // takes too: no hire slips in between.
    let filled = crate::domain::requisition::opening::filled(&mut *conn, id).await?;
    if i64::from(f.headcount) < filled {
        return Err(SaveError::BelowFilled(filled).into());
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
        "requirement.updated",
        audit::Entity::Requirement,
        Some(id),
        c,
    )
    .await?;
    Ok(())
}

/// Who asks for a lifecycle change, so that [`apply`] can refuse what is
/// not theirs to ask, whatever the caller checked before.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// A person, with their roles: only what [`Requirement::may`] allows.
    Person { id: Uuid, roles: &'a [Role] },
    /// The application moving it on as the consequence of something already
    /// allowed: an approval decided, the last opening settled, the command
    /// line seeding demo data.
    App,
}

pub use crate::domain::kernel::{REASON_MAX, TransitionError};

/// Moves the requirement through its lifecycle, recording the transition
/// row and its audit row. `version` guards against acting on a stale page.
pub async fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    asker: Asker<'_>,
    id: Uuid,
    version: i32,
    action: Action,
    reason: &str,
) -> Result<Status, TransitionError> {
    let r = find(&mut *conn, id).await?.ok_or(SaveError::NotFound)?;
    if let Asker::Person { id: user, roles } = asker
        && !r.may(user, roles, action)
    {
        return Err(TransitionError::Forbidden {
            action: action.as_str(),
        });
    }
    let mut e = FieldErrors::default();
    let reason = optional_text(&mut e, "reason", reason, REASON_MAX);
    if let Some(problem) = e.get("reason") {
        return Err(TransitionError::BadReason(problem.to_owned()));
    }
    if action.needs_reason() && reason.is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    let from = r.status;
    let to = transition(from, action).ok_or(TransitionError::NotAllowed {
        action: action.as_str(),
        from: from.as_str(),
    })?;
    let done = sqlx::query(
        "update requirements set status = $3, version = version + 1, updated_at = now()
          where id = $1 and version = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(version)
    .bind(to.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(SaveError::Stale.into());
    }
    if to == Status::Cancelled {
        // Nobody is left deciding on a requirement that is called off.
        crate::domain::approval::cancel(&mut *conn, actor, super::approval_subject::subject(id))
            .await?;
    }
    if to == Status::Open {
        // One opening per head, created when recruiting starts (again, after
        // an approved change: only the heads added since).
        sqlx::query(
            "insert into openings (requirement_id)
             select $1 from generate_series(1, $2 - (select count(*)::int from openings
                                                      where requirement_id = $1 and status <> 'closed'))",
        )
        .bind(id)
        .bind(r.headcount)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "insert into requirement_transitions (requirement_id, from_status, to_status, reason, actor_id)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(&reason)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    crate::domain::activity::notify::changed(
        &mut *conn,
        crate::domain::requisition::approval_subject::subject(id),
    )
    .await?;
    let c = Changes::new()
        .field("status", &from.as_str(), &to.as_str())
        .created("reason", &reason)
        .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        &format!("requirement.{}", action.as_str()),
        audit::Entity::Requirement,
        Some(id),
        c,
    )
    .await?;
    Ok(to)
}

/// Soft delete (admins): the row stays for the audit trail. Its approval
/// in progress, if any, is called off with it.
pub async fn delete(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<(), SaveError> {
    let done = sqlx::query("update requirements set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(SaveError::NotFound);
    }
    audit::record(
        conn,
        actor,
        "requirement.deleted",
        audit::Entity::Requirement,
        Some(id),
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

/// The list's filters and order, all optional; they live in the URL.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ListFilter {
    pub q: String,
    pub status: String,
    pub department: String,
    pub level: String,
    pub hiring_manager: String,
    pub recruiter: String,
    pub priority: String,
    /// Created on or after this date (YYYY-MM-DD).
    pub from: String,
    /// Created on or before this date.
    pub to: String,
    /// One of [`Sort`]'s names; empty (or unknown) is the newest first.
    pub sort: String,
    /// Keyset pagination: the rows that follow this row (the last of the
    /// previous page) in the chosen order.
    pub after: String,
}

/// The orders a recruiter picks from. Each is a keyset: a tuple of columns
/// ending in the id (so it is total), all ascending or all descending, so a
/// page continues with one row comparison, and each has an index (migration
/// 20261124000007) that walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    RecentlyUpdated,
    Title,
    /// Urgent first, then the newest.
    Priority,
    /// The soonest target start first; those without a date last.
    TargetStart,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::RecentlyUpdated,
        Sort::Title,
        Sort::Priority,
        Sort::TargetStart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::RecentlyUpdated => "updated",
            Sort::Title => "title",
            Sort::Priority => "priority",
            Sort::TargetStart => "start",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::RecentlyUpdated => "Recently updated",
            Sort::Title => "Title, A to Z",
            Sort::Priority => "Priority, urgent first",
            Sort::TargetStart => "Target start, soonest first",
        }
    }

    /// Unknown names fall back to the default: a stale bookmark still lists.
    pub fn parse(s: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .unwrap_or_default()
    }
}

pub const PAGE_SIZE: i64 = 25;

/// One row of the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub department_name: String,
    pub hiring_manager_name: String,
    pub headcount: i32,
    pub priority: String,
    pub status: Status,
    pub target_start: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl ListRow {
    pub fn priority_label(&self) -> &'static str {
        label(&PRIORITIES, &self.priority)
    }

    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

impl Sort {
    /// The order's keyset (an expression list over `r`), how the rows after
    /// the cursor compare with it, and the matching ORDER BY.
    fn keyset(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Sort::Newest => ("r.created_at, r.id", "<", "r.created_at desc, r.id desc"),
            Sort::Oldest => ("r.created_at, r.id", ">", "r.created_at, r.id"),
            Sort::RecentlyUpdated => ("r.updated_at, r.id", "<", "r.updated_at desc, r.id desc"),
            Sort::Title => ("lower(r.title), r.id", ">", "lower(r.title), r.id"),
            Sort::Priority => (
                "priority_rank(r.priority), r.created_at, r.id",
                "<",
                "priority_rank(r.priority) desc, r.created_at desc, r.id desc",
            ),
            Sort::TargetStart => (
                "coalesce(r.target_start, 'infinity'::date), r.id",
                ">",
                "coalesce(r.target_start, 'infinity'::date), r.id",
            ),
        }
    }
}

/// A person filter: an id (from a link) or part of a name, as typed. A
/// name box instead of a list of every person keeps the page small.
fn person(q: &mut sqlx::QueryBuilder<sqlx::Postgres>, column: &'static str, value: &str) {
    // PostgreSQL refuses NUL in text; in a name it can only be noise.
    let value = value.replace('\0', " ");
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    match value.parse::<Uuid>() {
        Ok(id) => {
            q.push(" and ").push(column).push(" = ").push_bind(id);
        }
        Err(_) => {
            let pattern = format!("%{}%", crate::domain::kernel::like_escaped(value));
            q.push(" and ")
                .push(column)
                .push(" in (select id from users where full_name ilike ")
                .push_bind(pattern)
                .push(")");
        }
    }
}

/// Up to `limit` requirements the user may see, in the filter's order (a
/// page asks for one row more, to tell whether another page follows).
/// Keyset pagination costs the same on page 400 as on page 1, and no exact
/// count is taken.
///
/// The statement holds only the filters in use (a `QueryBuilder`, the one
/// dynamic query here): with every filter written as `($n is null or …)`,
/// PostgreSQL planned all thirteen on every request, which took longer
/// than running the query (0.85 ms against 0.1 ms at 100,000
/// requirements). Each combination of filters is its own prepared
/// statement, planned once per connection: the pool runs on generic plans
/// (see `db::connect`).
///
/// A generic plan cannot know how many rows a search matches, and the
/// right way to search differs: a common word fills a page from the first
/// rows in the list's order, a rare one is quicker found through the text
/// index. So a search first looks at the first [`SEARCH_WINDOW`] rows in
/// order; if they hold a whole page, that page is the answer (every later
/// row comes after it); otherwise the text index finds every match.
pub async fn list(
    conn: &mut PgConnection,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    limit: i64,
) -> Result<Vec<ListRow>, sqlx::Error> {
    let search = f.q.trim();
    if search.is_empty() {
        return list_query(viewer, sees_confidential, f, Some(limit), Source::All)
            .build_query_as()
            .fetch_all(conn)
            .await;
    }
    if limit < SEARCH_WINDOW {
        let rows = list_query(viewer, sees_confidential, f, Some(limit), Source::Window)
            .build_query_as()
            .fetch_all(&mut *conn)
            .await?;
        if rows.len() as i64 == limit {
            return Ok(rows);
        }
    }
    list_query(viewer, sees_confidential, f, Some(limit), Source::Matches)
        .build_query_as()
        .fetch_all(conn)
        .await
}

/// Every requirement of the filter that `viewer` may see, in the list's
/// order and from its start, sent to `out` as the database sends them: an
/// export of any size in flat memory (the channel is bounded, so the query
/// waits for a slow reader), in one statement and so one snapshot. Stops
/// early when the reader goes away.
pub async fn export(
    conn: &mut PgConnection,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    out: tokio::sync::mpsc::Sender<ListRow>,
) -> Result<(), sqlx::Error> {
    use futures::TryStreamExt as _;
    let f = ListFilter {
        after: String::new(),
        ..f.clone()
    };
    let source = if f.q.trim().is_empty() {
        Source::All
    } else {
        Source::Matches
    };
    let mut q = list_query(viewer, sees_confidential, &f, None, source);
    let mut rows = q.build_query_as::<ListRow>().fetch(conn);
    while let Some(row) = rows.try_next().await? {
        if out.send(row).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// How many rows, in the list's order, a search reads before it turns to
/// the text index: a few milliseconds' work, whatever the table's size.
/// Enough for a word in 1 % of the requirements to fill a page here (2,600
/// rows read, 5 ms at 200,000 requirements), where the text index would
/// have every match read from the table (10,000 at a million).
const SEARCH_WINDOW: i64 = 4000;

/// Where a list query takes its rows from (see [`list`]).
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The requirements table, through the index of the list's order.
    All,
    /// The first [`SEARCH_WINDOW`] live rows after the cursor, in order.
    Window,
    /// Every match of the search, through the text index.
    Matches,
}

fn list_query(
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    limit: Option<i64>,
    source: Source,
) -> sqlx::QueryBuilder<sqlx::Postgres> {
    const COLUMNS: &str =
        "select r.id, r.reference, r.title, d.name as department_name, hm.full_name as hiring_manager_name,
                r.headcount, r.priority, r.status, r.target_start, r.created_at";
    const JOINS: &str = " join departments d on d.id = r.department_id
          join users hm on hm.id = r.hiring_manager_id";
    let (key, cmp, order) = Sort::parse(&f.sort).keyset();
    // The cursor's key is read from its row in a subquery (whose own `r`
    // shadows the outer one), so the URL carries only an id.
    let after = f.after.trim().parse::<Uuid>().ok();
    let cursor = |q: &mut sqlx::QueryBuilder<sqlx::Postgres>| {
        if let Some(after) = after {
            q.push(" and (")
                .push(key)
                .push(") ")
                .push(cmp)
                .push(" (select ")
                .push(key)
                .push(" from requirements r where r.id = ")
                .push_bind(after)
                .push(")");
        }
    };
    // The limit is written into the statement, not bound: a constant of
    // ours (a page; none for an export), and a generic plan needs it to
    // know that only a page's rows are wanted.
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
    match source {
        Source::All => {
            q.push(COLUMNS).push(" from requirements r").push(JOINS);
            q.push(" where r.deleted_at is null");
            filters(&mut q, viewer, sees_confidential, f);
            cursor(&mut q);
        }
        // Limits all the way down, with the joins outside: the window is
        // then read in order and only as far as a page needs.
        Source::Window => {
            q.push(COLUMNS).push(
                " from (select r.* from (select * from requirements r where r.deleted_at is null",
            );
            cursor(&mut q);
            q.push(" order by ")
                .push(order)
                .push(" limit ")
                .push(SEARCH_WINDOW);
            q.push(") r where true");
            search(&mut q, &f.q);
            filters(&mut q, viewer, sees_confidential, f);
            q.push(" order by ").push(order);
            if let Some(limit) = limit {
                q.push(" limit ").push(limit);
            }
            q.push(") r").push(JOINS);
        }
        // The matches are gathered first, as a fence: given an order and a
        // limit, the planner would rather walk the order's index, which is
        // the slow way to find a rare word. The filters go inside, where
        // their indexes can narrow the text index's matches.
        //
        // The fence holds only the keys of the list's orders, not whole
        // rows: a rare word still matches thousands of rows at a million
        // requirements, and carrying each one's description and text
        // vector through the sort cost more than finding them. The page's
        // own rows are read by id once it is cut. The cursor applies
        // outside the fence: inside, the planner ANDed the text index
        // with a scan of the order's index for every row before the
        // cursor (25 ms at 200,000 requirements against 0.5 ms for the
        // text index alone).
        Source::Matches => {
            q.push(
                "with matches as materialized (select r.id, r.created_at, r.updated_at, r.title,
                        r.priority, r.target_start
                   from requirements r where r.deleted_at is null",
            );
            search(&mut q, &f.q);
            filters(&mut q, viewer, sees_confidential, f);
            q.push(") ")
                .push(COLUMNS)
                .push(" from (select r.id from matches r where true");
            cursor(&mut q);
            q.push(" order by ").push(order);
            if let Some(limit) = limit {
                q.push(" limit ").push(limit);
            }
            q.push(") m join requirements r on r.id = m.id").push(JOINS);
        }
    }
    q.push(" order by ").push(order);
    if let Some(limit) = limit {
        q.push(" limit ").push(limit);
    }
    q
}

/// The full-text condition: the words as typed, matched both as written
/// and by their English stems.
fn search(q: &mut sqlx::QueryBuilder<sqlx::Postgres>, text: &str) {
    // PostgreSQL refuses NUL in text; in a search it can only be noise.
    let text = text.replace('\0', " ");
    // A scalar subquery, so a generic plan parses the words once per
    // execution rather than once per row it checks. When both readings are
    // the same (words whose stems are themselves), one is checked, not the
    // same twice: a rare word's page checks thousands of rows that fail.
    q.push(
        " and r.search @@ (select case when s = e then s else s || e end
                             from (select websearch_to_tsquery('simple', ",
    )
    .push_bind(text.trim().to_owned())
    .push(") as s, websearch_to_tsquery('english', ")
    .push_bind(text.trim().to_owned())
    .push(") as e) words)");
}

/// Visibility and every filter but the search and the cursor.
fn filters(
    q: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
) {
    let id = |v: &str| v.trim().parse::<Uuid>().ok();
    let date = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    if !sees_confidential {
        q.push(" and (not r.confidential or ")
            .push_bind(viewer)
            .push(" in (r.hiring_manager_id, r.created_by, r.recruiter_id))");
    }
    if let Some(status) = Status::parse(&f.status) {
        q.push(" and r.status = ").push_bind(status.as_str());
    }
    if let Some(department) = id(&f.department) {
        q.push(" and r.department_id = ").push_bind(department);
    }
    if let Some(level) = id(&f.level) {
        q.push(" and r.job_level_id = ").push_bind(level);
    }
    person(q, "r.hiring_manager_id", &f.hiring_manager);
    person(q, "r.recruiter_id", &f.recruiter);
    if let Some((priority, _)) = PRIORITIES.iter().find(|(v, _)| *v == f.priority) {
        q.push(" and r.priority = ").push_bind(*priority);
    }
    if let Some(from) = date(&f.from) {
        q.push(" and r.created_at >= ").push_bind(from);
    }
    if let Some(to) = date(&f.to) {
        q.push(" and r.created_at < ").push_bind(to).push(" + 1");
    }
}

fn range(min: i64, max: i64, currency: &str) -> String {
    format!("{}–{} {currency}", amount(&min), amount(&max))
}

/// An amount with its thousands grouped: 1234567 → "1,234,567". By
/// reference, as templates pass their values.
pub fn amount(n: &i64) -> String {
    let n = *n;
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_their_thousands() {
        assert_eq!(amount(&0), "0");
        assert_eq!(amount(&999), "999");
        assert_eq!(amount(&1000), "1,000");
        assert_eq!(amount(&88000), "88,000");
        assert_eq!(amount(&1234567), "1,234,567");
        assert_eq!(amount(&-45000), "-45,000");
    }

    #[test]
    fn lifecycle_follows_the_diagram() {
        use Action as A;
        use Status as S;
        assert_eq!(transition(S::Draft, A::Submit), Some(S::PendingApproval));
        assert_eq!(
            transition(S::ChangesRequested, A::Submit),
            Some(S::PendingApproval)
        );
        assert_eq!(
            transition(S::PendingApproval, A::Approve),
            Some(S::Approved)
        );
        assert_eq!(
            transition(S::PendingApproval, A::RequestChanges),
            Some(S::ChangesRequested)
        );
        assert_eq!(transition(S::PendingApproval, A::Reject), Some(S::Rejected));
        assert_eq!(transition(S::Approved, A::Open), Some(S::Open));
        assert_eq!(transition(S::Open, A::Hold), Some(S::OnHold));
        assert_eq!(transition(S::OnHold, A::Resume), Some(S::Open));
        assert_eq!(transition(S::OnHold, A::Fill), Some(S::Filled));
        for s in Status::ALL {
            assert_eq!(transition(s, A::Cancel).is_some(), !s.is_final(), "{s:?}");
        }
        // Refused: skipping approval, reopening the final states.
        assert_eq!(transition(S::Draft, A::Open), None);
        assert_eq!(transition(S::Draft, A::Approve), None);
        assert_eq!(transition(S::Rejected, A::Submit), None);
        assert_eq!(transition(S::Filled, A::Resume), None);
        assert_eq!(transition(S::Cancelled, A::Submit), None);
    }

    fn valid() -> RequirementForm {
        let id = Uuid::new_v4().to_string();
        RequirementForm {
            title: "Backend engineer".into(),
            department_id: id.clone(),
            job_level_id: id.clone(),
            hiring_manager_id: id,
            headcount: "2".into(),
            employment_type: "full_time".into(),
            remote_policy: "hybrid".into(),
            salary_min: "60000".into(),
            salary_max: "80000".into(),
            currency: "eur".into(),
            reason: "new".into(),
            priority: "normal".into(),
            skills: "Rust, SQL, , Rust".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
    }

    #[test]
    fn form_rules_sit_beside_their_fields() {
        let band = Some(Band {
            min: 60_000,
            max: 90_000,
        });
        let ok = valid()
            .parse(band, None, today())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((ok.currency.as_str(), ok.headcount), ("EUR", 2));
        assert_eq!(ok.skills, vec!["Rust".to_owned(), "SQL".to_owned()]);
        let mut f = valid();
        f.headcount = "0".into();
        f.salary_min = "90000".into();
        f.reason = "backfill".into();
        f.title = " ".into();
        let e = f.parse(band, None, today()).err().unwrap_or_default();
        assert!(e.get("headcount").is_some());
        assert_eq!(
            e.get("salary_max"),
            Some("The maximum must be at least the minimum.")
        );
        assert_eq!(e.get("replaces"), Some("Say whom this hire replaces."));
        assert!(e.get("title").is_some());
        // Above the band is allowed (it routes to an extra approval).
        let mut f = valid();
        f.salary_max = "150000".into();
        assert!(f.parse(band, None, today()).is_ok());
    }

    #[test]
    fn below_the_band_and_a_past_start_are_warnings_to_confirm() {
        let band = Some(Band {
            min: 60_000,
            max: 90_000,
        });
        let mut f = valid();
        f.salary_min = "10000".into();
        f.salary_max = "20000".into();
        f.target_start = "2026-01-05".into();
        let e = f.parse(band, None, today()).err().unwrap_or_default();
        assert!(e.get("salary_min").is_some_and(|m| m.contains("below")));
        assert!(e.get("target_start").is_some_and(|m| m.contains("past")));
        assert!(e.get("confirm").is_some());
        f.confirm = Some("on".into());
        assert!(f.parse(band, None, today()).is_ok());
        // Saved that way already: no warning at every later edit.
        f.confirm = None;
        let saved = RequirementForm {
            confirm: Some("on".into()),
            ..f.clone()
        }
        .parse(band, None, today())
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(f.parse(band, Some(&saved), today()).is_ok());
    }

    #[test]
    fn text_has_limits_and_no_nul() {
        let mut f = valid();
        f.location = "x".repeat(LOCATION_MAX + 1);
        f.replaces = "a\0b".into();
        f.reason = "backfill".into();
        f.skills = (0..=SKILLS_MAX)
            .map(|i| format!("s{i}"))
            .collect::<Vec<_>>()
            .join(",");
        f.target_start = "10000-01-01".into();
        f.description = "x".repeat(DESCRIPTION_MAX + 1);
        let e = f.parse(None, None, today()).err().unwrap_or_default();
        assert_eq!(e.get("location"), Some("Use at most 200 characters."));
        assert!(e.get("replaces").is_some_and(|m| m.contains("NUL")));
        assert_eq!(e.get("skills"), Some("List at most 30 skills."));
        assert!(e.get("target_start").is_some());
        assert_eq!(e.get("description"), Some("Use at most 20000 characters."));
        let mut f = valid();
        f.skills = format!("Rust, {}", "y".repeat(SKILL_MAX + 1));
        f.target_start = "0000-01-01".into();
        let e = f.parse(None, None, today()).err().unwrap_or_default();
        assert!(e.get("skills").is_some_and(|m| m.contains("50 characters")));
        assert_eq!(
            e.get("target_start"),
            Some("Enter a date between the years 2000 and 2100.")
        );
    }
}
