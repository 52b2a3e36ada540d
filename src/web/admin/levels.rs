//! Job levels: rank and salary band. The table edits inline with htmx; the
//! same row form is a page of its own without JavaScript.

use crate::auth::csrf;
use crate::domain::access::Permission;
use crate::domain::activity::audit::Entry;
use crate::domain::kernel::FieldErrors;
use crate::domain::kernel::SaveError;
use crate::domain::org::{self, JobLevel, LevelForm};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
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
    errors: FieldErrors,
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
    errors: FieldErrors,
    conflict: Vec<Entry>,
    csrf: String,
}

/// The same form as a page of its own, for browsers without JavaScript.
#[derive(Template)]
#[template(path = "pages/admin/level_edit.html")]
struct LevelEditPage {
    layout: Layout,
    level: JobLevel,
    form: LevelForm,
    errors: FieldErrors,
    conflict: Vec<Entry>,
    csrf: String,
}

/// The edit form: the row for htmx, the page otherwise.
async fn edit_form(
    user: &CurrentUser,
    hx: Hx,
    status: StatusCode,
    level: JobLevel,
    form: LevelForm,
    errors: FieldErrors,
    conflict: Vec<Entry>,
) -> Result<Response, AppError> {
    let csrf = csrf::token(&user.session).await?;
    if hx.0 {
        return render::status(
            status,
            &LevelEditRow {
                level,
                form,
                errors,
                conflict,
                csrf,
            },
        );
    }
    let layout = Layout::new(user, format!("Edit {}", level.name)).await?;
    render::status(
        status,
        &LevelEditPage {
            layout,
            level,
            form,
            errors,
            conflict,
            csrf,
        },
    )
}

async fn levels_page(
    db: &mut Db,
    user: &CurrentUser,
    form: LevelForm,
    errors: FieldErrors,
) -> Result<LevelsPage, AppError> {
    let conn = db.conn().await?;
    Ok(LevelsPage {
        layout: Layout::new(user, "Job levels").await?,
        levels: org::levels(conn).await?,
        form,
        errors,
    })
}

async fn list(mut db: Db, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let form = LevelForm {
        currency: "EUR".into(),
        ..Default::default()
    };
    render::ok(&levels_page(&mut db, &user, form, FieldErrors::default()).await?)
}

async fn create(
    mut db: Db,
    user: CurrentUser,
    Form(form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let errors = match form.parse() {
        Ok(fields) => {
            let mut tx = db.begin().await?;
            match org::create_level(&mut tx, &user.actor(), &fields).await {
                Ok(_) => {
                    return render::saved(
                        tx,
                        &user.session,
                        format!("Job level “{}” added.", fields.name),
                        "/admin/levels",
                    )
                    .await;
                }
                Err(SaveError::Taken(_)) => {
                    FieldErrors::one("name", "A job level with this name exists already.")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let page = levels_page(&mut db, &user, form, errors).await?;
    render::status(StatusCode::UNPROCESSABLE_ENTITY, &page)
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
    edit_form(
        &user,
        hx,
        StatusCode::OK,
        level,
        form,
        FieldErrors::default(),
        Vec::new(),
    )
    .await
}

async fn update(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    Form(mut form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let level = find(&mut db, id).await?;
    let (status, errors, conflict) = match form.parse() {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, Vec::new()),
        Ok(fields) => {
            let mut tx = db.begin().await?;
            match org::update_level(&mut tx, &user.actor(), id, form.version, &fields).await {
                Ok(saved) => {
                    tx.commit().await?;
                    if !hx.0 {
                        render::flash(
                            &user.session,
                            "success",
                            format!("Job level “{}” saved.", saved.name),
                        )
                        .await?;
                        return Ok(render::see_other("/admin/levels"));
                    }
                    return render::ok(&LevelRow {
                        level: saved,
                        csrf: csrf::token(&user.session).await?,
                    });
                }
                Err(SaveError::Taken(_)) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    FieldErrors::one("name", "A job level with this name exists already."),
                    Vec::new(),
                ),
                Err(SaveError::Stale) => {
                    let changes = crate::domain::activity::audit::changes_since(
                        &mut tx,
                        "job_level",
                        id,
                        form.version,
                    )
                    .await?;
                    // Saving again applies this input over the current version.
                    form.version = level.version;
                    (StatusCode::CONFLICT, FieldErrors::default(), changes)
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    edit_form(&user, hx, status, level, form, errors, conflict).await
}
async fn archive(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    match org::archive_level(&mut tx, &user.actor(), id).await {
        Ok(()) => {}
        Err(e) => return Err(e.into()),
    }
    render::saved(tx, &user.session, "Job level archived.", "/admin/levels").await
}
