//! Interviews: scheduling one for an application (with the panel's
//! conflicts as a warning), its page (the kit for the panel: candidate,
//! resume, the round's focus and questions, the scorecard form; for the
//! hiring team every scorecard and the panel summary), rescheduling,
//! cancelling, and the scorecard a panel member submits.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::domain::Error;
use crate::domain::interviewing::calendar::Response as Answer;
use crate::domain::interviewing::plan::{self, Round, RoundForm};
use crate::domain::interviewing::schedule::{self, Conflict, Outcome, ScheduleForm};
use crate::domain::interviewing::scorecard::{self, Recommendation, Scorecard, ScorecardForm};
use crate::domain::interviewing::{self, Interview, InterviewId, Kind, Panelist, Seat, Status};
use crate::domain::kernel::NameOf;
use crate::domain::recruiting::application::{self, Application, ApplicationId, Who};
use crate::domain::recruiting::files::{self, File};
use crate::domain::requisition::requirement::{Requirement, RequirementId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{Path, RawForm, State};
use axum::response::Response;
use chrono::Utc;
use sqlx::{Connection as _, PgConnection};
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/applications/{id}/interviews/new"), new)
        .serve(route!(POST "/applications/{id}/interviews"), create)
        .serve(route!(GET "/interviews/{id}"), show)
        .serve(route!(GET "/interviews/{id}/edit"), edit)
        .serve(route!(POST "/interviews/{id}"), update)
        .serve(route!(POST "/interviews/{id}/cancellation"), cancel)
        .serve(route!(POST "/interviews/{id}/status"), set_status)
        .serve(route!(POST "/interviews/{id}/scorecard"), score)
        .serve(route!(GET "/requirements/{id}/interview-plan"), plan_page)
        .serve(route!(POST "/requirements/{id}/interview-plan"), save_plan)
}

#[derive(Template)]
#[template(path = "pages/interviews/schedule.html")]
struct SchedulePage {
    layout: Layout,
    a: Application,
    /// The interview changed, or None for a new one.
    editing: Option<Interview>,
    form: ScheduleForm,
    /// The version the change applies over.
    version: i32,
    rounds: Vec<Round>,
    /// Who may sit on the panel.
    people: Vec<NameOf>,
    time_zones: &'static [chrono_tz::Tz],
    conflicts: Vec<Conflict>,
    problems: Problems,
}

impl SchedulePage {
    fn chosen(&self, person: &Uuid) -> bool {
        let id = person.to_string();
        self.form.panel.contains(&id)
    }

    fn kinds(&self) -> [Kind; 4] {
        Kind::ALL
    }

    fn action(&self) -> String {
        match &self.editing {
            Some(i) => format!("/interviews/{}", i.id),
            None => format!("/applications/{}/interviews", self.a.id),
        }
    }
}

/// The application, if `me` may schedule its interviews: 404 unless they
/// see it, 403 unless they manage interviews.
async fn schedulable(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: ApplicationId,
) -> Result<Application, AppError> {
    let a = application::find(conn, id)
        .await?
        .filter(|a| a.visible_to(me.id, &me.roles))
        .ok_or(AppError::NotFound)?;
    me.require(crate::domain::access::Permission::ManageInterviews)?;
    Ok(a)
}

#[allow(clippy::too_many_arguments)] // the page's parts, as a failed form left them
async fn schedule_page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    a: Application,
    editing: Option<Interview>,
    form: ScheduleForm,
    version: i32,
    conflicts: Vec<Conflict>,
    problems: Problems,
) -> Result<SchedulePage, AppError> {
    let title = match &editing {
        Some(_) => format!("Change the interview with {}", a.candidate_name),
        None => format!("Schedule an interview with {}", a.candidate_name),
    };
    let mut rounds = plan::rounds(&mut *conn, a.requirement_id).await?;
    if let Some(r) = editing.as_ref().and_then(|i| i.round_id)
        && !rounds.iter().any(|x| x.id == r)
        && let Some(round) = plan::round(&mut *conn, r).await?
    {
        rounds.push(round);
    }
    Ok(SchedulePage {
        layout: Layout::new(me, title).await?,
        people: schedule::panel_choices(&mut *conn).await?,
        rounds,
        a,
        editing,
        form,
        version,
        time_zones: &chrono_tz::TZ_VARIANTS,
        conflicts,
        problems,
    })
}

async fn new(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let a = schedulable(conn, &me, id).await?;
    let rounds = plan::rounds(&mut *conn, a.requirement_id).await?;
    let form = ScheduleForm {
        round_id: rounds.first().map(|r| r.id.to_string()).unwrap_or_default(),
        time_zone: me.time_zone.clone(),
        minutes: rounds
            .first()
            .map(|r| r.minutes.to_string())
            .unwrap_or_default(),
        ..ScheduleForm::default()
    };
    let page = schedule_page(conn, &me, a, None, form, 0, Vec::new(), Problems::default()).await?;
    render::ok(&page)
}

/// The form as posted: its panel is a repeated field.
fn read_form(body: &[u8]) -> (ScheduleForm, i32) {
    let mut form = ScheduleForm::default();
    let mut version = 0;
    for (k, v) in url::form_urlencoded::parse(body) {
        let v = v.into_owned();
        match &*k {
            "round_id" => form.round_id = v,
            "kind" => form.kind = v,
            "date" => form.date = v,
            "start" => form.start = v,
            "minutes" => form.minutes = v,
            "time_zone" => form.time_zone = v,
            "location" => form.location = v,
            "notes" => form.notes = v,
            "panel" => form.panel.push(v),
            "confirmed" => form.confirmed = !v.is_empty(),
            "version" => version = v.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    (form, version)
}

async fn create(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let a = schedulable(conn, &me, id).await?;
    let (form, _) = read_form(&body);
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let done = schedule::schedule(&mut tx, me.who(&actor), &state.mail, id, &form).await;
    let next = finish(tx, &me, false, done).await?;
    again(conn, &me, a, None, form, 0, next).await
}

/// What became of a scheduling form.
enum Next {
    /// Done: on to the interview.
    Done(Response),
    /// Back to the form, with the conflicts to confirm or its problems.
    Again(Vec<Conflict>, Problems),
}

async fn finish(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    me: &CurrentUser,
    editing: bool,
    done: Result<Outcome, Error>,
) -> Result<Next, AppError> {
    let (conflicts, problems) = match done {
        Ok(Outcome::Done(i)) => {
            let message = if editing {
                "Interview changed: the panel and the candidate get the updated invitation."
            } else {
                "Interview scheduled: the panel and the candidate get an invitation."
            };
            let to = format!("/interviews/{i}");
            return Ok(Next::Done(
                render::saved(tx, &me.session, message, &to).await?,
            ));
        }
        Ok(Outcome::Warned(conflicts)) => (conflicts, Problems::default()),
        Err(e) => (Vec::new(), Problems::try_from(e)?),
    };
    tx.rollback().await?;
    Ok(Next::Again(conflicts, problems))
}

/// The form again, as sent (not confirmed), with the conflicts or problems.
#[allow(clippy::too_many_arguments)] // the form as sent, and what became of it
async fn again(
    conn: &mut PgConnection,
    me: &CurrentUser,
    a: Application,
    editing: Option<Interview>,
    mut form: ScheduleForm,
    mut version: i32,
    next: Next,
) -> Result<Response, AppError> {
    let (conflicts, problems) = match next {
        Next::Done(res) => return Ok(res),
        Next::Again(conflicts, problems) => (conflicts, problems),
    };
    let status = if conflicts.is_empty() {
        problems.status()
    } else {
        axum::http::StatusCode::OK
    };
    problems.rebase(&mut version);
    form.confirmed = false;
    let page = schedule_page(conn, me, a, editing, form, version, conflicts, problems).await?;
    render::status(status, &page)
}

/// The interview if `me` manages it (404 unseen, 403 otherwise).
async fn managed(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: InterviewId,
) -> Result<(Interview, Vec<Panelist>), AppError> {
    let (i, seat, panel) = interviewing::seen_by(conn, id, me.id, &me.roles).await?;
    if seat != Seat::Manager {
        return Err(AppError::Forbidden);
    }
    Ok((i, panel))
}

async fn edit(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (i, panel) = managed(conn, &me, id).await?;
    let a = application::find(&mut *conn, i.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = ScheduleForm::of(&i, &panel);
    let version = i.version;
    let page = schedule_page(
        conn,
        &me,
        a,
        Some(i),
        form,
        version,
        Vec::new(),
        Problems::default(),
    )
    .await?;
    render::ok(&page)
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (i, _) = managed(conn, &me, id).await?;
    let a = application::find(&mut *conn, i.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (form, version) = read_form(&body);
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let done = schedule::reschedule(&mut tx, me.who(&actor), &state.mail, id, version, &form).await;
    let next = finish(tx, &me, true, done).await?;
    again(conn, &me, a, Some(i), form, version, next).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CancelForm {
    reason: String,
}

async fn cancel(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Result<Response, AppError> {
    change(&state, db, &me, id, async |conn, who| {
        schedule::cancel(conn, who, &state.mail, id, &form.reason).await?;
        Ok("Interview cancelled: the panel and the candidate are told.".to_owned())
    })
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
    axum::Form(form): axum::Form<StatusForm>,
) -> Result<Response, AppError> {
    change(&state, db, &me, id, async |conn, who| {
        let status = Status::parse(form.status.trim())
            .ok_or_else(|| Error::field("status", "Choose what happened."))?;
        schedule::set_status(conn, who, id, status).await?;
        Ok(format!("Marked {}.", status.label().to_lowercase()))
    })
    .await
}

/// One change of interview `id` by `me`, who must manage it: `run` in a
/// transaction, then back to the interview with its message; or, refused,
/// the interview's page with why.
async fn change(
    state: &AppState,
    mut db: Db,
    me: &CurrentUser,
    id: InterviewId,
    run: impl AsyncFnOnce(&mut PgConnection, Who<'_>) -> Result<String, Error>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    managed(conn, me, id).await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    match run(&mut tx, me.who(&actor)).await {
        Ok(message) => render::saved(tx, &me.session, message, &format!("/interviews/{id}")).await,
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            page(state, conn, me, id, problems, None).await
        }
    }
}

/// A scorecard as the page shows it.
pub struct Card {
    pub s: Scorecard,
    /// Its earlier versions (amended), newest first.
    pub earlier: Vec<(i32, Recommendation, chrono::DateTime<Utc>)>,
}

#[derive(Template)]
#[template(path = "pages/interviews/show.html")]
struct ShowPage {
    layout: Layout,
    i: Interview,
    seat: Seat,
    panel: Vec<Panelist>,
    /// The round's focus and questions.
    round: Option<Round>,
    /// The candidate's files, for the kit.
    files: Vec<File>,
    /// What the candidate's profile says, for the kit.
    candidate: Option<crate::domain::recruiting::candidate::Candidate>,
    /// Whether `me` is on the panel (scores it).
    on_panel: bool,
    /// Their scorecard form (new, amended, or as a failed send left it).
    form: ScorecardForm,
    /// The scorecard attributes, in order.
    attributes: Vec<String>,
    /// The scorecards `me` may read (blind until their own is in).
    cards: Vec<Card>,
    summary: Option<scorecard::Summary>,
    problems: Problems,
    me: Uuid,
    /// The viewer's time zone.
    zone: String,
}

impl ShowPage {
    fn manages(&self) -> bool {
        self.seat == Seat::Manager
    }

    fn mine(&self) -> Option<&Scorecard> {
        self.cards
            .iter()
            .map(|c| &c.s)
            .find(|s| s.author_id == self.me)
    }

    fn when(&self) -> String {
        schedule::when(self.i.starts_at, self.i.ends_at, &self.zone)
    }

    fn rating(&self, n: &usize) -> &str {
        self.form.ratings.get(*n).map_or("", |(r, _)| r.as_str())
    }

    fn note(&self, n: &usize) -> &str {
        self.form
            .ratings
            .get(*n)
            .map_or("", |(_, note)| note.as_str())
    }

    fn answer(&self, r: &Answer) -> &'static str {
        r.label()
    }

    fn recommendations(&self) -> [Recommendation; 5] {
        Recommendation::ALL
    }

    fn rating_label(&self, r: &u8) -> &'static str {
        scorecard::rating_label(*r)
    }

    fn ratings(&self) -> [(u8, &'static str); 4] {
        [1, 2, 3, 4].map(|n| (n, scorecard::rating_label(n)))
    }
}

/// The interview's page for `me`; `form` as a failed scorecard left it.
async fn page(
    _state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: InterviewId,
    problems: Problems,
    form: Option<ScorecardForm>,
) -> Result<Response, AppError> {
    let (i, seat, panel) = interviewing::seen_by(&mut *conn, id, me.id, &me.roles).await?;
    let on_panel = panel.iter().any(|p| p.user_id == me.id);
    let round = match i.round_id {
        Some(r) => plan::round(&mut *conn, r).await?,
        None => None,
    };
    let attributes = round
        .as_ref()
        .map(|r| r.attributes.clone())
        .unwrap_or_default();
    let visible =
        scorecard::visible(&mut *conn, &[(id, seat_for_cards(seat, on_panel))], me.id).await?;
    let mut cards = Vec::new();
    for s in visible {
        let earlier = scorecard::earlier(&mut *conn, s.id).await?;
        cards.push(Card { s, earlier });
    }
    let form = match form {
        Some(f) => f,
        None => cards.iter().find(|c| c.s.author_id == me.id).map_or_else(
            || ScorecardForm {
                ratings: vec![Default::default(); attributes.len()],
                ..ScorecardForm::default()
            },
            |c| ScorecardForm::of(&c.s, &attributes),
        ),
    };
    let mine_in = cards.iter().any(|c| c.s.author_id == me.id);
    let summary = (matches!(seat, Seat::Manager | Seat::Reader) || mine_in)
        .then(|| {
            let all: Vec<Scorecard> = cards.iter().map(|c| c.s.clone()).collect();
            scorecard::summary(&all)
        })
        .filter(|s| !s.authors.is_empty());
    let reach = crate::domain::recruiting::Reach::of(me.id, &me.roles);
    let candidate =
        crate::domain::recruiting::candidate::find(&mut *conn, reach, i.candidate_id).await?;
    let files = if candidate.is_some() {
        files::of_candidate(&mut *conn, i.candidate_id).await?
    } else {
        Vec::new()
    };
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        problems.status()
    };
    let page = ShowPage {
        layout: Layout::new(me, format!("{}: {}", i.round_name, i.candidate_name)).await?,
        i,
        seat,
        panel,
        round,
        files,
        candidate,
        on_panel,
        form,
        attributes,
        cards,
        summary,
        problems,
        me: me.id,
        zone: me.time_zone.clone(),
    };
    render::status(status, &page)
}

/// A panel member who manages too reads as a manager.
fn seat_for_cards(seat: Seat, on_panel: bool) -> Seat {
    if seat == Seat::None && on_panel {
        Seat::Panel
    } else {
        seat
    }
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    page(&state, conn, &me, id, Problems::default(), None).await
}

async fn score(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<InterviewId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (_, _, panel) = interviewing::seen_by(&mut *conn, id, me.id, &me.roles).await?;
    if !panel.iter().any(|p| p.user_id == me.id) {
        return Err(AppError::Forbidden);
    }
    let mut form = ScorecardForm::default();
    for (k, v) in url::form_urlencoded::parse(&body) {
        let v = v.into_owned();
        let slot = |form: &mut ScorecardForm, n: &str| -> Option<usize> {
            let n: usize = n.parse().ok().filter(|n| *n < 100)?;
            if form.ratings.len() <= n {
                form.ratings.resize(n + 1, Default::default());
            }
            Some(n)
        };
        match &*k {
            "recommendation" => form.recommendation = v,
            "takeaways" => form.takeaways = v,
            "private_notes" => form.private_notes = v,
            "version" => form.version = v.trim().parse().unwrap_or(0),
            k => {
                if let Some(n) = k.strip_prefix("rating-")
                    && let Some(n) = slot(&mut form, n)
                {
                    form.ratings[n].0 = v;
                } else if let Some(n) = k.strip_prefix("note-")
                    && let Some(n) = slot(&mut form, n)
                {
                    form.ratings[n].1 = v;
                }
            }
        }
    }
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    match scorecard::submit(&mut tx, me.who(&actor), &state.mail, id, &form).await {
        Ok(()) => {
            let message = if form.version == 0 {
                "Scorecard sent: you can now read the panel's."
            } else {
                "Scorecard amended: the version before is kept."
            };
            render::saved(tx, &me.session, message, &format!("/interviews/{id}")).await
        }
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            problems.rebase(&mut form.version);
            page(&state, conn, &me, id, problems, Some(form)).await
        }
    }
}

// ---- the interview plan -----------------------------------------------------

/// How many empty rounds the plan's form offers to add.
const BLANK_ROUNDS: usize = 2;

#[derive(Template)]
#[template(path = "pages/interviews/plan.html")]
struct PlanPage {
    layout: Layout,
    r: Requirement,
    /// Whether it has a plan of its own (else the company's shows).
    own: bool,
    rounds: Vec<RoundForm>,
    problems: Problems,
}

impl PlanPage {
    fn kinds(&self) -> [Kind; 4] {
        Kind::ALL
    }

    fn error(&self, n: &usize, field: &str) -> Option<&str> {
        self.problems.get(&format!("round-{n}-{field}"))
    }
}

/// The requirement, if `me` may keep its interview plan: 404 unless they
/// see it, 403 unless they manage interviews.
async fn planned(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: RequirementId,
) -> Result<Requirement, AppError> {
    let r = super::requirements::visible(conn, me, id).await?;
    me.require(crate::domain::access::Permission::ManageInterviews)?;
    Ok(r)
}

async fn plan_page(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = planned(conn, &me, id).await?;
    let mut rounds: Vec<RoundForm> = plan::rounds(&mut *conn, id)
        .await?
        .iter()
        .map(RoundForm::of)
        .collect();
    rounds.extend((0..BLANK_ROUNDS).map(|_| RoundForm::default()));
    let page = PlanPage {
        layout: Layout::new(&me, format!("{} {}: interview plan", r.reference, r.title)).await?,
        own: plan::has_own(&mut *conn, id).await?,
        r,
        rounds,
        problems: Problems::default(),
    };
    render::ok(&page)
}

async fn save_plan(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = planned(conn, &me, id).await?;
    let mut rounds: Vec<RoundForm> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        let Some((n, field)) = k
            .strip_prefix("round-")
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(n, f)| Some((n.parse::<usize>().ok().filter(|n| *n < 50)?, f)))
        else {
            continue;
        };
        if rounds.len() <= n {
            rounds.resize(n + 1, RoundForm::default());
        }
        let v = v.into_owned();
        match field {
            "name" => rounds[n].name = v,
            "kind" => rounds[n].kind = v,
            "minutes" => rounds[n].minutes = v,
            "attributes" => rounds[n].attributes = v,
            "questions" => rounds[n].questions = v,
            _ => {}
        }
    }
    let mut tx = conn.begin().await?;
    match plan::save(&mut tx, &me.actor(), id, &rounds).await {
        Ok(()) => {
            render::saved(
                tx,
                &me.session,
                "Interview plan saved: new interviews use it.",
                &format!("/requirements/{id}/interview-plan"),
            )
            .await
        }
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            let status = problems.status();
            let page = PlanPage {
                layout: Layout::new(&me, format!("{} {}: interview plan", r.reference, r.title))
                    .await?,
                own: plan::has_own(&mut *conn, id).await?,
                r,
                rounds,
                problems,
            };
            render::status(status, &page)
        }
    }
}
