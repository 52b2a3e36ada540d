//! A requirement's history in words: its timeline (every change and
//! decision, who, when, on whose behalf) and the difference between two
//! versions of its fields, with ids turned into names.

use crate::domain::activity::history::{self, Names, Told, after};
use crate::domain::kernel::{EMPLOYMENT_TYPES, REASONS};
use crate::domain::requisition::approval_subject;
use crate::domain::requisition::form::{self, PRIORITIES, REMOTE_POLICIES, RequirementFields};
use crate::domain::requisition::lifecycle::Status;
use crate::domain::requisition::requirement::RequirementId;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::borrow::Cow;
use std::collections::BTreeMap;
use uuid::Uuid;

pub use crate::domain::activity::history::{Event, FieldChange};

/// Field name → label, in the order the requirement page shows them.
/// Fields not listed (version, the comment fields) are not shown as changes.
const LABELS: [(&str, &str); 20] = [
    ("status", "Status"),
    ("title", "Title"),
    ("department_id", "Department"),
    ("job_level_id", "Job level"),
    ("hiring_manager_id", "Hiring manager"),
    ("recruiter_id", "Recruiter"),
    ("headcount", "Headcount"),
    ("employment_type", "Employment type"),
    ("location", "Location"),
    ("remote_policy", "Remote policy"),
    ("salary_min", "Salary minimum"),
    ("salary_max", "Salary maximum"),
    ("currency", "Currency"),
    ("reason", "Reason"),
    ("replaces", "Replaces"),
    ("target_start", "Target start"),
    ("priority", "Priority"),
    ("description", "Description"),
    ("skills", "Skills"),
    ("confidential", "Confidential"),
];

/// `{field: {before, after}}`, the shape audit rows keep, between two
/// versions of the fields.
pub fn diff(before: &RequirementFields, after: &RequirementFields) -> BTreeMap<String, Value> {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return BTreeMap::new();
    };
    a.into_iter()
        .filter(|(k, v)| b.get(k) != Some(v))
        .map(|(k, v)| {
            let mut change = Map::new();
            change.insert("before".into(), b.get(&k).cloned().unwrap_or(Value::Null));
            change.insert("after".into(), v);
            (k, Value::Object(change))
        })
        .collect()
}

/// The changes in words, in page order; ids become names.
pub async fn describe(
    conn: &mut PgConnection,
    changes: &BTreeMap<String, Value>,
) -> Result<Vec<FieldChange>, sqlx::Error> {
    let names = history::names(conn, changes.values()).await?;
    Ok(in_words(changes, &names))
}

fn in_words(changes: &BTreeMap<String, Value>, names: &Names) -> Vec<FieldChange> {
    LABELS
        .iter()
        .filter_map(|(field, label)| {
            let change = changes.get(*field)?;
            Some(FieldChange {
                label,
                before: show(field, change.get("before"), names),
                after: show(field, change.get("after"), names),
            })
        })
        .filter(|c| c.before != c.after)
        .collect()
}

fn show(field: &str, value: Option<&Value>, names: &Names) -> String {
    let choices: &[(&str, &str)] = match field {
        "employment_type" => &EMPLOYMENT_TYPES,
        "remote_policy" => &REMOTE_POLICIES,
        "priority" => &PRIORITIES,
        "reason" => &REASONS,
        _ => &[],
    };
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::Bool(b)) => if *b { "Yes" } else { "No" }.into(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::String(s)) if field == "status" => {
            Status::parse(s).map_or_else(|| s.clone(), |s| s.label().to_owned())
        }
        Some(Value::String(s)) if !choices.is_empty() => Some(form::label(choices, s))
            .filter(|l| !l.is_empty())
            .unwrap_or(s)
            .to_owned(),
        Some(Value::String(s)) => match s.parse::<Uuid>() {
            Ok(id) => names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "(removed)".into()),
            Err(_) => s.clone(),
        },
        Some(Value::Number(n)) if field.starts_with("salary_") => n
            .as_i64()
            .map_or_else(|| n.to_string(), |n| crate::domain::kernel::amount(&n)),
        Some(other) => other.to_string(),
    }
}

/// The requirement's history, newest first (see [`history::timeline`]).
pub async fn timeline(
    conn: &mut PgConnection,
    id: RequirementId,
) -> Result<Vec<Event>, sqlx::Error> {
    history::timeline(conn, approval_subject::subject(id), tell).await
}

/// What one of the requirement's own entries (or its openings') says. An
/// edit lists the fields it changed; a transition says what happened, why,
/// and where it left the requirement (its "reason" is the why, not the
/// requirement's field).
fn tell(action: &str, changes: &BTreeMap<String, Value>, names: &Names) -> Told {
    let reason = || after(changes, "reason").unwrap_or_default().to_owned();
    let what: Cow<str> = match action {
        "requirement.created" => "drafted it".into(),
        "requirement.updated" => {
            return Told {
                what: "edited it".into(),
                comment: String::new(),
                changes: in_words(changes, names),
            };
        }
        "opening.filled" | "opening.closed" => {
            let opening = changes.get("opening").and_then(|o| o.get("after"));
            return Told {
                what: format!(
                    "{} opening {}",
                    action.trim_start_matches("opening."),
                    opening.map(Value::to_string).unwrap_or_default()
                ),
                comment: after(changes, "hire").map_or_else(reason, str::to_owned),
                changes: Vec::new(),
            };
        }
        "requirement.deleted" => "deleted it".into(),
        "requirement.submit" => "submitted it for approval".into(),
        "requirement.submit_change" => "sent a change for approval".into(),
        "requirement.approve" => "completed the approval".into(),
        "requirement.decline_change" => "declined the change: the approved values are back".into(),
        "requirement.reject" => "rejected it".into(),
        "requirement.request_changes" => "sent it back for changes".into(),
        "requirement.open" => "opened it for recruiting".into(),
        "requirement.hold" => "put it on hold".into(),
        "requirement.resume" => "resumed it".into(),
        "requirement.cancel" => "cancelled it".into(),
        "requirement.fill" => "marked it filled".into(),
        "pipeline.copied" => "gave it a pipeline of its own".into(),
        "requirement.published" => "published it on the careers site".into(),
        "requirement.unpublished" => "took it off the careers site".into(),
        other => other.replace(['.', '_'], " ").into(),
    };
    let what = match after(changes, "status").and_then(Status::parse) {
        Some(status) => format!("{what}, now {}", status.label()),
        None => what.into_owned(),
    };
    let comment = if action == "requirement.created" {
        String::new()
    } else {
        after(changes, "reason")
            .or_else(|| after(changes, "comment"))
            .unwrap_or_default()
            .to_owned()
    };
    Told {
        what,
        comment,
        changes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_and_flags_read_as_words() {
        let names = Names::new();
        assert_eq!(show("priority", Some(&"urgent".into()), &names), "Urgent");
        assert_eq!(show("confidential", Some(&true.into()), &names), "Yes");
        assert_eq!(show("status", Some(&"on_hold".into()), &names), "On hold");
        assert_eq!(show("recruiter_id", None, &names), "—");
        assert_eq!(
            show("skills", Some(&serde_json::json!(["Rust", "SQL"])), &names),
            "Rust, SQL"
        );
    }
}
