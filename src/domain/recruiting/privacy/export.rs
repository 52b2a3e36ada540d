//! Everything held about a candidate: their rows of every table that holds
//! any (the web layer packs them, with their files and a page to read, as
//! one archive).

use super::super::candidate::CandidateId;
use super::anonymise::records;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use serde_json::{Map, Value};
use sqlx::PgConnection;

/// Each table holding rows about the person, and how to read them: `$1` is
/// their records (the candidate and those merged into it), `$2` their
/// applications. Secrets (token digests, sealed mail tokens) and the search
/// index stay out. A table that starts to hold rows about candidates joins
/// this list (the export test lists the tables with a `candidate_id`).
const TABLES: &[(&str, &str)] = &[
    ("candidates", "select to_jsonb(t) - 'search' from candidates t where id = any($1)"),
    ("candidate_emails", "select to_jsonb(t) from candidate_emails t where candidate_id = any($1)"),
    (
        "applications",
        "select to_jsonb(t) || jsonb_build_object('requirement', r.reference, 'title', r.title, 'stage', s.name)
           from applications t join requirements r on r.id = t.requirement_id
           join pipeline_stages s on s.id = t.stage_id
          where t.candidate_id = any($1)",
    ),
    (
        "application_stage_changes",
        "select to_jsonb(t) from application_stage_changes t where application_id = any($2)",
    ),
    (
        "file_attachments",
        "select to_jsonb(t) || jsonb_build_object('size', b.size, 'kind', b.kind, 'text', b.text)
           from file_attachments t join file_blobs b on b.sha256 = t.sha256
          where t.candidate_id = any($1)",
    ),
    (
        "comments",
        "select to_jsonb(t) from comments t where subject_type = 'candidate' and subject_id = any($1)",
    ),
    (
        "candidate_merges",
        "select to_jsonb(t) from candidate_merges t where kept_id = any($1) or merged_id = any($1)",
    ),
    (
        "candidate_tokens",
        "select to_jsonb(t) - 'digest' from candidate_tokens t where candidate_id = any($1)",
    ),
    ("data_requests", "select to_jsonb(t) from data_requests t where candidate_id = any($1)"),
    (
        "notifications",
        "select to_jsonb(t) from notifications t
          where subject_id = any($1) or subject_id = any($2)
             or subject_id in (select id from interviews where application_id = any($2))
             or subject_id in (select id from offers where application_id = any($2))",
    ),
    (
        "outbox",
        "select to_jsonb(t) - 'sealed_token' from outbox t
          where lower(to_address) in (select lower(email) from candidate_emails where candidate_id = any($1))
             or application_id = any($2)",
    ),
    ("openings", "select to_jsonb(t) from openings t where application_id = any($2)"),
    ("interviews", "select to_jsonb(t) from interviews t where application_id = any($2)"),
    (
        "interview_panel",
        "select to_jsonb(t) || jsonb_build_object('name', u.full_name)
           from interview_panel t join users u on u.id = t.user_id
           join interviews i on i.id = t.interview_id where i.application_id = any($2)",
    ),
    (
        "scorecards",
        "select to_jsonb(t) || jsonb_build_object('author', u.full_name)
           from scorecards t join users u on u.id = t.author_id
           join interviews i on i.id = t.interview_id where i.application_id = any($2)",
    ),
    (
        "scorecard_versions",
        "select to_jsonb(t) from scorecard_versions t
           join scorecards s on s.id = t.scorecard_id
           join interviews i on i.id = s.interview_id where i.application_id = any($2)",
    ),
    ("offers", "select to_jsonb(t) from offers t where application_id = any($2)"),
    (
        "offer_versions",
        "select to_jsonb(t) - 'letter_pdf' from offer_versions t
           join offers o on o.id = t.offer_id where o.application_id = any($2)",
    ),
    (
        "offer_links",
        "select to_jsonb(t) - 'digest' from offer_links t
           join offers o on o.id = t.offer_id where o.application_id = any($2)",
    ),
    (
        "onboarding_tasks",
        "select to_jsonb(t) from onboarding_tasks t
           join onboardings b on b.id = t.onboarding_id
           join offers o on o.id = b.offer_id where o.application_id = any($2)",
    ),
    (
        "apply_attempts",
        "select to_jsonb(t) from apply_attempts t where lower(email) in
           (select lower(email) from candidate_emails where candidate_id = any($1))",
    ),
    (
        "audit_logs",
        "select to_jsonb(t) from audit_logs t
          where t.id in (select audit_id from subject_audit
                          where subject_type = 'candidate' and subject_id = any($1))",
    ),
];

/// Every row about the candidate, by table.
pub async fn rows(conn: &mut PgConnection, id: CandidateId) -> Result<Map<String, Value>, Error> {
    let records: Vec<uuid::Uuid> =
        sqlx::query_scalar(concat!(records!(), "select id from records"))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let applications: Vec<uuid::Uuid> =
        sqlx::query_scalar("select id from applications where candidate_id = any($1)")
            .bind(&records)
            .fetch_all(&mut *conn)
            .await?;
    let mut all = Map::new();
    for (table, sql) in TABLES {
        let found: Vec<Value> = sqlx::query_scalar(*sql)
            .bind(&records)
            .bind(&applications)
            .fetch_all(&mut *conn)
            .await?;
        all.insert((*table).to_owned(), Value::Array(found));
    }
    Ok(all)
}

/// Records that `actor` (an admin, or the candidate by their mailed link)
/// took the archive of everything held about them.
pub async fn exported(
    conn: &mut PgConnection,
    actor: &Actor,
    id: CandidateId,
) -> Result<(), Error> {
    audit::record(
        conn,
        actor,
        audit::Action::CandidateExported,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new(),
    )
    .await?;
    Ok(())
}

/// The tables [`rows`] reads, in its order.
pub fn tables() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(t, _)| *t)
}
