//! The offer letter template (admins): Markdown with merge fields, the
//! fields listed beside it; a field that does not exist is refused when
//! saving, named.

use crate::domain::access::Permission;
use crate::domain::offering::{letter, letter_template};
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
        .serve(route!(GET "/admin/offer-letter"), show)
        .serve(route!(POST "/admin/offer-letter"), save)
}

#[derive(Template)]
#[template(path = "pages/admin/offer_letter.html")]
struct LetterPage {
    layout: Layout,
    body: String,
    version: i32,
    fields: &'static [(&'static str, &'static str)],
    problems: Problems,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LetterForm {
    body: String,
    version: i32,
}

async fn show(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let t = letter_template::read(conn).await?;
    render::ok(&LetterPage {
        layout: Layout::new(&me, "Offer letter").await?,
        body: t.body,
        version: t.version,
        fields: letter::FIELDS,
        problems: Problems::default(),
    })
}

async fn save(
    mut db: Db,
    me: CurrentUser,
    Form(f): Form<LetterForm>,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let problems = match letter_template::save(&mut tx, &me.actor(), &f.body, f.version).await {
        Ok(()) => {
            let message = "Saved: offers drafted or changed from now on use it.";
            return render::saved(tx, &me.session, message, "/admin/offer-letter").await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let page = LetterPage {
        layout: Layout::new(&me, "Offer letter").await?,
        body: f.body,
        version: f.version,
        fields: letter::FIELDS,
        problems,
    };
    render::status(page.problems.status(), &page)
}
