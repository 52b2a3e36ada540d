//! Candidates: the list (search and filters in the URL, keyset pages, CSV),
//! adding one by hand, their profile (details, applications and their
//! stages, history) and editing it.

use super::AppState;
use super::people::Shown;
use super::problems::Problems;
use super::render::{self, Hx, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::activity::history::Event;
use crate::domain::interviewing::{self, Interview, Seat, scorecard};
use crate::domain::kernel::NameOf;
use crate::domain::offering::{self, Offer, onboarding};
use crate::domain::recruiting::Reach;
use crate::domain::recruiting::application::{self, Application, Move};
use crate::domain::recruiting::candidate::{
    self, Added, Candidate, CandidateForm, CandidateId, Source,
};
use crate::domain::recruiting::duplicates;
use crate::domain::recruiting::files::{self, File, FileId};
use crate::domain::recruiting::history;
use crate::domain::recruiting::merge;
use crate::domain::recruiting::privacy::requests::{self, Waiting};
use crate::domain::recruiting::privacy::{self, Basis};
use crate::domain::recruiting::search::{self, Filter, PAGE_SIZE, Row};
use crate::domain::recruiting::stage::{self, Reason, Stage, StageKind};
use crate::domain::requisition::requirement::{self, RequirementId};
use crate::domain::{Error, kernel::After};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use crate::web::upload::Uploaded;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/candidates"), list)
        .serve(route!(POST "/candidates"), create)
        .serve(route!(GET "/candidates/new"), new)
        .serve(route!(GET "/candidates/requirements"), requirement_choices)
        .serve(route!(GET "/candidates.csv"), export)
        .serve(route!(GET "/candidates/{id}"), show)
        .serve(route!(POST "/candidates/{id}"), update)
        .serve(route!(GET "/candidates/{id}/edit"), edit)
        .serve(route!(GET "/candidates/{id}/history"), history_page)
        .serve(
            route!(POST "/candidates/{id}/applications"),
            add_application,
        )
        .serve(route!(POST "/candidates/resume"), from_resume)
        .serve(route!(POST "/candidates/{id}/files"), upload_file)
        .serve(route!(GET "/files/{id}"), download)
}

// ---- list -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/candidates/list.html", blocks = ["results"])]
struct ListPage {
    layout: Layout,
    filter: Filter,
    words: Vec<String>,
    rows: Vec<Row>,
    stages: Vec<String>,
    sources: [Source; 6],
    can_add: bool,
    export: String,
    next_page: Option<String>,
    /// Filtered to a requirement whose candidates `me` manages: the form
    /// that changes the rows chosen.
    bulk: Option<super::pipeline::BulkForm>,
}

impl ListPage {
    fn marked(&self, text: &str) -> Vec<(bool, String)> {
        search::highlight(text, &self.words)
    }

    fn filters_set(&self) -> usize {
        let f = &self.filter;
        [
            &f.stage,
            &f.requirement,
            &f.source,
            &f.tag,
            &f.owner,
            &f.from,
            &f.to,
        ]
        .iter()
        .filter(|v| !v.trim().is_empty())
        .count()
    }
}

fn query(filter: &Filter, after: String) -> String {
    let f = Filter {
        after,
        ..filter.clone()
    };
    serde_urlencoded::to_string(f).unwrap_or_default()
}

/// Refused unless `me` sees some candidates (recruiters, hiring managers,
/// interviewers, admins): the reach of what they see.
fn reach(me: &CurrentUser) -> Result<Reach, AppError> {
    me.require(Permission::ViewCandidates)?;
    Ok(Reach::of(me.id, &me.roles))
}

async fn list(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Query(filter): Query<Filter>,
) -> Result<Response, AppError> {
    let reach = reach(&me)?;
    let conn = db.conn().await?;
    let mut rows = search::list(conn, reach, &filter, PAGE_SIZE + 1).await?;
    let next_page = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        let after = rows
            .last()
            .map(|r| {
                After {
                    at: r.created_at,
                    id: r.id.uuid(),
                }
                .param()
            })
            .unwrap_or_default();
        format!("/candidates?{}", query(&filter, after))
    });
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(&me, "Candidates").await?
    };
    let managed = match filter.requirement.trim().parse() {
        Ok(id) if reach.all => requirement::find(&mut *conn, id)
            .await?
            .filter(|r| r.visible_to(me.id, &me.roles)),
        _ => None,
    };
    let bulk = match managed {
        Some(r) => {
            let pipeline = stage::pipeline(&mut *conn, r.id).await?;
            let list = query(&filter, String::new());
            Some(
                super::pipeline::BulkForm::new(
                    &state,
                    conn,
                    me.catalog_version,
                    r.id,
                    pipeline,
                    Some(list),
                    false,
                )
                .await?,
            )
        }
        None => None,
    };
    let page = ListPage {
        layout,
        words: filter.words(),
        export: format!("/candidates.csv?{}", query(&filter, String::new())),
        filter,
        rows,
        stages: state
            .catalog
            .get(conn, me.catalog_version)
            .await?
            .stage_names
            .clone(),
        sources: Source::ALL,
        can_add: me.can(Permission::ManageCandidates),
        next_page,
        bulk,
    };
    render::page_or_fragment(hx, &page, page.as_results())
}

async fn export(
    db: Db,
    me: CurrentUser,
    Query(filter): Query<Filter>,
) -> Result<Response, AppError> {
    let reach = reach(&me)?;
    let mut conn = db.into_conn().await?;
    let query = move |rows| async move { search::export(&mut conn, reach, &filter, rows).await };
    Ok(super::csv::download(
        "candidates.csv",
        &CSV_HEADER,
        query,
        csv_fields,
    ))
}

const CSV_HEADER: [&str; 8] = [
    "name",
    "email",
    "phone",
    "source",
    "tags",
    "owner",
    "applications",
    "added",
];

fn csv_fields(r: &Row) -> Vec<String> {
    vec![
        r.full_name.clone(),
        r.email.clone().unwrap_or_default(),
        r.phone.clone(),
        r.source.label().to_owned(),
        r.tags.join(", "),
        r.owner_name.clone().unwrap_or_default(),
        r.applications.join("; "),
        r.created_at.format("%Y-%m-%d").to_string(),
    ]
}

// ---- the form ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "fragments/candidates/_requirement_choices.html")]
struct RequirementChoices {
    requirements: Vec<NameOf>,
}

/// The suggestions of a "requirement" field (the requirements `me`
/// recruits for), which htmx loads into its `<datalist>` when the field
/// is first focused: read for every profile shown, they were one of its
/// dearest statements, for a field seldom used. Without JavaScript the
/// field takes a typed reference.
async fn requirement_choices(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ManageCandidates)?;
    let conn = db.conn().await?;
    let requirements = requirement::recruiting_for(conn, me.id).await?;
    render::ok(&RequirementChoices { requirements })
}

#[derive(Template)]
#[template(path = "pages/candidates/form.html")]
struct FormPage {
    layout: Layout,
    /// None when adding one.
    candidate: Option<Candidate>,
    form: CandidateForm,
    problems: Problems,
    people: Shown,
    sources: [Source; 6],
    /// The resume a new one is being added from.
    resume: Option<File>,
    /// The largest file accepted, in words.
    file_max: String,
}

const FIELDS: [(&str, &str); 14] = [
    ("file", "Resume"),
    ("full_name", "Name"),
    ("emails", "Email addresses"),
    ("phone", "Phone"),
    ("location", "Location"),
    ("links", "Links"),
    ("source", "Source"),
    ("referrer_id", "Referred by"),
    ("source_detail", "Source detail"),
    ("tags", "Tags"),
    ("skills", "Skills"),
    ("owner_id", "Owner"),
    ("consent_until", "Consent until"),
    ("requirement_id", "Add to requirement"),
];

impl FormPage {
    /// Adding from a resume whose text is still being read: the form waits
    /// for it (the page reloads itself until then).
    fn waiting_for_text(&self) -> bool {
        self.resume.as_ref().is_some_and(File::reading)
    }

    fn problems(&self) -> Vec<(&'static str, &'static str, &str)> {
        FIELDS
            .iter()
            .filter_map(|(field, label)| self.problems.get(field).map(|m| (*field, *label, m)))
            .collect()
    }
}

async fn form_page(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    candidate: Option<Candidate>,
    form: CandidateForm,
    problems: Problems,
) -> Result<FormPage, AppError> {
    let title = match &candidate {
        Some(c) => format!("Edit {}", c.full_name),
        None => "Add a candidate".into(),
    };
    let people = Shown::of(&mut *conn, [&*form.referrer_id, &*form.owner_id]).await?;
    let resume = match form.file_id.trim().parse() {
        Ok(id) => own_upload(&mut *conn, me, id).await?,
        Err(_) => None,
    };
    Ok(FormPage {
        layout: Layout::new(me, title).await?,
        candidate,
        form,
        problems,
        people,
        sources: Source::ALL,
        resume,
        file_max: files::size_label(state.config.file_max_bytes as i64),
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    /// The requirement to add them to, from its board.
    requirement: String,
    /// The resume they are added from (uploaded first).
    file: String,
}

async fn new(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    me.require(Permission::ManageCandidates)?;
    let conn = db.conn().await?;
    let requirement = match requirement::by_reference(&mut *conn, &q.requirement).await? {
        Some(id) => requirement::find(&mut *conn, id)
            .await?
            .filter(|r| r.visible_to(me.id, &me.roles))
            .map(|r| r.reference)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut form = CandidateForm {
        source: Source::Sourced.as_str().into(),
        owner_id: me.id.to_string(),
        requirement_id: requirement,
        file_id: q.file,
        ..CandidateForm::default()
    };
    let mut page = form_page(&state, conn, &me, None, form.clone(), Problems::default()).await?;
    // From a resume whose text is read: its addresses and phone, for the
    // recruiter to confirm.
    if let Some(text) = page.resume.as_ref().and_then(|f| f.preview.as_deref()) {
        let (emails, phone) = files::contacts(text);
        form.emails = emails.join("\n");
        form.phone = phone.unwrap_or_default();
        page.form = form;
    }
    render::ok(&page)
}

/// A file `me` uploaded that belongs to nobody yet: a resume a candidate
/// is being added from.
async fn own_upload(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: FileId,
) -> Result<Option<File>, AppError> {
    Ok(files::find(conn, id)
        .await?
        .filter(|f| f.candidate_id.is_none() && f.uploaded_by == Some(me.id)))
}

/// Adding a candidate from their resume: the file is kept (its text read
/// in the background), then the form opens, filled in from it once read.
async fn from_resume(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    file: Uploaded,
) -> Result<Response, AppError> {
    me.require(Permission::ManageCandidates)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let uploaded = async {
        let upload = file.check()?;
        files::attach(&mut tx, &state.files, &me.actor(), None, &upload).await
    };
    let problems = match uploaded.await {
        Ok(id) => {
            tx.commit().await?;
            return Ok(render::see_other(&format!("/candidates/new?file={id}")));
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let form = CandidateForm {
        source: Source::Sourced.as_str().into(),
        owner_id: me.id.to_string(),
        ..CandidateForm::default()
    };
    let status = problems.status();
    render::status(
        status,
        &form_page(&state, conn, &me, None, form, problems).await?,
    )
}

async fn create(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Form(mut form): Form<CandidateForm>,
) -> Result<Response, AppError> {
    me.require(Permission::ManageCandidates)?;
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let who = me.who(&actor);
    let added =
        async {
            let fields = form.read(&mut tx).await?;
            // The requirement is read first: a wrong one keeps the whole form.
            let requirement =
                match form.requirement_id.trim() {
                    "" => None,
                    text => Some(requirement::by_reference(&mut tx, text).await?.ok_or_else(
                        || Error::field("requirement_id", "No requirement has this reference."),
                    )?),
                };
            let added = candidate::add(&mut tx, &actor, &fields).await?;
            if let Ok(file) = form.file_id.trim().parse() {
                files::give(&mut tx, &actor, file, added.id()).await?;
            }
            if let Some(r) = requirement {
                application::add(&mut tx, who, &state.mail, added.id(), r, fields.source).await?;
            }
            Ok::<_, Error>(added)
        };
    let problems = match added.await {
        Ok(added) => {
            let message = match added {
                Added::New(_) => "Candidate added.",
                Added::Known(_) if form.requirement_id.trim().is_empty() => {
                    "This is already a candidate (the same email address): here is their \
                     profile, as it was."
                }
                Added::Known(_) => {
                    "This is already a candidate (the same email address): they joined the \
                     pipeline; their details are as they were."
                }
            };
            let to = format!("/candidates/{}", added.id());
            return render::saved(tx, &me.session, message, &to).await;
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

/// The candidate if `me` may see them; "not found" otherwise (to those who
/// see no candidates at all as well).
async fn visible(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: CandidateId,
) -> Result<Candidate, AppError> {
    candidate::find(conn, Reach::of(me.id, &me.roles), id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn edit(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = visible(conn, &me, id).await?;
    me.require(Permission::ManageCandidates)?;
    let form = CandidateForm::of(&c);
    let page = form_page(&state, conn, &me, Some(c), form, Problems::default()).await?;
    render::ok(&page)
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(mut form): Form<CandidateForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = visible(conn, &me, id).await?;
    me.require(Permission::ManageCandidates)?;
    let mut tx = conn.begin().await?;
    let saved = async {
        let fields = form.read(&mut tx).await?;
        candidate::update(&mut tx, &me.actor(), &c, form.version, &fields).await
    };
    let problems = match saved.await {
        Ok(()) => {
            let to = format!("/candidates/{id}");
            return render::saved(tx, &me.session, "Candidate saved.", &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let status = problems.status();
    render::status(
        status,
        &form_page(&state, conn, &me, Some(c), form, problems).await?,
    )
}

// ---- the profile ------------------------------------------------------------

/// One application as the profile shows it, with what `me` may do to it.
pub struct ApplicationView {
    pub a: Application,
    pub stages: Vec<Stage>,
    pub moves: Vec<Move>,
    pub can_manage: bool,
    /// Its interviews that `me` has a seat at.
    pub interviews: Vec<Interview>,
    /// May schedule its interviews.
    pub can_schedule: bool,
    /// The panel's ratings side by side, for the hiring team.
    pub summary: Option<scorecard::Summary>,
    /// Its offers `me` may see, newest first, with their onboarding.
    pub offers: Vec<(Offer, Option<onboarding::Progress>)>,
    /// May draft an offer now: it is at the offer stage with none under way.
    pub can_offer: bool,
}

#[derive(Template)]
#[template(path = "pages/candidates/show.html")]
struct ShowPage {
    layout: Layout,
    c: Candidate,
    applications: Vec<ApplicationView>,
    /// Other records that may be the same person.
    duplicates: Vec<duplicates::Possible>,
    /// The merges into this record that stand.
    merges: Vec<merge::Merge>,
    files: Vec<File>,
    file_max: String,
    reasons: Vec<Reason>,
    /// How long a rejection mail waits, in words.
    mail_wait: String,
    can_edit: bool,
    /// The add-to-requirement form as typed, when it failed.
    adding: String,
    problems: Problems,
    thread: super::comments::Thread,
    now: DateTime<Utc>,
    /// Why their data is kept, and until when.
    keeping: Basis,
    retention_months: i32,
    /// What they asked of their data, waiting for an answer.
    requests: Vec<Waiting>,
    /// May export, erase and hold their data.
    handles_data: bool,
    /// The legal hold's reason, as saved or as typed.
    hold_typed: String,
}

impl ShowPage {
    fn time_in(&self, since: &DateTime<Utc>, until: Option<&DateTime<Utc>>) -> String {
        application::time_in_stage(*since, until.copied().unwrap_or(self.now))
    }
}

/// The profile; with problems, as the failed form of an application (or
/// of adding one, `adding` what was typed) left it.
pub(super) async fn profile(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: Candidate,
    problems: Problems,
    adding: String,
) -> Result<Response, AppError> {
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        problems.status()
    };
    let page = profile_page(state, conn, me, c, problems, adding).await?;
    render::status(status, &page)
}

/// The profile with its comment thread as a failed comment left it (the
/// input kept, the problem shown), for a form posted without htmx.
pub(super) async fn page_with_thread(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: Candidate,
    thread: super::comments::Thread,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let mut page = profile_page(state, conn, me, c, Problems::default(), String::new()).await?;
    page.thread = thread;
    render::status(status, &page)
}

/// The profile with the legal hold's form as a failed save left it.
pub(super) async fn page_with_hold(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: Candidate,
    problems: Problems,
    typed: String,
) -> Result<Response, AppError> {
    let status = problems.status();
    let mut page = profile_page(state, conn, me, c, problems, String::new()).await?;
    page.hold_typed = typed;
    render::status(status, &page)
}

/// A panel's rows, read only when [`candidate::panels`] says it has any
/// (the read is a future: it runs only when awaited).
async fn unless_empty<T, E>(
    has_rows: bool,
    read: impl std::future::Future<Output = Result<Vec<T>, E>>,
) -> Result<Vec<T>, E> {
    if has_rows { read.await } else { Ok(Vec::new()) }
}

async fn profile_page(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: Candidate,
    problems: Problems,
    adding: String,
) -> Result<ShowPage, AppError> {
    let can_manage_any = me.can(Permission::ManageCandidates);
    let panels = candidate::panels(&mut *conn, c.id).await?;
    let catalog = state.catalog.get(&mut *conn, me.catalog_version).await?;
    let all = application::of_candidate_in_full(&mut *conn, c.id, &catalog.pipeline).await?;
    // Those who see them through the requirements they run (as
    // `recruiting::own_people` reads them), for the comment thread.
    let mut own: Vec<uuid::Uuid> = all
        .iter()
        .flat_map(|a| [a.application.hiring_manager_id, a.application.requested_by])
        .collect();
    own.sort_unstable();
    own.dedup();
    let on = super::comments::On::Candidate(c.clone(), own);
    let visible: Vec<application::InFull> = all
        .into_iter()
        .filter(|a| a.application.visible_to(me.id, &me.roles))
        .collect();
    let seated = unless_empty(
        panels.interviews,
        interviewing::of_candidate_for(&mut *conn, c.id, me.id, &me.roles),
    )
    .await?;
    let cards = scorecard::visible(
        &mut *conn,
        &seated
            .iter()
            .map(|(i, seat)| (i.id, *seat))
            .collect::<Vec<_>>(),
        me.id,
    )
    .await?;
    let mut offers = unless_empty(panels.offers, offering::of_candidate(&mut *conn, c.id)).await?;
    // A checklist is made when an offer is accepted: none without one.
    let mut onboardings = if offers
        .iter()
        .any(|o| o.status == offering::Status::Accepted)
    {
        onboarding::of_candidate(&mut *conn, c.id).await?
    } else {
        Vec::new()
    };
    let mut applications = Vec::new();
    for application::InFull {
        application: a,
        moves,
        stages,
    } in visible
    {
        let (theirs, rest): (Vec<Offer>, Vec<Offer>) =
            offers.into_iter().partition(|o| o.application_id == a.id);
        offers = rest;
        let offer_stage = stages
            .iter()
            .filter(|s| s.kind == StageKind::Active)
            .max_by_key(|s| s.position)
            .map(|s| s.id);
        let can_offer = me.can(Permission::ManageOffers)
            && !c.anonymised()
            && offer_stage == Some(a.stage_id)
            && !theirs.iter().any(|o| o.status.is_live());
        let their_offers = theirs
            .into_iter()
            .filter(|o| o.visible_to(me.id, &me.roles))
            .map(|o| {
                let b = onboardings
                    .iter()
                    .position(|b| b.offer_id == o.id)
                    .map(|i| onboardings.swap_remove(i));
                (o, b)
            })
            .collect();
        let interviews: Vec<Interview> = seated
            .iter()
            .filter(|(i, _)| i.application_id == a.id)
            .map(|(i, _)| i.clone())
            .collect();
        // The summary is the hiring team's: a panel member reads the
        // scorecards of an interview on its page, once theirs is in.
        let team = seated.iter().any(|(i, seat)| {
            i.application_id == a.id && matches!(seat, Seat::Manager | Seat::Reader)
        });
        let theirs: Vec<scorecard::Scorecard> = cards
            .iter()
            .filter(|s| interviews.iter().any(|i| i.id.uuid() == s.interview_id))
            .cloned()
            .collect();
        applications.push(ApplicationView {
            stages,
            offers: their_offers,
            can_offer,
            can_manage: a.managed_by(me.id, &me.roles),
            can_schedule: me.can(Permission::ManageInterviews)
                && !c.anonymised()
                && !a.stage_kind.is_end(),
            summary: (team && !theirs.is_empty()).then(|| scorecard::summary(&theirs)),
            interviews,
            moves,
            a,
        });
    }
    let kept: privacy::Kept = panels.kept.into();
    let page = ShowPage {
        layout: Layout::new(me, c.full_name.clone()).await?,
        applications,
        duplicates: duplicates::of(&mut *conn, Reach::of(me.id, &me.roles), c.id).await?,
        merges: unless_empty(panels.merges, merge::into(&mut *conn, c.id)).await?,
        files: unless_empty(panels.files, files::of_candidate(&mut *conn, c.id)).await?,
        file_max: files::size_label(state.config.file_max_bytes as i64),
        reasons: catalog.reasons.clone(),
        mail_wait: application::mail_wait(state.config.rejection_mail_delay),
        can_edit: can_manage_any && !c.anonymised(),
        adding,
        problems,
        thread: super::comments::thread(&mut *conn, me, &on).await?,
        now: Utc::now(),
        keeping: kept.basis,
        retention_months: kept.retention_months,
        requests: unless_empty(panels.requests, requests::waiting(&mut *conn, Some(c.id))).await?,
        handles_data: me.can(Permission::HandlePersonalData),
        hold_typed: c.legal_hold.clone().unwrap_or_default(),
        c,
    };
    Ok(page)
}

/// A candidate's history, newest first: a page of its own, and the
/// fragment the profile loads when its History section comes into view
/// (read on demand: most views of a profile never scroll to it).
#[derive(Template)]
#[template(path = "pages/candidates/history.html", blocks = ["events"])]
struct HistoryPage {
    layout: Layout,
    c: Candidate,
    history: Vec<Event>,
}

async fn history_page(
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<CandidateId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let reach = Reach::of(me.id, &me.roles);
    let c = candidate::find(&mut *conn, reach, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(&me, format!("History of {}", c.full_name)).await?
    };
    let page = HistoryPage {
        layout,
        history: history::timeline(conn, c.id).await?,
        c,
    };
    render::page_or_fragment(hx, &page, page.as_events())
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let reach = Reach::of(me.id, &me.roles);
    let Some(c) = candidate::find(&mut *conn, reach, id).await? else {
        // A record merged into another: its old links lead there.
        return match merge::merged_into(&mut *conn, id).await? {
            Some(kept) if candidate::find(&mut *conn, reach, kept).await?.is_some() => {
                Ok(render::see_other(&format!("/candidates/{kept}")))
            }
            _ => Err(AppError::NotFound),
        };
    };
    profile(&state, conn, &me, c, Problems::default(), String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AddForm {
    requirement_id: String,
}

async fn add_application(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = visible(conn, &me, id).await?;
    me.require(Permission::ManageCandidates)?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let who = me.who(&actor);
    let added = async {
        let r: RequirementId = requirement::by_reference(&mut tx, &form.requirement_id)
            .await?
            .ok_or_else(|| Error::field("requirement_id", "No requirement has this reference."))?;
        application::add(&mut tx, who, &state.mail, c.id, r, c.source).await
    };
    let problems = match added.await {
        Ok(_) => {
            let to = format!("/candidates/{id}");
            let message = format!("{} joined the pipeline.", c.full_name);
            return render::saved(tx, &me.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    profile(&state, conn, &me, c, problems, form.requirement_id).await
}

async fn upload_file(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    file: Uploaded,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let c = visible(conn, &me, id).await?;
    me.require(Permission::ManageCandidates)?;
    let mut tx = conn.begin().await?;
    let uploaded = async {
        let upload = file.check()?;
        files::attach(&mut tx, &state.files, &me.actor(), Some(c.id), &upload).await
    };
    let problems = match uploaded.await {
        Ok(_) => {
            let to = format!("/candidates/{id}");
            let message = "File added. Its text is being read: search finds it in a moment.";
            return render::saved(tx, &me.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    profile(&state, conn, &me, c, problems, String::new()).await
}

/// A file, to those who may see its candidate (or, not yet given to one,
/// to its uploader): always as an attachment, with the type its content
/// was found to be, never one a browser would run.
async fn download(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<FileId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let file = files::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = match file.candidate_id {
        Some(c) => candidate::find(&mut *conn, Reach::of(me.id, &me.roles), c)
            .await?
            .is_some(),
        None => file.uploaded_by == Some(me.id),
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    db.release();
    let bytes = files::content(&state.files, &file).await?;
    Ok(render::attachment(
        &file.name,
        file.kind.content_type(),
        bytes,
    ))
}
