//! A candidate's personal data, for admins: download all of it, erase it
//! (after a confirmation naming what goes), and legal holds. What the
//! candidates themselves ask by mailed link is `your_data`.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::recruiting::Reach;
use crate::domain::recruiting::candidate::{self, Candidate, CandidateId};
use crate::domain::recruiting::careers;
use crate::domain::recruiting::privacy::{self, anonymise, export, requests};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use sqlx::{Connection as _, PgConnection};
use std::io::Write as _;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/candidates/{id}/export"), download)
        .serve(route!(GET "/candidates/{id}/erasure"), confirm)
        .serve(route!(POST "/candidates/{id}/erasure"), erase)
        .serve(route!(POST "/candidates/{id}/legal-hold"), hold)
}

/// The candidate, for someone who handles personal data (who sees every
/// candidate); 404 for an unknown one.
async fn handled(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: CandidateId,
) -> Result<Candidate, AppError> {
    me.require(Permission::HandlePersonalData)?;
    candidate::find(conn, Reach::of(me.id, &me.roles), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A page to read what the archive holds, without tools.
#[derive(Template)]
#[template(path = "exports/summary.html")]
struct Summary<'a> {
    name: &'a str,
    company: &'a str,
    exported_on: String,
    rows: &'a Map<String, Value>,
}

impl Summary<'_> {
    /// Each table, with its heading.
    fn tables(&self) -> Vec<(&'static str, String)> {
        export::tables().map(|t| (t, t.replace('_', " "))).collect()
    }

    /// The rows of `table`, each a list of (field, value) to show.
    fn of(&self, table: &str) -> Vec<Vec<(String, String)>> {
        let rows = self.rows.get(table).and_then(Value::as_array);
        rows.into_iter()
            .flatten()
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
    }
}

/// Everything held about them as one zip archive: `data.json` with their
/// rows of every table, their files under `files/`, and `summary.html`.
/// Taking it is audited.
pub(super) async fn archive_response(
    state: &AppState,
    conn: &mut PgConnection,
    actor: &crate::domain::activity::audit::Actor,
    id: CandidateId,
) -> Result<Response, AppError> {
    let mut tx = conn.begin().await?;
    let company = careers::company(&mut tx).await?.company_name;
    let rows = export::rows(&mut tx, id).await?;
    export::exported(&mut tx, actor, id).await?;
    tx.commit().await?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = rows["candidates"]
        .get(0)
        .and_then(|c| text(c, "full_name"))
        .unwrap_or_default();
    let summary = Summary {
        name: &name,
        company: &company,
        exported_on: chrono::Utc::now().date_naive().to_string(),
        rows: &rows,
    }
    .render()?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let packed = |e: zip::result::ZipError| AppError::Internal(e.into());
    zip.start_file("data.json", options).map_err(packed)?;
    serde_json::to_writer_pretty(&mut zip, &rows).map_err(|e| AppError::Internal(e.into()))?;
    zip.start_file("summary.html", options).map_err(packed)?;
    zip.write_all(summary.as_bytes())
        .map_err(|e| AppError::Internal(e.into()))?;
    for file in rows["file_attachments"].as_array().into_iter().flatten() {
        let (Some(file_id), Some(file_name), Some(sha256)) =
            (text(file, "id"), text(file, "name"), text(file, "sha256"))
        else {
            continue;
        };
        let bytes = crate::domain::recruiting::files::Store::get(&state.files, &sha256)
            .await
            .map_err(AppError::Internal)?;
        let path = format!("files/{file_id}-{}", file_name.replace(['/', '\\'], "_"));
        zip.start_file(path, options).map_err(packed)?;
        zip.write_all(&bytes)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let bytes = zip.finish().map_err(packed)?.into_inner();
    Ok(render::attachment(
        &format!("candidate-{id}.zip"),
        "application/zip",
        bytes.into(),
    ))
}

async fn download(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = handled(conn, &me, id).await?;
    if c.anonymised() {
        return Err(AppError::NotFound);
    }
    archive_response(&state, conn, &me.actor(), id).await
}

#[derive(Template)]
#[template(path = "pages/candidates/erasure.html")]
struct ErasurePage {
    layout: Layout,
    c: Candidate,
    removes: anonymise::Removes,
    problems: Problems,
}

async fn erasure_page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: Candidate,
    problems: Problems,
) -> Result<Response, AppError> {
    let page = ErasurePage {
        layout: Layout::new(me, format!("Erase {}", c.full_name)).await?,
        removes: anonymise::removes(conn, c.id).await?,
        c,
        problems,
    };
    let status = if page.problems.is_empty() {
        StatusCode::OK
    } else {
        page.problems.status()
    };
    render::status(status, &page)
}

async fn confirm(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = handled(conn, &me, id).await?;
    if c.anonymised() {
        return Ok(render::see_other(&format!("/candidates/{id}")));
    }
    erasure_page(conn, &me, c, Problems::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    confirm: String,
}

async fn erase(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(f): Form<EraseForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = handled(conn, &me, id).await?;
    if f.confirm != "erase" {
        let problems = Problems::fields(crate::domain::kernel::FieldErrors::one(
            "confirm",
            "Tick the box to confirm: what is erased cannot be brought back.",
        ));
        return erasure_page(conn, &me, c, problems).await;
    }
    let mut tx = conn.begin().await?;
    requests::erase(&mut tx, &me.actor(), id).await?;
    let to = format!("/candidates/{id}");
    let saved = render::saved(
        tx,
        &me.session,
        "Erased: only ids, stages and dates are left.",
        &to,
    )
    .await?;
    // The stored files go once the rows are gone for good.
    anonymise::forget_files(&mut *db.conn().await?, &state.files).await?;
    Ok(saved)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HoldForm {
    legal_hold: String,
}

async fn hold(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(f): Form<HoldForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = handled(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    match privacy::hold(&mut tx, &me.actor(), id, &f.legal_hold).await {
        Ok(()) => {
            let message = if f.legal_hold.trim().is_empty() {
                "No legal hold."
            } else {
                "Held: their data is kept whatever the dates."
            };
            let to = format!("/candidates/{id}#privacy");
            render::saved(tx, &me.session, message, &to).await
        }
        Err(e) => {
            tx.rollback().await?;
            let problems = Problems::try_from(e)?;
            super::candidates::page_with_hold(&state, conn, &me, c, problems, f.legal_hold).await
        }
    }
}
