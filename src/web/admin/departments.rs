//! Departments: a tree, each with a head.

use crate::domain::access::Permission;
use crate::domain::activity::audit::Entry;
use crate::domain::kernel::FieldErrors;
use crate::domain::kernel::SaveError;
use crate::domain::org::{self, Department, DepartmentForm, TreeRow};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::people::{self, Shown};
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/departments"), list)
        .serve(route!(POST "/admin/departments"), create)
        .serve(route!(GET "/admin/departments/{id}"), edit)
        .serve(route!(POST "/admin/departments/{id}"), update)
        .serve(route!(POST "/admin/departments/{id}/archive"), archive)
}

/// The list with the tree, and the form to add one; or, with `editing`,
/// the form to change one.
#[derive(Template)]
#[template(path = "pages/admin/departments.html")]
struct DepartmentsPage {
    layout: Layout,
    tree: Vec<TreeRow>,
    editing: Option<Department>,
    form: DepartmentForm,
    errors: FieldErrors,
    conflict: Vec<Entry>,
    /// Who the head field names.
    people: Shown,
}

impl DepartmentsPage {
    fn is_parent(&self, id: &Uuid) -> bool {
        self.form.parent_id == id.to_string()
    }

    /// A department cannot move under itself or its own sub-departments.
    fn parent_choices(&self) -> Vec<&TreeRow> {
        let Some(editing) = &self.editing else {
            return self.tree.iter().collect();
        };
        let mut skip_depth = None;
        self.tree
            .iter()
            .filter(|row| {
                if let Some(depth) = skip_depth {
                    if row.depth > depth {
                        return false;
                    }
                    skip_depth = None;
                }
                if row.department.id == editing.id {
                    skip_depth = Some(row.depth);
                    return false;
                }
                true
            })
            .collect()
    }
}

async fn page(
    db: &mut Db,
    user: &CurrentUser,
    editing: Option<Department>,
    form: DepartmentForm,
    errors: FieldErrors,
    conflict: Vec<Entry>,
) -> Result<DepartmentsPage, AppError> {
    let conn = db.conn().await?;
    let title = match &editing {
        Some(d) => format!("Edit {}", d.name),
        None => "Departments".into(),
    };
    Ok(DepartmentsPage {
        layout: Layout::new(user, title).await?,
        tree: org::tree(org::departments(conn).await?),
        people: Shown::of(conn, [&*form.head_id]).await?,
        editing,
        form,
        errors,
        conflict,
    })
}

async fn list(mut db: Db, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    render::ok(
        &page(
            &mut db,
            &user,
            None,
            DepartmentForm::default(),
            FieldErrors::default(),
            Vec::new(),
        )
        .await?,
    )
}

fn name_taken() -> FieldErrors {
    FieldErrors::one("name", "A department with this name exists already.")
}

async fn create(
    State(_state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Form(mut form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let picked = read_head(&mut db, &mut form).await?;
    let errors = match people::first(picked, form.parse()) {
        Ok(fields) => {
            let mut tx = db.begin().await?;
            match org::create_department(&mut tx, &user.actor(), &fields).await {
                Ok(_) => {
                    return render::saved(
                        tx,
                        &user.session,
                        format!("Department “{}” added.", fields.name),
                        "/admin/departments",
                    )
                    .await;
                }
                Err(SaveError::Taken(_)) => name_taken(),
                Err(SaveError::Invalid(errors)) => errors,
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let p = page(&mut db, &user, None, form, errors, Vec::new()).await?;
    render::status(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

/// The head as typed, read into an id (see [`people::read`]).
async fn read_head(db: &mut Db, form: &mut DepartmentForm) -> Result<FieldErrors, AppError> {
    let conn = db.conn().await?;
    people::read(conn, vec![("head_id", &mut form.head_id)]).await
}

async fn find(db: &mut Db, id: Uuid) -> Result<Department, AppError> {
    let conn = db.conn().await?;
    org::department(conn, id).await?.ok_or(AppError::NotFound)
}

async fn edit(mut db: Db, user: CurrentUser, Path(id): Path<Uuid>) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let d = find(&mut db, id).await?;
    let form = DepartmentForm {
        name: d.name.clone(),
        parent_id: d.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        head_id: d.head_id.map(|h| h.to_string()).unwrap_or_default(),
        version: d.version,
    };
    render::ok(
        &page(
            &mut db,
            &user,
            Some(d),
            form,
            FieldErrors::default(),
            Vec::new(),
        )
        .await?,
    )
}

async fn update(
    State(_state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(mut form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let d = find(&mut db, id).await?;
    let picked = read_head(&mut db, &mut form).await?;
    let (status, errors, conflict) = match people::first(picked, form.parse()) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, Vec::new()),
        Ok(fields) => {
            let mut tx = db.begin().await?;
            match org::update_department(&mut tx, &user.actor(), id, form.version, &fields).await {
                Ok(()) => {
                    return render::saved(
                        tx,
                        &user.session,
                        format!("Department “{}” saved.", fields.name),
                        "/admin/departments",
                    )
                    .await;
                }
                Err(SaveError::Taken(_)) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, name_taken(), Vec::new())
                }
                Err(SaveError::Invalid(errors)) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, errors, Vec::new())
                }
                Err(SaveError::Cycle) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    FieldErrors::one(
                        "parent_id",
                        "A department cannot sit under itself or one of its sub-departments.",
                    ),
                    Vec::new(),
                ),
                Err(SaveError::Stale) => {
                    let changes = crate::domain::activity::audit::changes_since(
                        &mut tx,
                        "department",
                        id,
                        form.version,
                    )
                    .await?;
                    form.version = d.version;
                    (StatusCode::CONFLICT, FieldErrors::default(), changes)
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let p = page(&mut db, &user, Some(d), form, errors, conflict).await?;
    render::status(status, &p)
}

async fn archive(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    match org::archive_department(&mut tx, &user.actor(), id).await {
        Ok(()) => {}
        Err(e) => return Err(e.into()),
    }
    render::saved(
        tx,
        &user.session,
        "Department archived; its sub-departments moved up a level.",
        "/admin/departments",
    )
    .await
}
