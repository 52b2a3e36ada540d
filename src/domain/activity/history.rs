//! Any subject's history: every change and decision on it, its parts and
//! its approvals, who, when, on whose behalf, read from the audit log (the
//! one record of who did what) through the `subject_audit` view. The
//! subject's area tells its own entries in words ([`Tell`]); the approval
//! engine's entries read the same for every subject.

use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use crate::domain::kernel::NameOf;
use chrono::{DateTime, Utc};
use serde_json::Value;
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

/// What an area says of one of its entries.
pub struct Told {
    pub what: String,
    pub comment: String,
    pub changes: Vec<FieldChange>,
}

/// The names of the departments, levels and people that entries refer to
/// by id.
pub type Names = HashMap<Uuid, String>;

/// How a subject's area tells one of its own entries: its action and the
/// `{field: {before, after}}` it recorded.
pub type Tell = fn(&str, &BTreeMap<String, Value>, &Names) -> Told;

#[derive(sqlx::FromRow)]
struct Row {
    at: DateTime<Utc>,
    actor: Option<String>,
    on_behalf_of: Option<String>,
    action: String,
    changes: sqlx::types::Json<BTreeMap<String, Value>>,
    step: Option<String>,
}

/// The timeline's statement for subjects of `kind`. The kind is written
/// into the statement, not bound: the planner then drops the view's
/// branches for other kinds, which a statement with the kind as a
/// parameter starts (all eleven) at every execution.
fn timeline_sql(kind: SubjectKind) -> &'static str {
    macro_rules! of_kind {
        ($kind:literal) => {
            concat!(
                "select a.at, actor.full_name as actor, behalf.full_name as on_behalf_of, a.action,
                        a.changes, t.step_name as step
                   from subject_audit s
                   join audit_logs a on a.id = s.audit_id
                   left join users actor on actor.id = a.actor_id
                   left join users behalf on behalf.id = a.on_behalf_of_id
                   left join approval_tasks t on a.entity_type = 'approval_task' and t.id = a.entity_id
                  where s.subject_type = '",
                $kind,
                "' and s.subject_id = $1
                  order by a.id desc"
            )
        };
    }
    match kind {
        SubjectKind::Requirement => of_kind!("requirement"),
        SubjectKind::Offer => of_kind!("offer"),
        SubjectKind::Candidate => of_kind!("candidate"),
    }
}

/// The subject's history, newest first.
pub async fn timeline(
    conn: &mut PgConnection,
    subject: SubjectRef,
    tell: Tell,
) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(timeline_sql(subject.kind))
        .bind(subject.id)
        .fetch_all(&mut *conn)
        .await?;
    let names = names(conn, rows.iter().flat_map(|r| r.changes.0.values())).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let changes = &row.changes.0;
            let told = match approval_words(&row.action, row.step.as_deref()) {
                Some(what) => Told {
                    what,
                    comment: after(changes, "reason")
                        .or_else(|| after(changes, "comment"))
                        .unwrap_or_default()
                        .to_owned(),
                    changes: Vec::new(),
                },
                None => tell(&row.action, changes, &names),
            };
            Event {
                at: row.at,
                actor: row.actor,
                on_behalf_of: row.on_behalf_of,
                what: told.what,
                comment: told.comment,
                changes: told.changes,
            }
        })
        .collect())
}

/// The value a change left `key` at, if text.
pub fn after<'a>(changes: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a str> {
    changes.get(key)?.get("after")?.as_str()
}

/// What the approval engine's entries say, the same for every subject.
fn approval_words(action: &str, step: Option<&str>) -> Option<String> {
    let step = step.map(|s| format!(" ({s})")).unwrap_or_default();
    Some(match action {
        "approval.approved" => format!("approved{step}"),
        "approval.rejected" => format!("rejected{step}"),
        "approval.changes_requested" => format!("asked for changes{step}"),
        "approval.reassigned" => format!("reassigned the approval{step}"),
        "approval.step_skipped" => "skipped a step with no eligible approver".into(),
        "approval.reminder" => format!("reminded the approver{step}"),
        "approval.escalation" => format!("escalated the approval{step}"),
        _ => return None,
    })
}

/// Names of the departments, levels and people that `changes` refer to.
pub async fn names(
    conn: &mut PgConnection,
    changes: impl Iterator<Item = &Value>,
) -> Result<Names, sqlx::Error> {
    let ids: Vec<Uuid> = changes
        .flat_map(|c| [c.get("before"), c.get("after")])
        .flatten()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<NameOf> = sqlx::query_as(
        "select id, name from departments where id = any($1)
         union all select id, name from job_levels where id = any($1)
         union all select id, full_name from users where id = any($1)",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|n| (n.id, n.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_its_own_branches() {
        for kind in [
            SubjectKind::Requirement,
            SubjectKind::Offer,
            SubjectKind::Candidate,
        ] {
            let wanted = format!("s.subject_type = '{}' and", kind.as_str());
            assert!(timeline_sql(kind).contains(&wanted), "{kind:?}");
        }
    }
}
