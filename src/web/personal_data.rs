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
use sqlx::{Connection as _, PgConnection};

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

/// The archive of everything held about them.
pub(super) async fn archive_response(
    state: &AppState,
    conn: &mut PgConnection,
    actor: &crate::domain::activity::audit::Actor,
    id: CandidateId,
) -> Result<Response, AppError> {
    let mut tx = conn.begin().await?;
    let company = careers::company(&mut tx).await?.company_name;
    let zip = export::archive(&mut tx, &state.files, actor, id, &company).await?;
    tx.commit().await?;
    Ok(render::attachment(
        &format!("candidate-{id}.zip"),
        "application/zip",
        zip.into(),
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
