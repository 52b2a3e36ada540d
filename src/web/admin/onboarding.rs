//! Onboarding checklist templates (admins): the default, and one per
//! department that wants its own; each a list of tasks with an owner and a
//! due day relative to the start date.

use crate::domain::access::Permission;
use crate::domain::kernel::NameOf;
use crate::domain::offering::onboarding::{
    self, OWNER_ROLES, TaskForm, Template, TemplateForm, TemplateId,
};
use crate::domain::org;
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::render::{self, Layout, filters};
use crate::web::routes::{Routes, route};
use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/onboarding"), list)
        .serve(route!(POST "/admin/onboarding"), create)
        .serve(route!(GET "/admin/onboarding/{id}"), edit)
        .serve(route!(POST "/admin/onboarding/{id}"), update)
}

/// Blank rows under a template's tasks, to add more.
const BLANK_ROWS: usize = 3;

#[derive(askama::Template)]
#[template(path = "pages/admin/onboarding.html")]
struct ListPage {
    layout: Layout,
    templates: Vec<Template>,
    departments: Vec<org::TreeRow>,
}

#[derive(askama::Template)]
#[template(path = "pages/admin/onboarding_form.html")]
struct FormPage {
    layout: Layout,
    /// The template changed, or None for a department's new one.
    editing: Option<Template>,
    form: TemplateForm,
    departments: Vec<org::TreeRow>,
    people: Vec<NameOf>,
    problems: Problems,
}

impl FormPage {
    fn roles(&self) -> &'static [(&'static str, &'static str)] {
        &OWNER_ROLES
    }

    fn action(&self) -> String {
        match &self.editing {
            Some(t) => format!("/admin/onboarding/{}", t.id),
            None => "/admin/onboarding".into(),
        }
    }

    fn error(&self, n: &usize, field: &str) -> Option<&str> {
        self.problems.get(&format!("tasks-{n}-{field}"))
    }
}

async fn list(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let page = ListPage {
        layout: Layout::new(&me, "Onboarding checklists").await?,
        templates: onboarding::templates(&mut *conn).await?,
        departments: org::tree(org::departments(conn).await?),
    };
    render::ok(&page)
}

async fn form_page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    editing: Option<Template>,
    mut form: TemplateForm,
    problems: Problems,
) -> Result<FormPage, AppError> {
    form.tasks
        .extend(std::iter::repeat_with(TaskForm::default).take(BLANK_ROWS));
    let title = match &editing {
        Some(t) => format!("Checklist: {}", t.name),
        None => "A department's checklist".to_owned(),
    };
    Ok(FormPage {
        layout: Layout::new(me, title).await?,
        editing,
        form,
        departments: org::tree(org::departments(&mut *conn).await?),
        people: onboarding::owner_choices(conn).await?,
        problems,
    })
}

/// The form as posted: its task rows are repeated fields, in order.
fn read_form(body: &[u8]) -> TemplateForm {
    let mut form = TemplateForm::default();
    let (mut titles, mut owners, mut dues) = (Vec::new(), Vec::new(), Vec::new());
    for (k, v) in url::form_urlencoded::parse(body) {
        let v = v.into_owned();
        match &*k {
            "name" => form.name = v,
            "department_id" => form.department_id = v,
            "version" => form.version = v.trim().parse().unwrap_or(0),
            "task_title" => titles.push(v),
            "task_owner" => owners.push(v),
            "task_due" => dues.push(v),
            _ => {}
        }
    }
    let rows = titles.len().max(owners.len()).max(dues.len()).min(200);
    let cell = |list: &[String], n: usize| list.get(n).cloned().unwrap_or_default();
    form.tasks = (0..rows)
        .map(|n| TaskForm {
            title: cell(&titles, n),
            owner: cell(&owners, n),
            due_days: cell(&dues, n),
        })
        .collect();
    form
}

async fn edit(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let t = onboarding::template(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = TemplateForm::of(&t);
    render::ok(&form_page(conn, &me, Some(t), form, Problems::default()).await?)
}

async fn save(
    mut db: Db,
    me: &CurrentUser,
    id: Option<TemplateId>,
    body: &[u8],
) -> Result<Response, AppError> {
    me.require(Permission::ConfigureRecruiting)?;
    let conn = db.conn().await?;
    let editing = match id {
        Some(id) => Some(
            onboarding::template(&mut *conn, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let mut form = read_form(body);
    let mut tx = conn.begin().await?;
    let problems = match onboarding::save_template(&mut tx, &me.actor(), id, &form).await {
        Ok(saved) => {
            let to = format!("/admin/onboarding/{saved}");
            return render::saved(
                tx,
                &me.session,
                "Checklist saved: hires from now on get it.",
                &to,
            )
            .await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let page = form_page(conn, me, editing, form, problems).await?;
    render::status(page.problems.status(), &page)
}

async fn create(db: Db, me: CurrentUser, body: Bytes) -> Result<Response, AppError> {
    save(db, &me, None, &body).await
}

async fn update(
    db: Db,
    me: CurrentUser,
    Path(id): Path<TemplateId>,
    body: Bytes,
) -> Result<Response, AppError> {
    save(db, &me, Some(id), &body).await
}
