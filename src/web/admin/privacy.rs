//! Privacy (admins): how long candidates' data is kept, what applicants
//! agree to, when renewal is asked, and the candidates' requests waiting
//! for an answer, the most urgent first.

use crate::domain::access::Permission;
use crate::domain::recruiting::privacy::requests::{self, Waiting};
use crate::domain::recruiting::privacy::{self, SettingsForm};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::response::Response;
use sqlx::Connection as _;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/privacy"), show)
        .serve(route!(POST "/admin/privacy"), save)
}

#[derive(Template)]
#[template(path = "pages/admin/privacy.html")]
struct PrivacyPage {
    layout: Layout,
    form: SettingsForm,
    problems: Problems,
    waiting: Vec<Waiting>,
    today: chrono::NaiveDate,
}

async fn page(
    conn: &mut sqlx::PgConnection,
    me: &CurrentUser,
    form: SettingsForm,
    problems: Problems,
) -> Result<PrivacyPage, AppError> {
    Ok(PrivacyPage {
        layout: Layout::new(me, "Privacy").await?,
        form,
        problems,
        waiting: requests::waiting(conn, None).await?,
        today: chrono::Utc::now().date_naive(),
    })
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::HandlePersonalData)?;
    let conn = db.conn().await?;
    let form = SettingsForm::of(&privacy::settings(&mut *conn).await?);
    render::ok(&page(conn, &me, form, Problems::default()).await?)
}

async fn save(
    mut db: Db,
    me: CurrentUser,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    me.require(Permission::HandlePersonalData)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let problems = match privacy::save_settings(&mut tx, &me.actor(), &f).await {
        Ok(()) => return render::saved(tx, &me.session, "Saved.", "/admin/privacy").await,
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let page = page(conn, &me, f, problems).await?;
    render::status(page.problems.status(), &page)
}
