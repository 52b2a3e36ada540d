//! Requirements: the list (filters in the URL, swapped by htmx), the form
//! to draft and edit one, its page, and its lifecycle transitions.

use super::AppState;
use super::people::Shown;
use super::problems::Problems;
use super::render::{self, Hx, Layout, filters};
use crate::catalog::Snapshot;
use crate::domain::access::Permission;
use crate::domain::approval;
use crate::domain::kernel::{EMPLOYMENT_TYPES, FieldErrors, REASONS};
use crate::domain::requisition::approval_subject;
use crate::domain::requisition::commands::{self, Edited};
use crate::domain::requisition::form::{self, PRIORITIES, REMOTE_POLICIES, RequirementForm};
use crate::domain::requisition::lifecycle::{Action, Status};
use crate::domain::requisition::list::{self, ListFilter, ListRow, PAGE_SIZE, Sort};
use crate::domain::requisition::opening::OpeningId;
use crate::domain::requisition::requirement::{self, Requirement, RequirementId};
use crate::domain::requisition::{history, opening};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};
use std::sync::Arc;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/requirements"), list)
        .serve(route!(POST "/requirements"), create)
        .serve(route!(GET "/requirements/new"), new)
        .serve(route!(GET "/requirements.csv"), export)
        .serve(route!(GET "/requirements/{id}"), show)
        .serve(route!(POST "/requirements/{id}"), update)
        .serve(route!(GET "/requirements/{id}/edit"), edit)
        .serve(route!(POST "/requirements/{id}/transitions"), transition)
        .serve(
            route!(POST "/requirements/{id}/openings/{opening}"),
            settle_opening,
        )
        .serve(route!(POST "/requirements/{id}/deletion"), delete)
}

// ---- list -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/requirements/list.html", blocks = ["results"])]
struct ListPage {
    layout: Layout,
    filter: ListFilter,
    rows: Vec<ListRow>,
    /// Empty for the results alone.
    catalog: Arc<Snapshot>,
    /// The filter's chosen ids, parsed once: the page marks the chosen
    /// option among hundreds, and comparing each as a fresh string showed
    /// in the profile.
    chosen: Chosen,
    priorities: &'static [(&'static str, &'static str)],
    /// The CSV of the current filter.
    export: String,
    statuses: [Status; 9],
    sort: Sort,
    sorts: [Sort; 6],
    can_create: bool,
    next_page: Option<String>,
}

impl ListPage {
    /// How many filters behind the "Filters" control are in use: it stays
    /// open, and says how many, while any is.
    fn filters_set(&self) -> usize {
        let f = &self.filter;
        [
            &f.status,
            &f.department,
            &f.level,
            &f.hiring_manager,
            &f.recruiter,
            &f.priority,
            &f.from,
            &f.to,
        ]
        .iter()
        .filter(|v| !v.trim().is_empty())
        .count()
    }
}

/// The ids a list filter has chosen (see [`ListPage::chosen`]).
struct Chosen {
    department: Option<Uuid>,
    level: Option<Uuid>,
}

impl Chosen {
    fn of(filter: &ListFilter) -> Chosen {
        let id = |v: &str| v.trim().parse().ok();
        Chosen {
            department: id(&filter.department),
            level: id(&filter.level),
        }
    }

    fn department(&self, id: &Uuid) -> bool {
        self.department == Some(*id)
    }

    fn level(&self, id: &Uuid) -> bool {
        self.level == Some(*id)
    }
}

/// The filter's query string, from the row after `after` (none: from the
/// start).
fn query(filter: &ListFilter, after: String) -> String {
    let f = ListFilter {
        after,
        ..filter.clone()
    };
    serde_urlencoded::to_string(f).unwrap_or_default()
}

async fn list(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Query(filter): Query<ListFilter>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let sees_all = me.can(Permission::AdministerRequirements);
    let mut rows = list::list(conn, me.id, sees_all, &filter, PAGE_SIZE + 1).await?;
    let next_page = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        let after = rows.last().map(|r| r.id.to_string()).unwrap_or_default();
        format!("/requirements?{}", query(&filter, after))
    });
    let export = format!("/requirements.csv?{}", query(&filter, String::new()));
    let (layout, catalog) = if hx.0 {
        (Layout::bare(), Arc::default())
    } else {
        (
            Layout::new(&me, "Requirements").await?,
            state.catalog.get(conn, me.catalog_version).await?,
        )
    };
    let sort = Sort::parse(&filter.sort);
    let page = ListPage {
        layout,
        chosen: Chosen::of(&filter),
        filter,
        rows,
        catalog,
        priorities: &PRIORITIES,
        export,
        statuses: Status::ALL,
        sort,
        sorts: Sort::ALL,
        can_create: me.can(Permission::CreateRequirement),
        next_page,
    };
    render::page_or_fragment(hx, &page, page.as_results())
}

/// The current filter as CSV, every matching row (see [`super::csv`]).
async fn export(
    db: Db,
    me: CurrentUser,
    Query(filter): Query<ListFilter>,
) -> Result<Response, AppError> {
    let mut conn = db.into_conn().await?;
    let sees_all = me.can(Permission::AdministerRequirements);
    let query =
        move |rows| async move { list::export(&mut conn, me.id, sees_all, &filter, rows).await };
    let file = "requirements.csv";
    Ok(super::csv::download(file, &CSV_HEADER, query, csv_fields))
}

const CSV_HEADER: [&str; 9] = [
    "reference",
    "title",
    "department",
    "hiring_manager",
    "headcount",
    "priority",
    "target_start",
    "status",
    "created",
];

fn csv_fields(r: &ListRow) -> Vec<String> {
    vec![
        r.reference.clone(),
        r.title.clone(),
        r.department_name.clone(),
        r.hiring_manager_name.clone(),
        r.headcount.to_string(),
        r.priority.clone(),
        r.target_start.map(|d| d.to_string()).unwrap_or_default(),
        r.status_label().to_owned(),
        r.created_at.format("%Y-%m-%d").to_string(),
    ]
}

// ---- the form ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/requirements/form.html")]
struct FormPage {
    layout: Layout,
    /// None when drafting a new one.
    requirement: Option<Requirement>,
    form: RequirementForm,
    problems: Problems,
    catalog: Arc<Snapshot>,
    people: Shown,
    /// The recruiter of an approved requirement: only the sourcing fields
    /// are open, the others shown disabled.
    sourcing_only: bool,
}

/// The form's fields in the order they appear, with their labels: the
/// error summary lists problems in this order.
const FIELDS: [(&str, &str); 19] = [
    ("title", "Job title"),
    ("department_id", "Department"),
    ("job_level_id", "Job level"),
    ("hiring_manager_id", "Hiring manager"),
    ("recruiter_id", "Recruiter"),
    ("headcount", "Headcount"),
    ("employment_type", "Employment type"),
    ("remote_policy", "Where"),
    ("priority", "Priority"),
    ("reason", "Reason"),
    ("salary_min", "Salary minimum"),
    ("salary_max", "Salary maximum"),
    ("currency", "Currency"),
    ("location", "Location"),
    ("target_start", "Target start date"),
    ("replaces", "Replaces"),
    ("skills", "Required skills"),
    ("description", "Description"),
    ("confirm", "Confirmation"),
];

/// A `<select>` of fixed choices: (name, label, [(value, label, selected)]).
type Choice = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str, bool)>,
);

impl FormPage {
    /// Every problem, in the form's order, as (field, label, message): the
    /// summary at the top links each to its field.
    fn problems(&self) -> Vec<(&'static str, &'static str, &str)> {
        FIELDS
            .iter()
            .filter_map(|(field, label)| self.problems.get(field).map(|m| (*field, *label, m)))
            .collect()
    }

    /// The saved department when it is archived since (so not in the
    /// catalog): it stays on offer, as an edit may keep it.
    fn archived_department(&self) -> Option<(Uuid, &str)> {
        self.requirement
            .as_ref()
            .filter(|r| {
                !self
                    .catalog
                    .departments
                    .iter()
                    .any(|row| row.department.id == r.department_id)
            })
            .map(|r| (r.department_id, r.department_name.as_str()))
    }

    /// The saved job level when it is archived since (see
    /// [`FormPage::archived_department`]).
    fn archived_level(&self) -> Option<(Uuid, &str)> {
        self.requirement
            .as_ref()
            .filter(|r| !self.catalog.levels.iter().any(|l| l.id == r.job_level_id))
            .map(|r| (r.job_level_id, r.job_level_name.as_str()))
    }

    /// Whether the field is closed to this editor (see
    /// [`FormPage::sourcing_only`]).
    fn locked(&self, field: &str) -> bool {
        self.sourcing_only && !form::SOURCING_FIELDS.contains(&field)
    }

    /// Whether to offer the checkbox that confirms the warnings: when they
    /// are shown, or were confirmed already.
    fn asks_confirmation(&self) -> bool {
        self.problems.get("confirm").is_some() || self.form.confirm.is_some()
    }

    fn choices(&self) -> [Choice; 4] {
        let options = |list: &[(&'static str, &'static str)], current: &str| {
            list.iter().map(|(v, l)| (*v, *l, *v == current)).collect()
        };
        [
            (
                "employment_type",
                "Employment type",
                options(&EMPLOYMENT_TYPES, &self.form.employment_type),
            ),
            (
                "remote_policy",
                "Where",
                options(&REMOTE_POLICIES, &self.form.remote_policy),
            ),
            (
                "priority",
                "Priority",
                options(&PRIORITIES, &self.form.priority),
            ),
            ("reason", "Reason", options(&REASONS, &self.form.reason)),
        ]
    }
}

async fn form_page(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    requirement: Option<Requirement>,
    form: RequirementForm,
    problems: Problems,
) -> Result<FormPage, AppError> {
    let title = match &requirement {
        Some(r) => format!("Edit {}", r.reference),
        None => "New requirement".into(),
    };
    let sourcing_only = requirement
        .as_ref()
        .is_some_and(|r| r.sourcing_only(me.id, &me.roles));
    let people = Shown::of(&mut *conn, [&*form.hiring_manager_id, &*form.recruiter_id]).await?;
    Ok(FormPage {
        layout: Layout::new(me, title).await?,
        requirement,
        form,
        problems,
        catalog: state.catalog.get(&mut *conn, me.catalog_version).await?,
        people,
        sourcing_only,
    })
}

async fn new(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
) -> Result<Response, AppError> {
    me.require(Permission::CreateRequirement)?;
    let form = RequirementForm {
        hiring_manager_id: me.id.to_string(),
        headcount: "1".into(),
        employment_type: "full_time".into(),
        remote_policy: "hybrid".into(),
        priority: "normal".into(),
        reason: "new".into(),
        currency: "EUR".into(),
        ..Default::default()
    };
    let conn = db.conn().await?;
    let page = form_page(&state, conn, &me, None, form, Problems::default()).await?;
    render::ok(&page)
}

async fn create(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Form(mut form): Form<RequirementForm>,
) -> Result<Response, AppError> {
    me.require(Permission::CreateRequirement)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let problems = match commands::draft(&mut tx, &me.actor(), &state.mail, &mut form).await {
        Ok(id) => {
            let message = "Draft saved. Submit it for approval when it is ready.";
            return render::saved(tx, &me.session, message, &format!("/requirements/{id}")).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let status = problems.status();
    render::status(
        status,
        &form_page(&state, conn, &me, None, form, problems).await?,
    )
}

/// The requirement if `me` may see it; a confidential one is "not found"
/// to others, so its existence does not leak.
pub(super) async fn visible(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: RequirementId,
) -> Result<Requirement, AppError> {
    requirement::find(conn, id)
        .await?
        .filter(|r| r.visible_to(me.id, &me.roles))
        .ok_or(AppError::NotFound)
}

async fn edit(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    if !r.editable_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let form = RequirementForm::from_requirement(&r);
    let page = form_page(&state, conn, &me, Some(r), form, Problems::default()).await?;
    render::ok(&page)
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    Form(mut form): Form<RequirementForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let edit = commands::edit(&mut tx, &actor, me.asker(), &state.mail, &r, &mut form);
    let problems = match edit.await {
        Ok(edited) => {
            let message = match edited {
                Edited::SentForApproval => {
                    "Saved. The change goes to the approvers first: until they approve it, \
                     the requirement is pending approval."
                }
                Edited::Filled => {
                    "Saved. Every opening is now filled or closed: the requirement is filled."
                }
                Edited::Saved => "Requirement saved.",
            };
            return render::saved(tx, &me.session, message, &format!("/requirements/{id}")).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let status = problems.status();
    render::status(
        status,
        &form_page(&state, conn, &me, Some(r), form, problems).await?,
    )
}

// ---- the page ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/requirements/show.html")]
struct ShowPage {
    layout: Layout,
    r: Requirement,
    description_html: String,
    actions: Vec<Action>,
    can_edit: bool,
    can_delete: bool,
    history: Vec<history::Event>,
    /// While pending approval: whose decision it waits for.
    waiting: Vec<approval::Task>,
    /// While changes are requested, for its requester: what to change, by
    /// whom and when, at the top.
    changes_asked: Option<approval::ChangesAsked>,
    /// The workflow its approval follows, once submitted; linked for those
    /// who manage workflows.
    route: Option<approval::Route>,
    can_see_workflows: bool,
    /// Look-alikes already in flight, warned about before submitting.
    duplicates: Vec<(Uuid, String)>,
    openings: Vec<opening::Opening>,
    /// Headcount, openings, offers out and hires, read together.
    headcount: crate::domain::offering::Headcount,
    /// Its hires' onboarding, for those who see its pipeline.
    onboardings: Vec<crate::domain::offering::onboarding::Progress>,
    /// Whether `me` may fill or close its open openings now.
    can_settle: bool,
    /// Whether `me` sees its pipeline: the board is linked.
    sees_pipeline: bool,
    /// May keep its interview plan.
    manages_interviews: bool,
    /// May publish it on the careers site (its recruiter, admins; while
    /// it is open).
    publishes: bool,
    /// The opening form that failed: kept as typed, its problems beside it.
    settling: Option<SettleForm>,
    /// The action that failed, with the reason typed for it.
    acting: Option<(Action, String)>,
    /// Why the last action or opening form was refused.
    problems: Problems,
    thread: super::comments::Thread,
}

impl ShowPage {
    fn label(&self, choices: &[(&'static str, &'static str)], value: &str) -> &'static str {
        form::label(choices, value)
    }

    /// Whether this opening's form is the one that failed.
    fn failed(&self, opening: &OpeningId) -> bool {
        self.settling
            .as_ref()
            .is_some_and(|f| f.opening == Some(*opening))
    }

    /// What the failed close form of this opening held, and its
    /// problem: empty for the others.
    fn typed(&self, opening: &OpeningId) -> (&str, Option<&str>) {
        match &self.settling {
            Some(f) if f.opening == Some(*opening) => (f.reason.as_str(), f.errors.get("reason")),
            _ => ("", None),
        }
    }

    /// The reason typed for `action` when it was refused, and its
    /// problem: its form opens again with both.
    fn reason_for(&self, action: &Action) -> Option<(&str, Option<&str>)> {
        self.acting
            .as_ref()
            .filter(|(a, _)| a == action)
            .map(|(_, typed)| (typed.as_str(), self.problems.get("reason")))
    }

    /// What the ids of an action's own fields start with.
    fn form_prefix(&self, action: &Action) -> String {
        format!("{}-", action.as_str())
    }

    /// The refused action's problem, for the summary at the top that
    /// links to its field.
    fn action_problems(&self) -> Vec<(String, &'static str, &str)> {
        match (&self.acting, self.problems.get("reason")) {
            (Some((a, _)), Some(m)) => vec![(format!("{}reason", self.form_prefix(a)), "Why?", m)],
            _ => Vec::new(),
        }
    }
}

async fn show_page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: Requirement,
    problems: Problems,
) -> Result<ShowPage, AppError> {
    Ok(ShowPage {
        layout: Layout::new(me, format!("{} {}", r.reference, r.title)).await?,
        description_html: super::markdown::to_safe_html(&r.description),
        actions: r.actions_for(me.id, &me.roles),
        can_edit: r.editable_by(me.id, &me.roles),
        can_delete: me.can(Permission::AdministerRequirements),
        history: history::timeline(&mut *conn, r.id).await?,
        waiting: waiting_for(&mut *conn, &r).await?,
        changes_asked: changes_asked(&mut *conn, me, &r).await?,
        route: approval::route(&mut *conn, approval_subject::subject(r.id)).await?,
        can_see_workflows: me.can(Permission::ManageWorkflows),
        duplicates: if r.actions_for(me.id, &me.roles).contains(&Action::Submit) {
            requirement::possible_duplicates(&mut *conn, &r).await?
        } else {
            Vec::new()
        },
        thread: super::comments::thread(
            &mut *conn,
            me,
            &super::comments::On::Requirement(r.clone()),
        )
        .await?,
        openings: opening::of(&mut *conn, r.id).await?,
        headcount: crate::domain::offering::headcount(&mut *conn, r.id).await?,
        onboardings: if crate::domain::recruiting::sees_pipeline(&r, me.id, &me.roles) {
            crate::domain::offering::onboarding::of_requirement(&mut *conn, r.id).await?
        } else {
            Vec::new()
        },
        publishes: crate::domain::recruiting::careers::may_publish(&r, me.id, &me.roles)
            && r.status == Status::Open,
        manages_interviews: me.can(crate::domain::access::Permission::ManageInterviews),
        sees_pipeline: crate::domain::recruiting::sees_pipeline(&r, me.id, &me.roles)
            && matches!(r.status, Status::Open | Status::OnHold | Status::Filled),
        can_settle: r.recruited_by(me.id, &me.roles)
            && matches!(r.status, Status::Open | Status::OnHold),
        settling: None,
        acting: None,
        r,
        problems,
    })
}

/// The page with its comment thread as a failed comment left it (the
/// input kept, the problem shown), for a form posted without htmx.
pub(super) async fn page_with_thread(
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: Requirement,
    thread: super::comments::Thread,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut page = show_page(conn, me, r, Problems::default()).await?;
    page.thread = thread;
    render::status(status, &page)
}

/// Whose decision a requirement pending approval waits for.
async fn waiting_for(
    conn: &mut PgConnection,
    r: &Requirement,
) -> Result<Vec<approval::Task>, AppError> {
    if r.status != Status::PendingApproval {
        return Ok(Vec::new());
    }
    Ok(approval::trail(conn, approval_subject::subject(r.id))
        .await?
        .into_iter()
        .filter(|t| t.status == approval::TaskStatus::Pending)
        .collect())
}

/// The changes an approver asked for, shown to those who make them.
async fn changes_asked(
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: &Requirement,
) -> Result<Option<approval::ChangesAsked>, AppError> {
    if r.status == Status::ChangesRequested
        && (me.id == r.hiring_manager_id || me.id == r.created_by)
    {
        Ok(approval::changes_asked(conn, approval_subject::subject(r.id)).await?)
    } else {
        Ok(None)
    }
}

/// The part of the page a live update re-reads (`?part=`), or the page.
#[derive(serde::Deserialize)]
struct Part {
    #[serde(default)]
    part: String,
}

/// The status region alone: what a live update of the status re-reads.
#[derive(Template)]
#[template(path = "fragments/requirements/_status.html")]
struct StatusRegion {
    r: Requirement,
    problems: Problems,
    changes_asked: Option<approval::ChangesAsked>,
    waiting: Vec<approval::Task>,
}

/// The history card alone, for its live update.
#[derive(Template)]
#[template(path = "fragments/requirements/_history_card.html")]
struct HistoryCard {
    r: Requirement,
    history: Vec<history::Event>,
}

async fn show(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    Query(part): Query<Part>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    match part.part.as_str() {
        "" => render::ok(&show_page(conn, &me, r, Problems::default()).await?),
        "status" => render::ok(&StatusRegion {
            waiting: waiting_for(&mut *conn, &r).await?,
            changes_asked: changes_asked(&mut *conn, &me, &r).await?,
            problems: Problems::default(),
            r,
        }),
        "history" => render::ok(&HistoryCard {
            history: history::timeline(conn, r.id).await?,
            r,
        }),
        _ => Err(AppError::NotFound),
    }
}

#[derive(serde::Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: i32,
}

async fn transition(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    let action = Action::parse(&form.action).ok_or(AppError::NotFound)?;
    // Not theirs to ask is a 403 in every state; what the state refuses
    // is explained on the page (409). The domain checks the same again.
    if !r.may(me.id, &me.roles, action) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    let ask = commands::Ask {
        action,
        version: form.version,
        reason: &form.reason,
    };
    let actor = me.actor();
    let acted = commands::act(&mut tx, &actor, me.asker(), &state.mail, id, ask);
    let problems = match acted.await {
        Ok(()) => {
            let to = format!("/requirements/{id}");
            return render::saved(tx, &me.session, action.done(), &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let r = visible(conn, &me, id).await?;
    let status = problems.status();
    let mut page = show_page(conn, &me, r, problems).await?;
    page.acting = Some((action, form.reason));
    render::status(status, &page)
}

/// Closing one opening: why. (An opening is filled by a hire, moved to
/// the hired stage on the board.)
#[derive(serde::Deserialize, Default)]
pub struct SettleForm {
    /// Which opening the form was for, set once it failed.
    #[serde(skip)]
    opening: Option<OpeningId>,
    #[serde(default)]
    reason: String,
    #[serde(skip)]
    errors: FieldErrors,
}

async fn settle_opening(
    mut db: Db,
    me: CurrentUser,
    Path((id, opening_id)): Path<(RequirementId, OpeningId)>,
    Form(mut form): Form<SettleForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    if !r.recruited_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    let closed = async {
        let closing = opening::Closing::parse(&form.reason)?;
        opening::close(&mut tx, &me.actor(), id, opening_id, &closing).await
    };
    let problems = match closed.await {
        Ok(now) => {
            let message = if now == Status::Filled {
                format!(
                    "{}: every opening is filled or closed, so the requirement is filled.",
                    r.reference
                )
            } else {
                "Opening closed.".to_owned()
            };
            return render::saved(tx, &me.session, message, &format!("/requirements/{id}")).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let r = visible(conn, &me, id).await?;
    let status = problems.status();
    (form.opening, form.errors) = (Some(opening_id), problems.fields.clone());
    let mut page = show_page(conn, &me, r, problems).await?;
    page.settling = Some(form);
    render::status(status, &page)
}

async fn delete(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    me.require(Permission::AdministerRequirements)?;
    let mut tx = db.begin().await?;
    requirement::delete(&mut tx, &me.actor(), id).await?;
    render::saved(tx, &me.session, "Requirement deleted.", "/requirements").await
}
