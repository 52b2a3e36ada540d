//! A requirement's history in words: its timeline (every change and
//! decision, who, when, on whose behalf) and the difference between two
//! versions of its fields, with ids turned into names.

use crate::domain::kernel::{EMPLOYMENT_TYPES, REASONS};
use crate::domain::requisition::form::{self, PRIORITIES, REMOTE_POLICIES, RequirementFields};
use crate::domain::requisition::lifecycle::Status;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// One field that changed, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// One entry of the timeline.
#[derive(Debug)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub what: String,
    /// A reason or an approver's comment.
    pub comment: String,
    pub changes: Vec<FieldChange>,
}

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
    let names = names(conn, changes.values()).await?;
    Ok(in_words(changes, &names))
}

fn in_words(changes: &BTreeMap<String, Value>, names: &HashMap<Uuid, String>) -> Vec<FieldChange> {
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

/// Names of the departments, levels and people the changes refer to.
async fn names(
    conn: &mut PgConnection,
    changes: impl Iterator<Item = &Value>,
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let ids: Vec<Uuid> = changes
        .flat_map(|c| [c.get("before"), c.get("after")])
        .flatten()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, name from departments where id = any($1)
         union all select id, name from job_levels where id = any($1)
         union all select id, full_name from users where id = any($1)",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

fn show(field: &str, value: Option<&Value>, names: &HashMap<Uuid, String>) -> String {
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

/// What an audit action says in the timeline.
fn what(action: &str, step: Option<&str>) -> String {
    let step = step.map(|s| format!(" ({s})")).unwrap_or_default();
    match action {
        "requirement.created" => "drafted it".into(),
        "requirement.updated" => "edited it".into(),
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
        "approval.approved" => format!("approved{step}"),
        "approval.rejected" => format!("rejected{step}"),
        "approval.changes_requested" => format!("asked for changes{step}"),
        "approval.reassigned" => format!("reassigned the approval{step}"),
        "approval.step_skipped" => "skipped a step with no eligible approver".into(),
        "approval.reminder" => format!("reminded the approver{step}"),
        "approval.escalation" => format!("escalated the approval{step}"),
        other => other.replace(['.', '_'], " "),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    at: DateTime<Utc>,
    actor: Option<String>,
    on_behalf_of: Option<String>,
    action: String,
    changes: sqlx::types::Json<BTreeMap<String, Value>>,
    step: Option<String>,
}

/// Every change and decision on the requirement and its approvals, newest
/// first, read from the audit log (the one record of who did what).
pub async fn timeline(
    conn: &mut PgConnection,
    requirement_id: Uuid,
) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "select a.at, actor.full_name as actor, behalf.full_name as on_behalf_of, a.action,
                a.changes, t.step_name as step
           from audit_logs a
           left join users actor on actor.id = a.actor_id
           left join users behalf on behalf.id = a.on_behalf_of_id
           left join approval_tasks t on a.entity_type = 'approval_task' and t.id = a.entity_id
          where (a.entity_type = 'requirement' and a.entity_id = $1)
             or (a.entity_type = 'opening' and a.entity_id in
                   (select o.id from openings o where o.requirement_id = $1))
             or (a.entity_type = 'approval_task' and a.entity_id in
                   (select t.id from approval_tasks t join approvals p on p.id = t.approval_id
                     where p.subject_type = 'requirement' and p.subject_id = $1))
          order by a.id desc",
    )
    .bind(requirement_id)
    .fetch_all(&mut *conn)
    .await?;
    let names = names(conn, rows.iter().flat_map(|r| r.changes.0.values())).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let changes = &row.changes.0;
            let after = |key: &str| changes.get(key)?.get("after")?.as_str();
            // An edit lists the fields it changed; a transition or decision
            // says what happened, why, and where it left the requirement
            // (its "reason" is the why, not the requirement's field).
            let (mut said, comment, changes) = match row.action.as_str() {
                "requirement.created" => (what(&row.action, None), String::new(), Vec::new()),
                "requirement.updated" => (
                    what(&row.action, None),
                    String::new(),
                    in_words(changes, &names),
                ),
                "opening.filled" | "opening.closed" => (
                    format!(
                        "{} opening {}",
                        row.action.trim_start_matches("opening."),
                        changes
                            .get("opening")
                            .and_then(|o| o.get("after"))
                            .map(Value::to_string)
                            .unwrap_or_default()
                    ),
                    after("hire")
                        .or_else(|| after("reason"))
                        .unwrap_or_default()
                        .to_owned(),
                    Vec::new(),
                ),
                action => (
                    what(action, row.step.as_deref()),
                    after("reason")
                        .or_else(|| after("comment"))
                        .unwrap_or_default()
                        .to_owned(),
                    Vec::new(),
                ),
            };
            // An opening's status is its own, not the requirement's.
            if let Some(status) = after("status")
                .filter(|_| row.action.starts_with("requirement."))
                .and_then(Status::parse)
            {
                said = format!("{said}, now {}", status.label());
            }
            Event {
                at: row.at,
                actor: row.actor,
                on_behalf_of: row.on_behalf_of,
                what: said,
                comment,
                changes,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_and_flags_read_as_words() {
        let names = HashMap::new();
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
