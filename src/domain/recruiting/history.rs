//! A candidate's history in words: their own entries (added, edited) and
//! their applications' (joined a pipeline, moved, rejected, un-rejected).

use super::candidate::CandidateId;
use crate::domain::activity::audit;
use crate::domain::activity::history::{self, Event, FieldChange, Names, Told, after};
use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// Field name → label, in the order the profile shows them.
const LABELS: [(&str, &str); 13] = [
    ("full_name", "Name"),
    ("emails", "Email"),
    ("phone", "Phone"),
    ("location", "Location"),
    ("links", "Links"),
    ("source", "Source"),
    ("referrer_id", "Referred by"),
    ("source_detail", "Source detail"),
    ("tags", "Tags"),
    ("skills", "Skills"),
    ("owner_id", "Owner"),
    ("consent", "Consent"),
    ("consent_until", "Consent until"),
];

/// The candidate's history, newest first.
pub async fn timeline(conn: &mut PgConnection, id: CandidateId) -> Result<Vec<Event>, sqlx::Error> {
    let subject = SubjectRef::new(SubjectKind::Candidate, id.uuid());
    history::timeline(conn, subject, tell).await
}

fn tell(action: &str, changes: &BTreeMap<String, Value>, names: &Names) -> Told {
    let stage = || after(changes, "stage").unwrap_or_default();
    let requirement = || after(changes, "requirement").unwrap_or_default();
    let (what, comment) = match action {
        "candidate.created" => ("added them".to_owned(), String::new()),
        "candidate.updated" => {
            return Told {
                what: "edited their details".into(),
                comment: String::new(),
                changes: in_words(changes, names),
            };
        }
        "candidate.merged" => {
            return Told {
                what: "merged another record of them into this one".into(),
                comment: String::new(),
                changes: in_words(changes, names),
            };
        }
        "candidate.merged_away" => ("merged this record into another".into(), String::new()),
        "candidate.split" => ("split a merge back into two records".into(), String::new()),
        "candidate.file_added" => ("added a file".to_owned(), String::new()),
        "application.created" => (
            format!("added them to {} at {}", requirement(), stage()),
            String::new(),
        ),
        "application.moved" => (format!("moved them to {}", stage()), String::new()),
        "application.rejected" => (
            format!(
                "{}: {}",
                stage().to_lowercase(),
                after(changes, "reason").unwrap_or_default()
            ),
            after(changes, "note").unwrap_or_default().to_owned(),
        ),
        "application.mail_cancelled" => ("cancelled the rejection email".into(), String::new()),
        "application.unrejected" => (
            format!("un-rejected them, back to {}", stage()),
            String::new(),
        ),
        "interview.scheduled" => (
            format!(
                "scheduled an interview: {}",
                after(changes, "round").unwrap_or_default()
            ),
            String::new(),
        ),
        "interview.changed" => ("changed an interview".into(), String::new()),
        "interview.cancelled" => (
            "cancelled an interview".into(),
            after(changes, "reason").unwrap_or_default().to_owned(),
        ),
        "interview.answered" => (
            format!(
                "{} an interview invitation (by calendar)",
                after(changes, "response").unwrap_or("answered")
            ),
            String::new(),
        ),
        "scorecard.submitted" => ("sent a scorecard".into(), String::new()),
        "scorecard.amended" => ("amended a scorecard".into(), String::new()),
        other => (
            crate::domain::offering::history::words(other, changes)
                .unwrap_or_else(|| other.replace(['.', '_'], " ")),
            after(changes, "reason").unwrap_or_default().to_owned(),
        ),
    };
    Told {
        what,
        comment,
        changes: Vec::new(),
    }
}

fn in_words(changes: &BTreeMap<String, Value>, names: &Names) -> Vec<FieldChange> {
    LABELS
        .iter()
        .filter_map(|(field, label)| {
            let change = changes.get(*field)?;
            Some(FieldChange {
                label,
                before: show(change.get("before"), names),
                after: if audit::is_personal(change) {
                    audit::NOT_KEPT.to_owned()
                } else {
                    show(change.get("after"), names)
                },
            })
        })
        .filter(|c| c.before != c.after)
        .collect()
}

fn show(value: Option<&Value>, names: &Names) -> String {
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::Bool(b)) => if *b { "Yes" } else { "No" }.into(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::String(s)) => match s.parse() {
            Ok(id) => names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "(removed)".into()),
            Err(_) => s.clone(),
        },
        Some(other) => other.to_string(),
    }
}
