//! An offer's history in words: its own entries (drafted, changed, sent,
//! answered…) and its approvals'. The candidate's history tells the same
//! entries with [`words`].

use super::OfferId;
use crate::domain::activity::history::{self, Event, FieldChange, Names, Told, after};
use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::BTreeMap;

pub async fn timeline(conn: &mut PgConnection, id: OfferId) -> Result<Vec<Event>, sqlx::Error> {
    let subject = SubjectRef::new(SubjectKind::Offer, id.uuid());
    history::timeline(conn, subject, tell).await
}

fn tell(action: &str, changes: &BTreeMap<String, Value>, _: &Names) -> Told {
    let changed = if action == "offer.changed" {
        // The terms' labels are the keys a change recorded.
        changes
            .iter()
            .filter(|(k, _)| k.chars().next().is_some_and(char::is_uppercase))
            .map(|(k, v)| FieldChange {
                label: label(k),
                before: v["before"].as_str().unwrap_or_default().to_owned(),
                after: v["after"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Told {
        what: words(action, changes).unwrap_or_else(|| action.replace(['.', '_'], " ")),
        comment: after(changes, "reason").unwrap_or_default().to_owned(),
        changes: changed,
    }
}

/// The terms' labels as `'static` names (history entries borrow them).
fn label(key: &str) -> &'static str {
    super::terms::LABELS
        .iter()
        .find(|l| **l == key)
        .copied()
        .unwrap_or("Term")
}

/// What an offer's (or its onboarding's) entry says, for any history.
pub fn words(action: &str, changes: &BTreeMap<String, Value>) -> Option<String> {
    let version = || {
        changes
            .get("terms_version")
            .and_then(|v| v["after"].as_i64())
            .map(|n| format!(" (version {n})"))
            .unwrap_or_default()
    };
    Some(match action {
        "offer.created" => "drafted an offer".into(),
        "offer.changed" => format!("changed the offer's terms{}", version()),
        "offer.submitted" => "sent the offer for approval".into(),
        "offer.approved" => "approved the offer (last approval)".into(),
        "offer.returned" => "sent the offer back to draft".into(),
        "offer.sent" => "sent the offer to the candidate".into(),
        "offer.accepted" => "recorded the offer as accepted".into(),
        "offer.declined" => "recorded the offer as declined".into(),
        "offer.expired" => "the offer expired unanswered".into(),
        "offer.withdrawn" => "withdrew the offer".into(),
        "onboarding.started" => "began the onboarding checklist".into(),
        "onboarding_task.done" => format!(
            "ticked off an onboarding task: {}",
            after(changes, "task").unwrap_or_default()
        ),
        "onboarding_task.reopened" => format!(
            "opened an onboarding task again: {}",
            after(changes, "task").unwrap_or_default()
        ),
        _ => return None,
    })
}
