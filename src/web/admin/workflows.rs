//! Approval workflows: the list, the form to create and edit one (its
//! steps added, removed and reordered by submit buttons that re-render the
//! form, so it works without JavaScript; htmx swaps just the form), and a
//! workflow's page with its version history.

use crate::auth::csrf;
use crate::domain::Error;
use crate::domain::access::{Permission, Role};
use crate::domain::approval::SubjectKind;
use crate::domain::approval::workflow::{self, APPROVER_KINDS, StepForm, Workflow, WorkflowForm};
use crate::domain::kernel::{EMPLOYMENT_TYPES, REASONS};
use crate::domain::org;
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::people::Shown;
use crate::web::problems::Problems;
use crate::web::render::{self, Hx, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/workflows"), list)
        .serve(route!(POST "/admin/workflows"), create)
        .serve(route!(GET "/admin/workflows/new"), new)
        .serve(route!(GET "/admin/workflows/{id}"), show)
        .serve(route!(POST "/admin/workflows/{id}"), update)
        .serve(route!(GET "/admin/workflows/{id}/edit"), edit)
        .serve(route!(POST "/admin/workflows/{id}/archive"), archive)
        .serve(route!(POST "/admin/workflows/{id}/default"), make_default)
}

// ---- list -----------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    archived: String,
    /// "offer" for the offer workflows.
    #[serde(default)]
    subject: String,
}

impl ListQuery {
    fn subject(&self) -> SubjectKind {
        WorkflowForm {
            subject: self.subject.clone(),
            ..WorkflowForm::default()
        }
        .subject()
    }
}

/// A workflow as a row of the list, in words.
struct Row {
    workflow: Workflow,
    conditions: String,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/admin/workflows.html")]
struct ListPage {
    layout: Layout,
    subject: SubjectKind,
    archived: bool,
    rows: Vec<Row>,
}

async fn list(
    mut db: Db,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let archived = q.archived == "true";
    let conn = db.conn().await?;
    let names = workflow::names(conn).await?;
    let subject = q.subject();
    let rows = workflow::list(conn, subject, archived)
        .await?
        .into_iter()
        .map(|w| Row {
            conditions: w.conditions.describe(&names),
            steps: w.steps.iter().map(|s| s.describe(&names)).collect(),
            workflow: w,
        })
        .collect();
    render::ok(&ListPage {
        layout: Layout::new(&user, "Approval workflows").await?,
        subject,
        archived,
        rows,
    })
}

// ---- the form ---------------------------------------------------------------------

/// Most steps a workflow may have; also bounds the indices a posted form
/// can make us allocate.
const MAX_STEPS: usize = 20;

/// The fewest boxes a step offers for its people.
const APPROVER_BOXES: usize = 3;

/// A change to the form's steps, asked for by one of its submit buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Add,
    Remove(usize),
    Up(usize),
    Down(usize),
}

impl Edit {
    /// Applies the change; returns the id of the field to focus afterwards.
    fn apply(self, form: &mut WorkflowForm) -> String {
        let n = form.steps.len();
        let focus = |i: usize| format!("steps-{i}-name");
        match self {
            Edit::Add if n < MAX_STEPS => {
                form.steps.push(StepForm::blank());
                focus(n)
            }
            Edit::Remove(i) if i < n => {
                form.steps.remove(i);
                if form.steps.is_empty() {
                    "add-step".into()
                } else {
                    focus(i.min(form.steps.len() - 1))
                }
            }
            Edit::Up(i) if i > 0 && i < n => {
                form.steps.swap(i - 1, i);
                focus(i - 1)
            }
            Edit::Down(i) if i + 1 < n => {
                form.steps.swap(i, i + 1);
                focus(i + 1)
            }
            _ => String::new(),
        }
    }
}

/// Parsed by hand: steps come as indexed fields (`steps[0][name]`), people
/// repeat (`steps[0][approver_ids]`), and the button pressed says whether
/// to save or to change the steps.
fn from_body(body: &[u8]) -> (WorkflowForm, Option<Edit>) {
    let mut f = WorkflowForm::default();
    let mut edit = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        let v = v.into_owned();
        let index = || v.trim().parse::<usize>().ok();
        match &*k {
            "name" => f.name = v,
            "department_id" => f.department_id = v,
            "min_level_rank" => f.min_level_rank = v,
            "min_headcount" => f.min_headcount = v,
            "min_amount" => f.min_amount = v,
            "subject" => f.subject = v,
            "above_band" => f.above_band = v,
            "employment_type" => f.employment_type = v,
            "reason" => f.reason = v,
            "version" => f.version = v.parse().unwrap_or_default(),
            "add_step" => edit = Some(Edit::Add),
            "remove_step" => edit = index().map(Edit::Remove),
            "up" => edit = index().map(Edit::Up),
            "down" => edit = index().map(Edit::Down),
            key => {
                let Some((i, field)) = step_key(key) else {
                    continue;
                };
                if f.steps.len() <= i {
                    f.steps.resize_with(i + 1, StepForm::default);
                }
                let s = &mut f.steps[i];
                match field {
                    "name" => s.name = v,
                    "approver_kind" => s.approver_kind = v,
                    "approver_ids" => s.approver_ids.push(v),
                    "approver_role" => s.approver_role = v,
                    "required" => s.required = v,
                    "sla_hours" => s.sla_hours = v,
                    "fallback_id" => s.fallback_id = v,
                    _ => {}
                }
            }
        }
    }
    (f, edit)
}

/// `steps[3][name]` → (3, "name"), for indices below [`MAX_STEPS`].
fn step_key(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix("steps[")?;
    let (index, rest) = rest.split_once("][")?;
    let field = rest.strip_suffix(']')?;
    let i: usize = index.parse().ok()?;
    (i < MAX_STEPS).then_some((i, field))
}

#[derive(Template)]
#[template(path = "pages/admin/workflow_form.html", blocks = ["form"])]
struct FormPage {
    layout: Layout,
    /// None when creating one.
    workflow: Option<Workflow>,
    form: WorkflowForm,
    problems: Problems,
    /// The token for the form itself: a fragment has no layout to take it from.
    csrf: String,
    /// Where the form posts.
    action: String,
    /// The field to focus after a change to the steps.
    focus: String,
    departments: Vec<org::TreeRow>,
    /// Who the steps' person fields name.
    people: Shown,
    roles: [Role; 7],
    kinds: [(&'static str, &'static str); 4],
    employment_types: [(&'static str, &'static str); 5],
    reasons: [(&'static str, &'static str); 2],
    max_steps: usize,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.problems.get(field)
    }

    fn step_error(&self, i: &usize, field: &str) -> Option<&str> {
        self.problems.get(&format!("steps-{i}-{field}"))
    }

    fn is_default(&self) -> bool {
        self.workflow.as_ref().is_some_and(|w| w.is_default)
    }

    fn focused_step(&self, i: &usize) -> bool {
        self.focus == format!("steps-{i}-name")
    }

    /// A box for each person chosen and one more, at least
    /// [`APPROVER_BOXES`]: without JavaScript a box cannot be added until
    /// the form is sent again.
    fn approver_boxes<'a>(&self, step: &'a StepForm) -> Vec<&'a str> {
        let mut boxes: Vec<&str> = step.approver_ids.iter().map(String::as_str).collect();
        boxes.resize(APPROVER_BOXES.max(boxes.len() + 1), "");
        boxes
    }

    /// `aria-describedby` for a step field: its hint and its error, if any.
    fn described_by(&self, i: &usize, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if self.step_error(i, field).is_some() {
            ids.push(format!("steps-{i}-{field}-error"));
        }
        if hint {
            ids.push(format!("steps-{i}-{field}-hint"));
        }
        ids.join(" ")
    }
}

/// What the form says beyond its input: its problems, and where the focus
/// goes after a change to the steps.
#[derive(Default)]
struct Feedback {
    problems: Problems,
    focus: String,
}

impl Feedback {
    /// After a change to the steps: the focus goes to `focus`.
    fn focus(focus: String) -> Feedback {
        Feedback {
            focus,
            ..Feedback::default()
        }
    }

    /// After a save that was refused.
    fn problems(problems: Problems) -> Feedback {
        Feedback {
            problems,
            ..Feedback::default()
        }
    }
}

/// Renders the form: the whole page, or for htmx just the form.
async fn form_response(
    db: &mut Db,
    user: &CurrentUser,
    hx: Hx,
    workflow: Option<Workflow>,
    form: WorkflowForm,
    feedback: Feedback,
) -> Result<Response, AppError> {
    let status = if feedback.problems.is_empty() {
        StatusCode::OK
    } else {
        feedback.problems.status()
    };
    let conn = db.conn().await?;
    let (action, title) = match &workflow {
        Some(w) => (
            format!("/admin/workflows/{}", w.id),
            format!("Edit {}", w.name),
        ),
        None => ("/admin/workflows".into(), "New workflow".into()),
    };
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(user, title).await?
    };
    // Collected first: a lazy iterator of closures over borrows, passed
    // into an await, trips rustc's `Send` check and axum refuses the handler.
    let chosen: Vec<&str> = form
        .steps
        .iter()
        .flat_map(|s| s.approver_ids.iter().chain([&s.fallback_id]))
        .map(String::as_str)
        .collect();
    let people = Shown::of(conn, chosen).await?;
    let page = FormPage {
        layout,
        workflow,
        form,
        problems: feedback.problems,
        csrf: csrf::token(&user.session).await?,
        action,
        focus: feedback.focus,
        departments: org::tree(org::departments(conn).await?),
        people,
        roles: Role::ALL,
        kinds: APPROVER_KINDS,
        employment_types: EMPLOYMENT_TYPES,
        reasons: REASONS,
        max_steps: MAX_STEPS,
    };
    render::with_status(status, hx, &page, page.as_form())
}

async fn new(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    form_response(
        &mut db,
        &user,
        hx,
        None,
        WorkflowForm::blank(q.subject()),
        Feedback::default(),
    )
    .await
}

async fn create(mut db: Db, user: CurrentUser, hx: Hx, body: Bytes) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let (mut form, edit) = from_body(&body);
    if let Some(edit) = edit {
        let focus = edit.apply(&mut form);
        let feedback = Feedback::focus(focus);
        return form_response(&mut db, &user, hx, None, form, feedback).await;
    }
    let mut tx = db.begin().await?;
    let actor = user.actor();
    let created = workflow::create(&mut tx, &actor, form.subject(), &mut form);
    let problems = match created.await {
        Ok(id) => {
            let message = format!("Workflow “{}” created.", form.name.trim());
            let to = format!("/admin/workflows/{id}");
            return render::saved(tx, &user.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let feedback = Feedback::problems(problems);
    form_response(&mut db, &user, hx, None, form, feedback).await
}

async fn find(db: &mut Db, id: Uuid) -> Result<Workflow, AppError> {
    let conn = db.conn().await?;
    workflow::load(conn, id).await?.ok_or(AppError::NotFound)
}

/// A live workflow, for the form; archived ones are kept as they were.
async fn find_live(db: &mut Db, id: Uuid) -> Result<Workflow, AppError> {
    Some(find(db, id).await?)
        .filter(|w| w.archived_at.is_none())
        .ok_or(AppError::NotFound)
}

async fn edit(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let w = find_live(&mut db, id).await?;
    let form = WorkflowForm::from_workflow(&w);
    form_response(&mut db, &user, hx, Some(w), form, Feedback::default()).await
}

async fn update(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let w = find_live(&mut db, id).await?;
    let (mut form, edit) = from_body(&body);
    if let Some(edit) = edit {
        let focus = edit.apply(&mut form);
        let feedback = Feedback::focus(focus);
        return form_response(&mut db, &user, hx, Some(w), form, feedback).await;
    }
    let mut tx = db.begin().await?;
    let problems = match workflow::save(&mut tx, &user.actor(), id, &mut form).await {
        Ok(version) => {
            let name = form.name.trim();
            let message = format!("Workflow “{name}” saved as version {version}.");
            let to = format!("/admin/workflows/{id}");
            return render::saved(tx, &user.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let w = find_live(&mut db, id).await?;
    let feedback = Feedback::problems(problems);
    form_response(&mut db, &user, hx, Some(w), form, feedback).await
}

// ---- a workflow and its history -------------------------------------------------

/// One version in the history, in words.
struct HistoryRow {
    version: workflow::Version,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/admin/workflow.html")]
struct ShowPage {
    layout: Layout,
    workflow: Workflow,
    conditions: String,
    steps: Vec<String>,
    history: Vec<HistoryRow>,
}

async fn show(mut db: Db, user: CurrentUser, Path(id): Path<Uuid>) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let w = find(&mut db, id).await?;
    let conn = db.conn().await?;
    let names = workflow::names(conn).await?;
    let versions = workflow::versions(conn, id).await?;
    // Newest first: each version is compared with the one below it.
    let history = versions
        .iter()
        .enumerate()
        .map(|(i, v)| HistoryRow {
            changes: match versions.get(i + 1) {
                Some(before) => workflow::changes_between(before, v, &names),
                None => vec![format!(
                    "First version. Applies to: {}. Steps: {}.",
                    v.conditions.describe(&names),
                    v.steps
                        .iter()
                        .map(|s| s.describe(&names))
                        .collect::<Vec<_>>()
                        .join("; ")
                )],
            },
            version: v.clone(),
        })
        .collect();
    render::ok(&ShowPage {
        layout: Layout::new(&user, w.name.clone()).await?,
        conditions: w.conditions.describe(&names),
        steps: w.steps.iter().map(|s| s.describe(&names)).collect(),
        workflow: w,
        history,
    })
}

async fn archive(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let mut tx = db.begin().await?;
    let to = format!("/admin/workflows/{id}");
    match workflow::archive(&mut tx, &user.actor(), id).await {
        Ok(()) => render::saved(tx, &user.session, "Workflow archived.", &to).await,
        Err(Error::Refused(why)) => refused(&user, &why, &to).await,
        Err(e) => Err(e.into()),
    }
}

async fn make_default(
    mut db: Db,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageWorkflows)?;
    let mut tx = db.begin().await?;
    let to = format!("/admin/workflows/{id}");
    match workflow::make_default(&mut tx, &user.actor(), id).await {
        Ok(()) => render::saved(tx, &user.session, "This is now the default workflow.", &to).await,
        Err(Error::Refused(why)) => refused(&user, &why, &to).await,
        Err(e) => Err(e.into()),
    }
}

/// Back to `to` with `message` saying why nothing changed.
async fn refused(user: &CurrentUser, message: &str, to: &str) -> Result<Response, AppError> {
    render::flash(&user.session, "error", message).await?;
    Ok(render::see_other(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_from_indexed_fields_and_buttons_say_what_to_do() {
        let body = b"name=W&steps%5B1%5D%5Bname%5D=B&steps%5B0%5D%5Bname%5D=A\
            &steps%5B0%5D%5Bapprover_ids%5D=x&steps%5B0%5D%5Bapprover_ids%5D=y\
            &steps%5B99%5D%5Bname%5D=ignored&up=1";
        let (form, edit) = from_body(body);
        assert_eq!(form.name, "W");
        let names: Vec<&str> = form.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(form.steps[0].approver_ids, ["x", "y"]);
        assert_eq!(edit, Some(Edit::Up(1)));
    }

    #[test]
    fn edits_move_and_remove_steps_within_bounds() {
        let mut form = WorkflowForm::default();
        for name in ["A", "B", "C"] {
            form.steps.push(StepForm {
                name: name.into(),
                ..StepForm::blank()
            });
        }
        let names = |f: &WorkflowForm| f.steps.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(Edit::Up(2).apply(&mut form), "steps-1-name");
        assert_eq!(names(&form), ["A", "C", "B"]);
        Edit::Down(0).apply(&mut form);
        assert_eq!(names(&form), ["C", "A", "B"]);
        assert_eq!(Edit::Up(0).apply(&mut form), "");
        assert_eq!(Edit::Down(2).apply(&mut form), "");
        Edit::Remove(1).apply(&mut form);
        assert_eq!(names(&form), ["C", "B"]);
        assert_eq!(Edit::Add.apply(&mut form), "steps-2-name");
        assert_eq!(form.steps.len(), 3);
        assert_eq!(Edit::Remove(7).apply(&mut form), "");
    }
}
