//! What the careers site says of the company: its name and an
//! introduction above the jobs (admins).

use crate::domain::access::Permission;
use crate::domain::recruiting::careers::{self, Company};
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
        .serve(route!(GET "/admin/careers"), show)
        .serve(route!(POST "/admin/careers"), save)
}

#[derive(Template)]
#[template(path = "pages/admin/careers.html")]
struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    problems: Problems,
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let page = SettingsPage {
        layout: Layout::new(&me, "Careers site").await?,
        form: SettingsForm::of(careers::company(conn).await?),
        problems: Problems::default(),
    };
    render::ok(&page)
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
    let page = SettingsPage {
        layout: Layout::new(&me, "Careers site").await?,
        form: f,
        problems,
    };
    render::status(page.problems.status(), &page)
}
