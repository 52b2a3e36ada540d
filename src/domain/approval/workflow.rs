//! Approval workflows as an admin defines them: the conditions that pick
//! the subjects a workflow applies to, and its ordered steps. Every
//! save is a new version with a snapshot in `workflow_versions`; a submitted
//! subject records the version it started under and its tasks copy the
//! step's name, approvers and SLA, so an edit never changes a running
//! approval.

use super::subject::{Facts, SubjectKind};
use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{
    EMPLOYMENT_TYPES, FieldErrors, NameOf, REASONS, label, optional_id, required_text,
};
use crate::domain::org::user;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;

/// A workflow's conditions (DOMAIN.md, "Approval workflows"). Every
/// condition set must hold; an empty set matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_level_rank: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_headcount: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above_band: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employment_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An offer's yearly salary over this (whole units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<i64>,
}

impl Conditions {
    /// Whether the subject's facts meet every condition set; a condition
    /// on a fact the subject does not have is not met.
    pub fn matches(&self, f: &Facts) -> bool {
        self.department_id
            .is_none_or(|d| f.department_id == Some(d))
            && self
                .min_level_rank
                .is_none_or(|n| f.level_rank.is_some_and(|r| r >= n))
            && self
                .min_headcount
                .is_none_or(|n| f.headcount.is_some_and(|h| h >= n))
            && self.above_band.is_none_or(|a| f.above_band == Some(a))
            && self
                .employment_type
                .as_ref()
                .is_none_or(|t| f.employment_type.as_ref() == Some(t))
            && self
                .reason
                .as_ref()
                .is_none_or(|t| f.reason.as_ref() == Some(t))
            && self
                .min_amount
                .is_none_or(|n| f.amount.is_some_and(|a| a > n))
    }

    /// How specific: the number of conditions set. The most specific
    /// matching workflow applies.
    pub fn specificity(&self) -> usize {
        [
            self.department_id.is_some(),
            self.min_level_rank.is_some(),
            self.min_headcount.is_some(),
            self.above_band.is_some(),
            self.employment_type.is_some(),
            self.reason.is_some(),
            self.min_amount.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }

    /// In words, for the list and the version history.
    pub fn describe(&self, names: &Names) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.department_id {
            parts.push(format!("in {}", names.department(d)));
        }
        if let Some(n) = self.min_level_rank {
            parts.push(format!("level rank {n} or above"));
        }
        if let Some(n) = self.min_headcount {
            parts.push(format!("headcount {n} or more"));
        }
        if let Some(above) = self.above_band {
            parts.push(
                if above {
                    "salary above the band"
                } else {
                    "salary within the band"
                }
                .into(),
            );
        }
        if let Some(t) = &self.employment_type {
            parts.push(label(&EMPLOYMENT_TYPES, t).to_lowercase());
        }
        if let Some(r) = &self.reason {
            parts.push(label(&REASONS, r).to_lowercase());
        }
        if let Some(n) = self.min_amount {
            parts.push(format!(
                "amount over {} a year",
                crate::domain::kernel::amount(&n)
            ));
        }
        if parts.is_empty() {
            "Every one".into()
        } else {
            let s = parts.join(", ");
            let mut chars = s.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// Who approves a step, in the words of the form.
pub const APPROVER_KINDS: [(&str, &str); 4] = [
    ("users", "Specific people"),
    ("role", "Everyone with a role"),
    ("department_head", "The department head"),
    ("manager", "The hiring manager's manager"),
];

/// One step as saved (in `workflow_steps` and in a version's snapshot);
/// its position is its place in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    /// One of [`APPROVER_KINDS`].
    pub approver_kind: String,
    #[serde(default)]
    pub approver_ids: Vec<Uuid>,
    pub approver_role: Option<String>,
    /// None: every approver must approve; otherwise this many of them.
    pub required: Option<i32>,
    pub sla_hours: i32,
    /// Who approves instead when every approver of the step requested or
    /// works on the requirement; None: the usual fallbacks (see
    /// `approval::approvers`). Versions saved before it existed have none.
    #[serde(default)]
    pub fallback_id: Option<Uuid>,
}

impl Step {
    /// "Finance: 1 of everyone with the Approver role, within 48 h".
    pub fn describe(&self, names: &Names) -> String {
        let who = match self.approver_kind.as_str() {
            "users" => self
                .approver_ids
                .iter()
                .map(|id| names.user(*id))
                .collect::<Vec<_>>()
                .join(", "),
            "role" => format!(
                "everyone with the {} role",
                self.approver_role
                    .as_deref()
                    .and_then(Role::parse)
                    .map_or("?", Role::label)
            ),
            "department_head" => "the department head".into(),
            _ => "the hiring manager's manager".into(),
        };
        let how_many = match (self.required, self.approver_kind.as_str()) {
            (Some(n), _) => format!("{n} of "),
            (None, "users" | "role") => "all of ".into(),
            (None, _) => String::new(),
        };
        let fallback = self
            .fallback_id
            .map(|id| format!(", else {}", names.user(id)))
            .unwrap_or_default();
        format!(
            "{}: {how_many}{who}{fallback}, within {} h",
            self.name, self.sla_hours
        )
    }
}

/// Names of departments and people (archived and deactivated included), to
/// put conditions and steps of any version into words.
#[derive(Debug, Default)]
pub struct Names {
    departments: HashMap<Uuid, String>,
    users: HashMap<Uuid, String>,
}

impl Names {
    fn department(&self, id: Uuid) -> &str {
        self.departments
            .get(&id)
            .map_or("a removed department", String::as_str)
    }

    fn user(&self, id: Uuid) -> &str {
        self.users
            .get(&id)
            .map_or("someone removed", String::as_str)
    }
}

pub async fn names(conn: &mut PgConnection) -> Result<Names, sqlx::Error> {
    let departments: Vec<NameOf> = sqlx::query_as("select id, name from departments")
        .fetch_all(&mut *conn)
        .await?;
    let users: Vec<NameOf> = sqlx::query_as("select id, full_name as name from users")
        .fetch_all(conn)
        .await?;
    let by_id = |rows: Vec<NameOf>| rows.into_iter().map(|n| (n.id, n.name)).collect();
    Ok(Names {
        departments: by_id(departments),
        users: by_id(users),
    })
}

/// A workflow's current steps as one JSON array, so a workflow and its
/// steps are always read in one statement (one snapshot of the database).
macro_rules! steps_json {
    () => {
        "coalesce((select jsonb_agg(jsonb_build_object(
                'name', s.name, 'approver_kind', s.approver_kind,
                'approver_ids', to_jsonb(s.approver_ids), 'approver_role', s.approver_role,
                'required', s.required, 'sla_hours', s.sla_hours,
                'fallback_id', s.fallback_id) order by s.position)
           from workflow_steps s where s.workflow_id = w.id), '[]')"
    };
}

macro_rules! workflow_select {
    () => {
        concat!(
            "select w.id, w.subject, w.name, w.is_default, w.conditions, w.version, w.archived_at, w.updated_at, ",
            steps_json!(),
            " as steps from approval_workflows w "
        )
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workflow {
    pub id: Uuid,
    /// What it approves.
    pub subject: SubjectKind,
    pub name: String,
    /// Applies when no other workflow matches; exactly one live per subject.
    pub is_default: bool,
    pub conditions: Json<Conditions>,
    pub version: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub steps: Json<Vec<Step>>,
}

/// The live workflows, or with `archived` the archived ones: the default
/// first, then by name.
pub async fn list(
    conn: &mut PgConnection,
    subject: SubjectKind,
    archived: bool,
) -> Result<Vec<Workflow>, sqlx::Error> {
    sqlx::query_as(concat!(
        workflow_select!(),
        "where w.subject = $1 and (w.archived_at is not null) = $2
         order by w.is_default desc, lower(w.name), w.id"
    ))
    .bind(subject.as_str())
    .bind(archived)
    .fetch_all(conn)
    .await
}

pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Workflow>, sqlx::Error> {
    sqlx::query_as(concat!(workflow_select!(), "where w.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The workflow of `subject`'s kind that applies to a subject with these
/// `facts`, as (id, version, steps): the most specific match, the default
/// when nothing else matches (it always exists, and matches everything).
pub async fn for_subject(
    conn: &mut PgConnection,
    subject: SubjectKind,
    facts: &Facts,
) -> Result<(Uuid, i32, Vec<Step>), sqlx::Error> {
    let all: Vec<Workflow> = sqlx::query_as(concat!(
        workflow_select!(),
        "where w.subject = $1 and w.archived_at is null order by w.created_at, w.id"
    ))
    .bind(subject.as_str())
    .fetch_all(conn)
    .await?;
    all.into_iter()
        .filter(|w| w.is_default || w.conditions.matches(facts))
        // The default loses every tie with a workflow written for the case.
        .max_by_key(|w| (w.conditions.specificity(), !w.is_default))
        .map(|w| (w.id, w.version, w.steps.0))
        .ok_or(sqlx::Error::RowNotFound)
}

// ---- the form -----------------------------------------------------------------

/// The create and edit form's input, kept as typed so it can be shown again.
#[derive(Debug, Clone, Default)]
pub struct WorkflowForm {
    pub name: String,
    pub department_id: String,
    pub min_level_rank: String,
    pub min_headcount: String,
    /// Offers: a yearly salary over this.
    pub min_amount: String,
    /// "", "true" or "false".
    pub above_band: String,
    pub employment_type: String,
    pub reason: String,
    pub steps: Vec<StepForm>,
    pub version: i32,
    /// What it approves: "requirement" (also when empty) or "offer".
    pub subject: String,
}

#[derive(Debug, Clone, Default)]
pub struct StepForm {
    pub name: String,
    pub approver_kind: String,
    pub approver_ids: Vec<String>,
    pub approver_role: String,
    /// Empty: all must approve.
    pub required: String,
    pub sla_hours: String,
    /// Empty: the usual fallbacks.
    pub fallback_id: String,
}

impl StepForm {
    /// A new step: everyone with the approver role, the default SLA.
    pub fn blank() -> Self {
        StepForm {
            approver_kind: "role".into(),
            approver_role: Role::Approver.as_str().into(),
            sla_hours: "48".into(),
            ..Default::default()
        }
    }

    fn from_step(s: &Step) -> Self {
        StepForm {
            name: s.name.clone(),
            approver_kind: s.approver_kind.clone(),
            approver_ids: s.approver_ids.iter().map(Uuid::to_string).collect(),
            approver_role: s.approver_role.clone().unwrap_or_default(),
            required: s.required.map(|n| n.to_string()).unwrap_or_default(),
            sla_hours: s.sla_hours.to_string(),
            fallback_id: s.fallback_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

impl WorkflowForm {
    pub fn blank(subject: SubjectKind) -> Self {
        WorkflowForm {
            steps: vec![StepForm::blank()],
            subject: subject.as_str().to_owned(),
            ..Default::default()
        }
    }

    /// What the workflow approves: an offer, or else a requirement.
    pub fn subject(&self) -> SubjectKind {
        match SubjectKind::parse(&self.subject) {
            Some(SubjectKind::Offer) => SubjectKind::Offer,
            _ => SubjectKind::Requirement,
        }
    }

    pub fn from_workflow(w: &Workflow) -> Self {
        let c = &w.conditions.0;
        let text = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
        WorkflowForm {
            name: w.name.clone(),
            department_id: c.department_id.map(|d| d.to_string()).unwrap_or_default(),
            min_level_rank: text(c.min_level_rank),
            min_headcount: text(c.min_headcount),
            min_amount: c.min_amount.map(|n| n.to_string()).unwrap_or_default(),
            above_band: c.above_band.map(|b| b.to_string()).unwrap_or_default(),
            employment_type: c.employment_type.clone().unwrap_or_default(),
            reason: c.reason.clone().unwrap_or_default(),
            steps: w.steps.iter().map(StepForm::from_step).collect(),
            version: w.version,
            subject: w.subject.as_str().to_owned(),
        }
    }
}

/// A valid workflow, ready to save.
struct Fields {
    name: String,
    conditions: Conditions,
    steps: Vec<Step>,
}

/// A whole number of at least 1, or None when empty.
fn at_least_one(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    message: &str,
) -> Option<i32> {
    let v = input.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            errors.add(field, message);
            None
        }
    }
}

/// A value from a fixed list, or None when empty.
fn choice(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    choices: &[(&str, &str)],
) -> Option<String> {
    let v = input.trim();
    if v.is_empty() {
        return None;
    }
    if choices.iter().any(|(c, _)| *c == v) {
        Some(v.to_owned())
    } else {
        errors.add(field, "Choose one of the options.");
        None
    }
}

/// Each step's people as typed, read into ids (see
/// [`crate::domain::org::user::read_people`]); empty boxes dropped. A
/// person typed who names nobody refuses the whole form: a step that
/// approves by role would otherwise ignore its people unseen.
async fn read_people(conn: &mut PgConnection, form: &mut WorkflowForm) -> Result<(), Error> {
    let mut picked = FieldErrors::default();
    for (n, step) in form.steps.iter_mut().enumerate() {
        let mut fields: Vec<(&'static str, &mut String)> = step
            .approver_ids
            .iter_mut()
            .map(|text| ("approver_ids", text))
            .collect();
        fields.push(("fallback_id", &mut step.fallback_id));
        picked.nest("steps", n, user::read_people(&mut *conn, fields).await?);
        step.approver_ids.retain(|id| !id.is_empty());
    }
    picked.into_result(|| ()).map_err(Error::Invalid)
}

/// Checks the form against the rules and the database (the department
/// exists, the chosen people are active).
async fn parse(
    conn: &mut PgConnection,
    form: &mut WorkflowForm,
    is_default: bool,
) -> Result<Fields, Error> {
    read_people(&mut *conn, form).await?;
    let mut e = FieldErrors::default();
    let name = required_text(&mut e, "name", &form.name, 120, "Name the workflow.");
    let department_id = optional_id(&mut e, "department_id", &form.department_id);
    if let Some(d) = department_id {
        let exists: bool = sqlx::query_scalar(
            "select exists (select 1 from departments where id = $1 and archived_at is null)",
        )
        .bind(d)
        .fetch_one(&mut *conn)
        .await?;
        if !exists {
            e.add("department_id", "Choose one of the departments.");
        }
    }
    let conditions = Conditions {
        department_id,
        min_level_rank: at_least_one(
            &mut e,
            "min_level_rank",
            &form.min_level_rank,
            "Enter a rank of at least 1, or leave it empty.",
        ),
        min_headcount: at_least_one(
            &mut e,
            "min_headcount",
            &form.min_headcount,
            "Enter a headcount of at least 1, or leave it empty.",
        ),
        above_band: choice(
            &mut e,
            "above_band",
            &form.above_band,
            &[("true", ""), ("false", "")],
        )
        .map(|v| v == "true"),
        employment_type: choice(
            &mut e,
            "employment_type",
            &form.employment_type,
            &EMPLOYMENT_TYPES,
        ),
        reason: choice(&mut e, "reason", &form.reason, &REASONS),
        min_amount: at_least_one(
            &mut e,
            "min_amount",
            &form.min_amount,
            "Enter a yearly amount of at least 1, or leave it empty.",
        )
        .map(i64::from),
    };
    if is_default && conditions != Conditions::default() {
        e.add(
            "conditions",
            "The default workflow applies to every requirement: leave its conditions empty.",
        );
    }
    if form.steps.is_empty() {
        e.add("steps", "Add at least one step.");
    }
    let wanted: Vec<Uuid> = form
        .steps
        .iter()
        .flat_map(|s| {
            s.approver_ids
                .iter()
                .chain([&s.fallback_id])
                .filter_map(|id| id.parse().ok())
        })
        .collect();
    let active: Vec<Uuid> =
        sqlx::query_scalar("select id from users where id = any($1) and deactivated_at is null")
            .bind(&wanted)
            .fetch_all(&mut *conn)
            .await?;
    let mut steps = Vec::with_capacity(form.steps.len());
    for (n, s) in form.steps.iter().enumerate() {
        let (step, errors) = parse_step(s, &active);
        steps.extend(step);
        e.nest("steps", n, errors);
    }
    if e.is_empty() {
        Ok(Fields {
            name,
            conditions,
            steps,
        })
    } else {
        Err(Error::Invalid(e))
    }
}

fn parse_step(s: &StepForm, active: &[Uuid]) -> (Option<Step>, FieldErrors) {
    let mut e = FieldErrors::default();
    let name = required_text(&mut e, "name", &s.name, 120, "Name the step.");
    let kind = choice(&mut e, "approver_kind", &s.approver_kind, &APPROVER_KINDS);
    if s.approver_kind.trim().is_empty() {
        e.add("approver_kind", "Choose who approves.");
    }
    let mut approver_ids: Vec<Uuid> = Vec::new();
    let mut approver_role = None;
    match kind.as_deref() {
        Some("users") => {
            let mut inactive = false;
            for id in &s.approver_ids {
                match id.parse::<Uuid>() {
                    Ok(id) if approver_ids.contains(&id) => {}
                    Ok(id) if active.contains(&id) => approver_ids.push(id),
                    _ => inactive = true,
                }
            }
            if inactive {
                e.add("approver_ids", "Choose people who are active.");
            } else if approver_ids.is_empty() {
                e.add("approver_ids", "Choose at least one person.");
            }
        }
        Some("role") => match Role::parse(s.approver_role.trim()) {
            Some(role) => approver_role = Some(role.as_str().to_owned()),
            None => e.add("approver_role", "Choose a role."),
        },
        _ => {}
    }
    let required = at_least_one(
        &mut e,
        "required",
        &s.required,
        "Enter how many must approve (at least 1), or leave it empty for all.",
    );
    match (required, kind.as_deref()) {
        (Some(n), Some("users")) if n as usize > approver_ids.len() && !approver_ids.is_empty() => {
            e.add(
                "required",
                format!(
                    "Only {} {} chosen.",
                    approver_ids.len(),
                    if approver_ids.len() == 1 {
                        "person is"
                    } else {
                        "people are"
                    }
                ),
            )
        }
        (Some(_), Some("department_head" | "manager")) => e.add(
            "required",
            "One person approves this step: leave this empty.",
        ),
        _ => {}
    }
    let fallback_id = match s.fallback_id.trim() {
        "" => None,
        id => match id.parse::<Uuid>() {
            Ok(id) if active.contains(&id) => Some(id),
            _ => {
                e.add("fallback_id", "Choose someone who is active, or nobody.");
                None
            }
        },
    };
    let sla_hours = match s.sla_hours.trim().parse::<i32>() {
        Ok(n) if (1..=8760).contains(&n) => n,
        _ => {
            e.add("sla_hours", "Enter a number of hours from 1 to 8760.");
            0
        }
    };
    if !e.is_empty() {
        return (None, e);
    }
    let step = kind.map(|approver_kind| Step {
        name,
        approver_kind,
        approver_ids,
        approver_role,
        required,
        sla_hours,
        fallback_id,
    });
    (step, e)
}

// ---- saving ---------------------------------------------------------------------

async fn insert_steps(
    conn: &mut PgConnection,
    id: Uuid,
    steps: &[Step],
) -> Result<(), sqlx::Error> {
    for (i, s) in steps.iter().enumerate() {
        sqlx::query(
            "insert into workflow_steps (workflow_id, position, name, approver_kind, approver_ids, approver_role, required, sla_hours, fallback_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(i as i32 + 1)
        .bind(&s.name)
        .bind(&s.approver_kind)
        .bind(&s.approver_ids)
        .bind(&s.approver_role)
        .bind(s.required)
        .bind(s.sla_hours)
        .bind(s.fallback_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records the workflow as it now is as its current version.
async fn snapshot(conn: &mut PgConnection, id: Uuid, actor: &Actor) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "insert into workflow_versions (workflow_id, version, name, conditions, steps, saved_by)
         select w.id, w.version, w.name, w.conditions, ",
        steps_json!(),
        ", $2 from approval_workflows w where w.id = $1"
    ))
    .bind(id)
    .bind(actor.user_id)
    .execute(conn)
    .await?;
    Ok(())
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Creates a workflow (not the default) as its version 1.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    subject: SubjectKind,
    form: &mut WorkflowForm,
) -> Result<Uuid, Error> {
    let f = parse(&mut *conn, form, false).await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into approval_workflows (subject, name, conditions) values ($1, $2, $3) returning id",
    )
    .bind(subject.as_str())
    .bind(&f.name)
    .bind(Json(&f.conditions))
    .fetch_one(&mut *conn)
    .await?;
    insert_steps(&mut *conn, id, &f.steps).await?;
    snapshot(&mut *conn, id, actor).await?;
    let c = Changes::new()
        .created("name", &f.name)
        .created("conditions", &json(&f.conditions))
        .created("steps", &json(&f.steps))
        .created("version", &1);
    audit::record(
        conn,
        actor,
        audit::Action::WorkflowCreated,
        audit::Entity::ApprovalWorkflow,
        Some(id),
        c,
    )
    .await?;
    Ok(id)
}

/// Saves the form over the workflow as its next version. The steps are
/// rewritten; approvals already running keep what their tasks copied.
pub async fn save(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    form: &mut WorkflowForm,
) -> Result<i32, Error> {
    let before: Workflow = sqlx::query_as(concat!(
        workflow_select!(),
        "where w.id = $1 and w.archived_at is null for update of w"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let f = parse(&mut *conn, form, before.is_default).await?;
    if before.version != form.version {
        return Err(Error::stale(conn, audit::Entity::ApprovalWorkflow, id, form.version).await);
    }
    let version = before.version + 1;
    sqlx::query(
        "update approval_workflows set name = $2, conditions = $3, version = $4, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(&f.name)
    .bind(Json(&f.conditions))
    .bind(version)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from workflow_steps where workflow_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_steps(&mut *conn, id, &f.steps).await?;
    snapshot(&mut *conn, id, actor).await?;
    let c = Changes::new()
        .field("name", &before.name, &f.name)
        .field(
            "conditions",
            &json(&before.conditions.0),
            &json(&f.conditions),
        )
        .field("steps", &json(&before.steps.0), &json(&f.steps))
        .field("version", &before.version, &version);
    audit::record(
        conn,
        actor,
        audit::Action::WorkflowUpdated,
        audit::Entity::ApprovalWorkflow,
        Some(id),
        c,
    )
    .await?;
    Ok(version)
}

/// Retires a workflow: new submissions no longer use it. Never the default.
pub async fn archive(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<(), Error> {
    let w = load(&mut *conn, id)
        .await?
        .filter(|w| w.archived_at.is_none())
        .ok_or(Error::NotFound)?;
    if w.is_default {
        return Err(Error::refused(
            "The default workflow cannot be archived: make another one the default first.",
        ));
    }
    let done = sqlx::query(
        "update approval_workflows set archived_at = now(), updated_at = now()
          where id = $1 and archived_at is null and not is_default",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    let c = Changes::new().field("archived", &false, &true);
    audit::record(
        conn,
        actor,
        audit::Action::WorkflowArchived,
        audit::Entity::ApprovalWorkflow,
        Some(id),
        c,
    )
    .await?;
    Ok(())
}

/// Makes a live workflow without conditions the default of its subject, in
/// place of the one before (the unique index keeps one live default).
pub async fn make_default(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<(), Error> {
    let w = load(&mut *conn, id)
        .await?
        .filter(|w| w.archived_at.is_none())
        .ok_or(Error::NotFound)?;
    if w.is_default {
        return Ok(());
    }
    if w.conditions.0 != Conditions::default() {
        return Err(Error::refused(
            "The default applies to every requirement: remove this workflow's conditions first.",
        ));
    }
    let previous: Option<Uuid> = sqlx::query_scalar(
        "update approval_workflows set is_default = false, updated_at = now()
          where subject = (select subject from approval_workflows where id = $1)
            and is_default and archived_at is null
          returning id",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "update approval_workflows set is_default = true, updated_at = now() where id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let c = Changes::new()
        .field("is_default", &false, &true)
        .created("previous_default", &previous);
    audit::record(
        conn,
        actor,
        audit::Action::WorkflowMadeDefault,
        audit::Entity::ApprovalWorkflow,
        Some(id),
        c,
    )
    .await?;
    Ok(())
}

// ---- history --------------------------------------------------------------------

/// One saved version, as the history shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub version: i32,
    pub name: String,
    pub conditions: Json<Conditions>,
    pub steps: Json<Vec<Step>>,
    pub saved_by_name: Option<String>,
    pub saved_at: DateTime<Utc>,
}

/// Every recorded version, newest first.
pub async fn versions(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Version>, sqlx::Error> {
    sqlx::query_as(
        "select v.version, v.name, v.conditions, v.steps, u.full_name as saved_by_name, v.saved_at
           from workflow_versions v left join users u on u.id = v.saved_by
          where v.workflow_id = $1 order by v.version desc",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// What changed from `before` to `after`, one sentence per change.
pub fn changes_between(before: &Version, after: &Version, names: &Names) -> Vec<String> {
    let mut out = Vec::new();
    if before.name != after.name {
        out.push(format!(
            "Renamed from “{}” to “{}”.",
            before.name, after.name
        ));
    }
    if before.conditions.0 != after.conditions.0 {
        out.push(format!(
            "Conditions: {} → {}.",
            before.conditions.describe(names),
            after.conditions.describe(names)
        ));
    }
    let (old, new) = (&before.steps.0, &after.steps.0);
    for i in 0..old.len().max(new.len()) {
        match (old.get(i), new.get(i)) {
            (Some(o), Some(n)) if o != n => out.push(format!(
                "Step {}: {} → {}.",
                i + 1,
                o.describe(names),
                n.describe(names)
            )),
            (None, Some(n)) => out.push(format!("Step {} added: {}.", i + 1, n.describe(names))),
            (Some(o), None) => out.push(format!("Step {} removed: {}.", i + 1, o.describe(names))),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_the_subjects_facts_and_fail_on_facts_it_lacks() {
        let department = Uuid::new_v4();
        let requirement = Facts {
            department_id: Some(department),
            level_rank: Some(4),
            headcount: Some(3),
            above_band: Some(false),
            employment_type: Some("full_time".into()),
            reason: Some("new".into()),
            amount: None,
        };
        let senior_hiring = Conditions {
            department_id: Some(department),
            min_level_rank: Some(4),
            min_headcount: Some(2),
            ..Conditions::default()
        };
        assert!(senior_hiring.matches(&requirement));
        assert!(!senior_hiring.matches(&Facts {
            level_rank: Some(3),
            ..requirement.clone()
        }));
        // A subject without a headcount (an offer) is not "headcount 2 or more".
        assert!(!senior_hiring.matches(&Facts {
            headcount: None,
            ..requirement.clone()
        }));
        assert!(Conditions::default().matches(&Facts::default()));
        // An offer's amount: over the threshold, not at it.
        let large = Conditions {
            min_amount: Some(100_000),
            ..Conditions::default()
        };
        let offer = |amount| Facts {
            amount: Some(amount),
            ..Facts::default()
        };
        assert!(large.matches(&offer(100_001)));
        assert!(!large.matches(&offer(100_000)));
        assert!(!large.matches(&requirement));
        assert_eq!(large.specificity(), 1);
    }
}
