//! The requirement form: its fields as typed, their rules and limits, and
//! [`validate`], which turns a form into fields fit to save.

use crate::domain::kernel::{
    FieldErrors, amount, optional_date, optional_id, optional_text, required_text,
};
use crate::domain::org::Pick;
use crate::domain::requisition::requirement::Requirement;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

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
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Band {
    pub min: i64,
    pub max: i64,
}

pub(crate) fn choice(
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

pub(crate) fn money(e: &mut FieldErrors, field: &'static str, v: &str) -> i64 {
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
    let band: Option<Band> = match level {
        Some(level) => {
            sqlx::query_as(
                "select salary_min as min, salary_max as max from job_levels where id = $1",
            )
            .bind(level)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => None,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
