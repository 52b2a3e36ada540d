//! The pipeline: a requirement's board (a column per stage, re-read live
//! when anything on it moves) and the moves of one application (to a
//! stage, rejected with a reason, un-rejected), posted from the board or
//! from the candidate's profile, each going back where it came from.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Hx, Layout, filters};
use super::requirements::visible;
use crate::domain::Error;
use crate::domain::kernel::FieldErrors;
use crate::domain::recruiting::application::{
    self, Application, ApplicationId, Locked, Moved, Rejection, Who,
};
use crate::domain::recruiting::board::{self, Column};
use crate::domain::recruiting::candidate;
use crate::domain::recruiting::search::Filter;
use crate::domain::recruiting::stage::{self, StageId};
use crate::domain::recruiting::{self, Reach};
use crate::domain::requisition::requirement::{Requirement, RequirementId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/requirements/{id}/board"), show)
        .serve(route!(POST "/requirements/{id}/board"), bulk)
        .serve(route!(POST "/applications/{id}/stage"), move_to)
        .serve(route!(POST "/applications/{id}/rejection"), reject)
        .serve(
            route!(POST "/applications/{id}/rejection/deletion"),
            unreject,
        )
        .serve(
            route!(POST "/applications/{id}/rejection-mail/deletion"),
            cancel_mail,
        )
}

#[derive(Template)]
#[template(path = "pages/requirements/board.html", blocks = ["columns"])]
struct BoardPage {
    layout: Layout,
    r: Requirement,
    columns: Vec<Column>,
    /// To change the chosen cards at once, for those who manage them.
    bulk: Option<BulkForm>,
    can_manage: bool,
    problems: Problems,
    now: DateTime<Utc>,
}

impl BoardPage {
    fn time_in(&self, since: &DateTime<Utc>) -> String {
        application::time_in_stage(*since, self.now)
    }

    /// The stages a card may be moved to: the pipeline's, but the ends
    /// (reached by rejecting).
    fn targets(&self) -> impl Iterator<Item = &stage::Stage> {
        self.columns
            .iter()
            .map(|c| &c.stage)
            .filter(|s| !s.kind.is_end())
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Part {
    part: String,
}

/// The requirement, if `me` may see its pipeline (its recruiters, its
/// hiring manager, admins): "not found" to those who may not see it, 403
/// to those who may see it but not its candidates.
async fn pipeline_of(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: RequirementId,
) -> Result<Requirement, AppError> {
    let r = visible(conn, me, id).await?;
    if !recruiting::sees_pipeline(&r, me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

async fn board_page(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: Requirement,
    problems: Problems,
    layout: Layout,
) -> Result<BoardPage, AppError> {
    let can_manage = Reach::of(me.id, &me.roles).all;
    let columns = board::board(&mut *conn, r.id).await?;
    let bulk = if can_manage {
        let targets = columns.iter().map(|c| c.stage.clone()).collect();
        Some(
            BulkForm::new(
                state,
                conn,
                me.catalog_version,
                r.id,
                targets,
                None,
                !problems.is_empty(),
            )
            .await?,
        )
    } else {
        None
    };
    Ok(BoardPage {
        layout,
        columns,
        bulk,
        can_manage,
        problems,
        now: Utc::now(),
        r,
    })
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<RequirementId>,
    Query(part): Query<Part>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = pipeline_of(conn, &me, id).await?;
    let columns = match part.part.as_str() {
        "" => false,
        "columns" => true,
        _ => return Err(AppError::NotFound),
    };
    let layout = if columns || hx.0 {
        Layout::bare()
    } else {
        Layout::new(&me, format!("{} {}: board", r.reference, r.title)).await?
    };
    let page = board_page(&state, conn, &me, r, Problems::default(), layout).await?;
    render::page_or_fragment(Hx(columns || hx.0), &page, page.as_columns())
}

/// Where a move goes back to: the board it was made on, or the profile.
#[derive(serde::Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Back {
    #[default]
    Profile,
    Board,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    /// The stage the person saw it in: a move that crossed another is
    /// refused, not applied twice.
    from: String,
    stage_id: String,
    reason_id: String,
    note: String,
    /// The "email them" box, ticked.
    notify: Option<String>,
    back: Back,
}

impl MoveForm {
    /// A form without the stage it was seen in is not one of ours.
    fn from(&self) -> Result<StageId, Error> {
        self.from.trim().parse().map_err(|_| Error::NotFound)
    }
}

async fn move_to(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    // The board posts one form for all its cards: the stage chosen is then
    // the card's own field, `to-{id}`.
    let card = format!("to-{id}");
    let mut form = MoveForm::default();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match &*k {
            "from" => form.from = v.into_owned(),
            "stage_id" => form.stage_id = v.into_owned(),
            "back" if v == "board" => form.back = Back::Board,
            k if k == card => form.stage_id = v.into_owned(),
            _ => {}
        }
    }
    let back = form.back;
    change(&state, db, &me, id, back, async |conn, who, a| {
        let from = form.from()?;
        let to: StageId = form
            .stage_id
            .trim()
            .parse()
            .map_err(|_| Error::field("stage_id", "Choose a stage."))?;
        Ok(
            match application::move_to(conn, who, &state.mail, a, from, to).await? {
                Moved::To(stage) => format!("Moved to {stage}."),
                Moved::Hired {
                    requirement_filled: true,
                } => "Hired: every opening is now filled or closed, so the requirement is filled."
                    .into(),
                Moved::Hired { .. } => "Hired: an opening is filled.".into(),
                Moved::Unchanged => "Already there: nothing changed.".into(),
            },
        )
    })
    .await
}

async fn reject(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let back = form.back;
    change(&state, db, &me, id, back, async |conn, who, a| {
        let from = form.from()?;
        let mail_in = form
            .notify
            .is_some()
            .then_some(state.config.rejection_mail_delay);
        let rejection = Rejection::parse(&form.reason_id, &form.note, mail_in)?;
        application::reject(conn, who, &state.mail, a, from, &rejection).await?;
        Ok(rejected(mail_in))
    })
    .await
}

async fn unreject(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    change(&state, db, &me, id, form.back, async |conn, who, a| {
        let stage = application::unreject(conn, who, a).await?;
        Ok(format!("Un-rejected: back to {stage}."))
    })
    .await
}

/// What a rejection says it did.
fn rejected(mail_in: Option<std::time::Duration>) -> String {
    match mail_in {
        Some(delay) => format!(
            "Rejected. The email to them goes in {}: until then, “Cancel the email” stops it.",
            application::mail_wait(delay)
        ),
        None => "Rejected.".into(),
    }
}

async fn cancel_mail(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    change(&state, db, &me, id, form.back, async |conn, who, a| {
        application::cancel_mail(conn, who, a).await?;
        Ok("The rejection email is cancelled: it will not be sent.".to_owned())
    })
    .await
}

/// One change of application `id` by `me`, who must manage it: `run` in a
/// transaction, then back where the form came from with its message; or,
/// refused, that page again with why.
async fn change(
    state: &AppState,
    mut db: Db,
    me: &CurrentUser,
    id: ApplicationId,
    back: Back,
    run: impl AsyncFnOnce(&mut PgConnection, Who<'_>, &Locked) -> Result<String, Error>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let who = me.who(&actor);
    // Checked before the form is read, so a refusal never depends on what
    // was posted.
    let a = application::lock(&mut tx, who, id).await?;
    match run(&mut tx, who, &a).await {
        Ok(message) => done(tx, me, &a, back, message).await,
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            refused(state, conn, me, id, back, problems).await
        }
    }
}

/// Commits and goes back where the form came from (the board or the
/// profile of `a`, which no change moves), with `message`.
async fn done(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    me: &CurrentUser,
    a: &Application,
    back: Back,
    message: String,
) -> Result<Response, AppError> {
    let to = match back {
        Back::Board => format!("/requirements/{}/board", a.requirement_id),
        Back::Profile => format!("/candidates/{}", a.candidate_id),
    };
    render::saved(tx, &me.session, message, &to).await
}

/// The page the refused form came from, again, with why.
async fn refused(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: ApplicationId,
    back: Back,
    problems: Problems,
) -> Result<Response, AppError> {
    let a = application::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match back {
        Back::Board => {
            let r = pipeline_of(&mut *conn, me, a.requirement_id).await?;
            let layout = Layout::new(me, format!("{} {}: board", r.reference, r.title)).await?;
            let status = problems.status();
            let page = board_page(state, conn, me, r, problems, layout).await?;
            render::status(status, &page)
        }
        Back::Profile => {
            let reach = Reach::of(me.id, &me.roles);
            let c = candidate::find(&mut *conn, reach, a.candidate_id)
                .await?
                .ok_or(AppError::NotFound)?;
            super::candidates::profile(state, conn, me, c, problems, String::new()).await
        }
    }
}

/// The form that changes several applications of a requirement at once,
/// as the board and the requirement's candidate list show it
/// (`fragments/pipeline/_bulk.html`).
pub struct BulkForm {
    pub requirement: RequirementId,
    /// The stages they may be moved to (the pipeline's, but its ends).
    pub targets: Vec<stage::Stage>,
    pub reasons: Vec<stage::Reason>,
    /// How long a rejection mail waits, in words.
    pub mail_wait: String,
    /// On the candidate list: its query, to come back to.
    pub list: Option<String>,
    /// Shown open (it failed).
    pub open: bool,
}

impl BulkForm {
    pub async fn new(
        state: &AppState,
        conn: &mut PgConnection,
        catalog_version: i64,
        requirement: RequirementId,
        pipeline: Vec<stage::Stage>,
        list: Option<String>,
        open: bool,
    ) -> Result<BulkForm, AppError> {
        Ok(BulkForm {
            requirement,
            targets: pipeline.into_iter().filter(|s| !s.kind.is_end()).collect(),
            reasons: state.catalog.reasons(conn, catalog_version).await?,
            mail_wait: application::mail_wait(state.config.rejection_mail_delay),
            list,
            open,
        })
    }
}

/// What the board's bulk form does to the cards chosen.
enum Bulk {
    Move(StageId),
    Reject(Rejection),
    Tag(String),
}

impl Bulk {
    /// The form's choice of action and its fields: each problem beside its
    /// field.
    fn parse(
        fields: &[(String, String)],
        mail_in: std::time::Duration,
    ) -> Result<Bulk, FieldErrors> {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        match field("action") {
            "move" => field("stage_id")
                .trim()
                .parse()
                .map(Bulk::Move)
                .map_err(|_| FieldErrors::one("stage_id", "Choose a stage.")),
            "reject" => {
                let mail_in = (!field("notify").is_empty()).then_some(mail_in);
                Rejection::parse(field("reason_id"), field("note"), mail_in).map(Bulk::Reject)
            }
            "tag" => candidate::parse_tag(field("tag")).map(Bulk::Tag),
            _ => Err(FieldErrors::one("action", "Choose what to do.")),
        }
    }
}

/// Moves, rejects or tags every card chosen on the board, all or none:
/// one that moved meanwhile refuses the whole change, saying which.
async fn bulk(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = pipeline_of(conn, &me, id).await?;
    if !Reach::of(me.id, &me.roles).all {
        return Err(AppError::Forbidden);
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // Each chosen card is "application:the stage it was seen in".
    let chosen: Vec<(ApplicationId, StageId)> = fields
        .iter()
        .filter(|(k, _)| k == "chosen")
        .filter_map(|(_, v)| {
            let (a, s) = v.split_once(':')?;
            Some((a.parse().ok()?, s.parse().ok()?))
        })
        .collect();
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    let who = me.who(&actor);
    let done = async {
        if chosen.is_empty() {
            return Err(Error::refused("Choose at least one candidate first."));
        }
        let bulk = Bulk::parse(&fields, state.config.rejection_mail_delay)?;
        for (a, from) in &chosen {
            let found = application::lock(&mut tx, who, *a).await?;
            if found.requirement_id != id {
                return Err(Error::NotFound);
            }
            match &bulk {
                Bulk::Move(to) => {
                    application::move_to(&mut tx, who, &state.mail, &found, *from, *to).await?;
                }
                Bulk::Reject(rejection) => {
                    application::reject(&mut tx, who, &state.mail, &found, *from, rejection)
                        .await?;
                }
                Bulk::Tag(tag) => candidate::tag(&mut tx, &actor, found.candidate_id, tag).await?,
            }
        }
        let n = chosen.len();
        let people = if n == 1 { "candidate" } else { "candidates" };
        Ok(match bulk {
            Bulk::Move(_) => format!("Moved {n} {people}."),
            Bulk::Reject(Rejection {
                mail_in: Some(delay),
                ..
            }) => format!(
                "Rejected {n} {people}. The emails to them go in {}: each profile can cancel its own until then.",
                application::mail_wait(delay)
            ),
            Bulk::Reject(_) => format!("Rejected {n} {people}."),
            Bulk::Tag(tag) => format!("Tagged {n} {people} “{tag}”."),
        })
    };
    let problems = match done.await {
        Ok(message) => {
            // Back to the list the rows were chosen on (its filters read and
            // written again: never a place named by the form), or the board.
            let list = fields.iter().find(|(k, _)| k == "list");
            let to = match list.and_then(|(_, q)| serde_urlencoded::from_str::<Filter>(q).ok()) {
                Some(filter) => format!(
                    "/candidates?{}",
                    serde_urlencoded::to_string(filter).unwrap_or_default()
                ),
                None => format!("/requirements/{id}/board"),
            };
            return render::saved(tx, &me.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let layout = Layout::new(&me, format!("{} {}: board", r.reference, r.title)).await?;
    let status = problems.status();
    let page = board_page(&state, conn, &me, r, problems, layout).await?;
    render::status(status, &page)
}
