//! What the careers site says of the company: its name, its logo and an
//! introduction above the jobs (admins).

use crate::domain::access::Permission;
use crate::domain::kernel::FieldErrors;
use crate::domain::recruiting::careers::{self, Company, Logo};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use crate::web::upload::Uploaded;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/careers"), show)
        .serve(route!(POST "/admin/careers"), save)
        .serve(route!(POST "/admin/careers/logo"), upload_logo)
        .serve(route!(POST "/admin/careers/logo/deletion"), remove_logo)
}

#[derive(Template)]
#[template(path = "pages/admin/careers.html")]
struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    /// The logo as it is (its file name under `/logo/`).
    logo: Option<String>,
    problems: Problems,
    /// The logo form's problem.
    logo_problems: Problems,
}

async fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    form: Option<SettingsForm>,
    problems: Problems,
    logo_problems: Problems,
) -> Result<Response, AppError> {
    let company = careers::company(conn).await?;
    let page = SettingsPage {
        layout: Layout::new(me, "Careers site").await?,
        logo: company.logo.clone(),
        form: form.unwrap_or_else(|| SettingsForm::of(company)),
        problems,
        logo_problems,
    };
    let status = [&page.logo_problems, &page.problems]
        .into_iter()
        .find(|p| !p.is_empty())
        .map_or(StatusCode::OK, Problems::status);
    render::status(status, &page)
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    page(conn, &me, None, Problems::default(), Problems::default()).await
}

/// Puts the uploaded logo on the careers site, or says beside the field
/// why not (nothing saved).
async fn upload_logo(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    file: Uploaded,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let logo = match file.too_large {
        true => Err(FieldErrors::one(
            "file",
            "The logo is larger than the limit of 256 KB: make it smaller.",
        )),
        false => Logo::parse(file.bytes),
    };
    let logo = match logo {
        Ok(logo) => logo,
        Err(e) => {
            return page(conn, &me, None, Problems::default(), Problems::fields(e)).await;
        }
    };
    set(
        &state,
        conn,
        &me,
        Some(&logo),
        "The logo is on the careers site.",
    )
    .await
}

async fn remove_logo(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    set(&state, conn, &me, None, "The logo is off the careers site.").await
}

async fn set(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    logo: Option<&Logo>,
    message: &str,
) -> Result<Response, AppError> {
    let mut tx = conn.begin().await?;
    let replaced = careers::set_logo(&mut tx, &me.actor(), &state.files, logo).await?;
    let res = render::saved(tx, &me.session, message, "/admin/careers").await?;
    if let Some(old) = replaced {
        // Its page links went with it; a failure leaves an unlinked file.
        if let Err(error) =
            crate::domain::recruiting::files::Store::delete(&state.files, &old).await
        {
            tracing::warn!(%error, "cannot delete the logo replaced");
        }
    }
    Ok(res)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    company_name: String,
    intro: String,
}

impl SettingsForm {
    fn of(company: Company) -> SettingsForm {
        SettingsForm {
            company_name: company.company_name,
            intro: company.intro,
        }
    }
}

async fn save(
    mut db: Db,
    me: CurrentUser,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let problems =
        match careers::save_company(&mut tx, &me.actor(), &f.company_name, &f.intro).await {
            Ok(()) => {
                return render::saved(tx, &me.session, "Saved.", "/admin/careers").await;
            }
            Err(e) => Problems::try_from(e)?,
        };
    tx.rollback().await?;
    page(conn, &me, Some(f), problems, Problems::default()).await
}
