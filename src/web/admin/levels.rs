//! Job levels: rank and salary band. The table edits inline with htmx; the
//! same row form is a page of its own without JavaScript.

use crate::auth::csrf;
use crate::domain::access::Permission;
use crate::domain::org::{self, JobLevel, LevelForm};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::render::{self, Hx, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/levels"), list)
        .serve(route!(POST "/admin/levels"), create)
        .serve(route!(GET "/admin/levels/{id}"), row)
        .serve(route!(POST "/admin/levels/{id}"), update)
        .serve(route!(GET "/admin/levels/{id}/edit"), edit)
        .serve(route!(POST "/admin/levels/{id}/archive"), archive)
}

#[derive(Template)]
#[template(path = "pages/admin/levels.html")]
struct LevelsPage {
    layout: Layout,
    levels: Vec<JobLevel>,
    form: LevelForm,
    problems: Problems,
}

/// A row of the table as shown.
#[derive(Template)]
#[template(path = "fragments/admin/_level_row.html")]
struct LevelRow {
    level: JobLevel,
    csrf: String,
}

/// A row of the table as a form (htmx inline edit).
#[derive(Template)]
#[template(path = "fragments/admin/_level_edit_row.html")]
struct LevelEditRow {
    level: JobLevel,
    form: LevelForm,
    problems: Problems,
    csrf: String,
}

/// The same form as a page of its own, for browsers without JavaScript.
#[derive(Template)]
#[template(path = "pages/admin/level_edit.html")]
struct LevelEditPage {
    layout: Layout,
    level: JobLevel,
    form: LevelForm,
    problems: Problems,
    csrf: String,
}

/// The edit form: the row for htmx, the page otherwise.
async fn edit_form(
    user: &CurrentUser,
    hx: Hx,
    level: JobLevel,
    form: LevelForm,
    problems: Problems,
) -> Result<Response, AppError> {
    let csrf = csrf::token(&user.session).await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        problems.status()
    };
    if hx.0 {
        let row = LevelEditRow {
            level,
            form,
            problems,
            csrf,
        };
        return render::status(status, &row);
    }
    let layout = Layout::new(user, format!("Edit {}", level.name)).await?;
    let page = LevelEditPage {
        layout,
        level,
        form,
        problems,
        csrf,
    };
    render::status(status, &page)
}

async fn levels_page(
    db: &mut Db,
    user: &CurrentUser,
    form: LevelForm,
    problems: Problems,
) -> Result<LevelsPage, AppError> {
    let conn = db.conn().await?;
    Ok(LevelsPage {
        layout: Layout::new(user, "Job levels").await?,
        levels: org::levels(conn).await?,
        form,
        problems,
    })
}

async fn list(mut db: Db, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let form = LevelForm {
        currency: "EUR".into(),
        ..Default::default()
    };
    render::ok(&levels_page(&mut db, &user, form, Problems::default()).await?)
}

async fn create(
    mut db: Db,
    user: CurrentUser,
    Form(form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    let added = async { org::create_level(&mut tx, &user.actor(), &form.parse()?).await }.await;
    let problems = match added {
        Ok(_) => {
            let message = format!("Job level “{}” added.", form.name.trim());
            return render::saved(tx, &user.session, message, "/admin/levels").await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let status = problems.status();
    render::status(status, &levels_page(&mut db, &user, form, problems).await?)
}

async fn find(db: &mut Db, id: Uuid) -> Result<JobLevel, AppError> {
    let conn = db.conn().await?;
    org::level(conn, id).await?.ok_or(AppError::NotFound)
}

/// The row as shown (htmx "Cancel" swaps it back in).
async fn row(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let level = find(&mut db, id).await?;
    if !hx.0 {
        return Ok(render::see_other("/admin/levels"));
    }
    render::ok(&LevelRow {
        level,
        csrf: csrf::token(&user.session).await?,
    })
}

async fn edit(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let level = find(&mut db, id).await?;
    let form = LevelForm::from_level(&level);
    edit_form(&user, hx, level, form, Problems::default()).await
}

async fn update(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    Form(mut form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    let saved = async {
        let fields = form.parse()?;
        org::update_level(&mut tx, &user.actor(), id, form.version, &fields).await
    }
    .await;
    let problems = match saved {
        Ok(saved) if hx.0 => {
            tx.commit().await?;
            let csrf = csrf::token(&user.session).await?;
            return render::ok(&LevelRow { level: saved, csrf });
        }
        Ok(saved) => {
            let message = format!("Job level “{}” saved.", saved.name);
            return render::saved(tx, &user.session, message, "/admin/levels").await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let level = find(&mut db, id).await?;
    edit_form(&user, hx, level, form, problems).await
}

async fn archive(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    org::archive_level(&mut tx, &user.actor(), id).await?;
    render::saved(tx, &user.session, "Job level archived.", "/admin/levels").await
}
