//! Everything held about a candidate, as one zip archive: `data.json` with
//! their rows of every table that holds any, their files under `files/`,
//! and `summary.html` to read it without tools.

use super::super::candidate::CandidateId;
use super::super::files::Store;
use super::anonymise::records;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use askama::Template;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::io::Write as _;

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
        "select to_jsonb(t) from notifications t where subject_id = any($1) or subject_id = any($2)",
    ),
    (
        "outbox",
        "select to_jsonb(t) - 'sealed_token' from outbox t
          where lower(to_address) in (select lower(email) from candidate_emails where candidate_id = any($1))
             or application_id = any($2)",
    ),
    ("openings", "select to_jsonb(t) from openings t where application_id = any($2)"),
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

#[derive(Template)]
#[template(path = "exports/summary.html")]
struct Summary<'a> {
    name: &'a str,
    company: &'a str,
    exported_on: String,
    rows: &'a Map<String, Value>,
}

impl Summary<'_> {
    /// The rows of `table`, each a list of (field, value) to show.
    fn of(&self, table: &str) -> Vec<Vec<(String, String)>> {
        let rows = self.rows.get(table).and_then(Value::as_array);
        rows.map(|rows| {
            rows.iter()
                .filter_map(Value::as_object)
                .map(|row| {
                    row.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| {
                            let shown = match v {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.replace('_', " "), shown)
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Each table, with its heading.
    fn tables(&self) -> Vec<(&'static str, String)> {
        TABLES
            .iter()
            .map(|(t, _)| (*t, t.replace('_', " ")))
            .collect()
    }
}

/// The archive, audited as an export by `actor` (an admin, or the
/// candidate by their mailed link).
pub async fn archive(
    conn: &mut PgConnection,
    store: &dyn Store,
    actor: &Actor,
    id: CandidateId,
    company: &str,
) -> Result<Vec<u8>, Error> {
    let rows = rows(&mut *conn, id).await?;
    let name = rows["candidates"]
        .as_array()
        .and_then(|c| c.first())
        .and_then(|c| c.get("full_name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let files: Vec<(String, String)> = rows["file_attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                format!(
                    "files/{}-{}",
                    f.get("id")?.as_str()?,
                    f.get("name")?.as_str()?.replace(['/', '\\'], "_")
                ),
                f.get("sha256")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let summary = Summary {
        name: &name,
        company,
        exported_on: chrono::Utc::now().date_naive().to_string(),
        rows: &rows,
    }
    .render()
    .map_err(|e| Error::Internal(e.into()))?;
    let json = serde_json::to_vec_pretty(&rows).map_err(|e| Error::Internal(e.into()))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let zipped = |e: zip::result::ZipError| Error::Internal(e.into());
    zip.start_file("data.json", options).map_err(zipped)?;
    zip.write_all(&json)
        .map_err(|e| Error::Internal(e.into()))?;
    zip.start_file("summary.html", options).map_err(zipped)?;
    zip.write_all(summary.as_bytes())
        .map_err(|e| Error::Internal(e.into()))?;
    for (path, sha256) in files {
        let bytes = store.get(&sha256).await.map_err(Error::Internal)?;
        zip.start_file(path, options).map_err(zipped)?;
        zip.write_all(&bytes)
            .map_err(|e| Error::Internal(e.into()))?;
    }
    let bytes = zip.finish().map_err(zipped)?.into_inner();
    audit::record(
        conn,
        actor,
        audit::Action::CandidateExported,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new(),
    )
    .await?;
    Ok(bytes)
}
