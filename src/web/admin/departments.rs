//! Departments: a tree, each with a head.

use crate::domain::access::Permission;
use crate::domain::org::{self, Department, DepartmentForm, TreeRow};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::people::Shown;
use crate::web::problems::Problems;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::Path;
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
    problems: Problems,
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
    problems: Problems,
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
        problems,
    })
}

async fn list(mut db: Db, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let form = DepartmentForm::default();
    render::ok(&page(&mut db, &user, None, form, Problems::default()).await?)
}

async fn create(
    db: Db,
    user: CurrentUser,
    Form(form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    save(db, user, None, form).await
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
    render::ok(&page(&mut db, &user, Some(d), form, Problems::default()).await?)
}

async fn update(
    db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<DepartmentForm>,
) -> Result<Response, AppError> {
    save(db, user, Some(id), form).await
}

/// Adds (`id` None) or saves a department; the form again with its
/// problems when refused.
async fn save(
    mut db: Db,
    user: CurrentUser,
    id: Option<Uuid>,
    mut form: DepartmentForm,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    let problems = match org::save_department(&mut tx, &user.actor(), id, &mut form).await {
        Ok(name) => {
            let done = if id.is_some() { "saved" } else { "added" };
            let message = format!("Department “{name}” {done}.");
            return render::saved(tx, &user.session, message, "/admin/departments").await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let editing = match id {
        Some(id) => Some(find(&mut db, id).await?),
        None => None,
    };
    problems.rebase(&mut form.version);
    let status = problems.status();
    render::status(
        status,
        &page(&mut db, &user, editing, form, problems).await?,
    )
}

async fn archive(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageOrganisation)?;
    let mut tx = db.begin().await?;
    org::archive_department(&mut tx, &user.actor(), id).await?;
    render::saved(
        tx,
        &user.session,
        "Department archived; its sub-departments moved up a level.",
        "/admin/departments",
    )
    .await
}
