//! Offers as staff see them: drafting one for an application in the offer
//! stage, its page (terms, versions with their differences, approvals,
//! answer, onboarding, history), changing its terms, sending it for
//! approval, sending it to the candidate, withdrawing it, recording an
//! answer given by phone, and its letter as a printable page and a PDF.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::domain::Error;
use crate::domain::activity::history::{Event, FieldChange};
use crate::domain::approval::{self, Task};
use crate::domain::kernel::EMPLOYMENT_TYPES;
use crate::domain::offering::commands::{self, Changed};
use crate::domain::offering::terms::{PERIODS, TermsForm};
use crate::domain::offering::{self, Offer, OfferId, Status, Version, answer, history, onboarding};
use crate::domain::recruiting::application::{self, Application, ApplicationId, Who};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/applications/{id}/offers/new"), new)
        .serve(route!(POST "/applications/{id}/offers"), create)
        .serve(route!(GET "/offers/{id}"), show)
        .serve(route!(POST "/offers/{id}"), update)
        .serve(route!(GET "/offers/{id}/edit"), edit)
        .serve(route!(POST "/offers/{id}/submission"), submit)
        .serve(route!(POST "/offers/{id}/sending"), send)
        .serve(route!(POST "/offers/{id}/withdrawal"), withdraw)
        .serve(route!(POST "/offers/{id}/answer"), record_answer)
        .serve(route!(GET "/offers/{id}/letter"), letter_page)
        .serve(route!(GET "/offers/{id}/letter.pdf"), letter_pdf)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[derive(Template)]
#[template(path = "pages/offers/form.html")]
struct FormPage {
    layout: Layout,
    a: Application,
    /// The offer changed, or None for a new one.
    editing: Option<Offer>,
    form: TermsForm,
    /// The openings it may fill (a new offer).
    openings: Vec<(crate::domain::requisition::opening::OpeningId, i64)>,
    /// The level's band, as a hint beside the salary.
    band: String,
    problems: Problems,
}

impl FormPage {
    fn periods(&self) -> &'static [(&'static str, &'static str)] {
        &PERIODS
    }

    fn employment_types(&self) -> &'static [(&'static str, &'static str)] {
        &EMPLOYMENT_TYPES
    }

    fn action(&self) -> String {
        match &self.editing {
            Some(o) => format!("/offers/{}", o.id),
            None => format!("/applications/{}/offers", self.a.id),
        }
    }

    /// What saving does, said before it is done.
    fn consequence(&self) -> &'static str {
        match self.editing.as_ref().map(|o| o.status) {
            None | Some(Status::Draft) => "",
            Some(Status::Sent) => {
                "Saving makes a new version: it goes for approval again, and the link the candidate has stops working until the new version is sent."
            }
            Some(_) => {
                "Saving makes a new version: approvals given so far no longer count, and it goes for approval again."
            }
        }
    }
}

/// The application, if `me` may draft its offer: 404 unless they see it,
/// 403 unless they manage offers.
async fn draftable(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: ApplicationId,
) -> Result<Application, AppError> {
    let a = application::find(conn, id)
        .await?
        .filter(|a| a.visible_to(me.id, &me.roles))
        .ok_or(AppError::NotFound)?;
    me.require(crate::domain::access::Permission::ManageOffers)?;
    Ok(a)
}

async fn form_page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    a: Application,
    editing: Option<Offer>,
    form: TermsForm,
    problems: Problems,
) -> Result<FormPage, AppError> {
    let title = match &editing {
        Some(_) => format!("Change the offer to {}", a.candidate_name),
        None => format!("Draft an offer to {}", a.candidate_name),
    };
    let openings = offering::open_openings(&mut *conn, a.requirement_id).await?;
    let r = crate::domain::requisition::requirement::find(&mut *conn, a.requirement_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(FormPage {
        layout: Layout::new(me, title).await?,
        band: format!("{} band: {}", r.job_level_name, r.band_range()),
        a,
        editing,
        form,
        openings,
        problems,
    })
}

async fn new(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let a = draftable(conn, &me, id).await?;
    let r = crate::domain::requisition::requirement::find(&mut *conn, a.requirement_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let openings = offering::open_openings(&mut *conn, a.requirement_id).await?;
    let form = TermsForm {
        currency: r.currency.clone(),
        period: "year".into(),
        employment_type: r.employment_type.clone(),
        location: r.location.clone(),
        opening_id: openings
            .first()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        ..TermsForm::default()
    };
    let page = form_page(conn, &me, a, None, form, Problems::default()).await?;
    render::ok(&page)
}

async fn create(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<ApplicationId>,
    axum::Form(form): axum::Form<TermsForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let a = draftable(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    match commands::draft(&mut tx, me.who(&actor), id, &form, today()).await {
        Ok(offer) => {
            let message = "Offer drafted: check its letter, then send it for approval.";
            render::saved(tx, &me.session, message, &format!("/offers/{offer}")).await
        }
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            let page = form_page(conn, &me, a, None, form, problems).await?;
            render::status(page.problems.status(), &page)
        }
    }
}

/// The offer if `me` sees it (404 otherwise).
async fn seen(conn: &mut PgConnection, me: &CurrentUser, id: OfferId) -> Result<Offer, AppError> {
    offering::find(conn, id)
        .await?
        .filter(|o| o.visible_to(me.id, &me.roles))
        .ok_or(AppError::NotFound)
}

/// The offer if `me` manages it (404 unseen, 403 otherwise).
async fn managed(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: OfferId,
) -> Result<Offer, AppError> {
    let o = seen(conn, me, id).await?;
    if !o.managed_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    Ok(o)
}

async fn edit(mut db: Db, me: CurrentUser, Path(id): Path<OfferId>) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let o = managed(conn, &me, id).await?;
    let a = application::find(&mut *conn, o.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = TermsForm {
        version: o.version,
        ..TermsForm::of(&o.terms)
    };
    let page = form_page(conn, &me, a, Some(o), form, Problems::default()).await?;
    render::ok(&page)
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    axum::Form(mut form): axum::Form<TermsForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let o = managed(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    match commands::change(&mut tx, me.who(&actor), &state.mail, id, &form, today()).await {
        Ok(changed) => {
            let message = match changed {
                Changed::Draft => "Offer changed.".to_owned(),
                Changed::NewVersion(n) => format!("Version {n} made: it has gone for approval."),
                Changed::Unchanged => "Nothing changed.".to_owned(),
            };
            render::saved(tx, &me.session, message, &format!("/offers/{id}")).await
        }
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            problems.rebase(&mut form.version);
            let a = application::find(&mut *conn, o.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let page = form_page(conn, &me, a, Some(o), form, problems).await?;
            render::status(page.problems.status(), &page)
        }
    }
}

/// One version and what changed in it from the one before.
struct VersionRow {
    v: Version,
    changes: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "pages/offers/show.html")]
struct ShowPage {
    layout: Layout,
    o: Offer,
    versions: Vec<VersionRow>,
    trail: Vec<Task>,
    onboarding: Option<(onboarding::OnboardingId, (usize, usize))>,
    history: Vec<Event>,
    manages: bool,
    problems: Problems,
}

impl ShowPage {
    fn terms(&self) -> Vec<(&'static str, String)> {
        self.o.terms.listed()
    }
}

async fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: OfferId,
    problems: Problems,
) -> Result<Response, AppError> {
    let o = seen(conn, me, id).await?;
    let all = offering::versions(&mut *conn, id).await?;
    let versions = all
        .iter()
        .enumerate()
        .map(|(i, v)| VersionRow {
            v: v.clone(),
            changes: all
                .get(i + 1)
                .map(|earlier| v.terms.changes_since(&earlier.terms))
                .unwrap_or_default(),
        })
        .collect();
    let trail = approval::trail(&mut *conn, o.subject()).await?;
    let onboarding = match onboarding::of_offer(&mut *conn, id).await? {
        Some(b) => Some((
            b,
            onboarding::progress(&onboarding::tasks(&mut *conn, b).await?),
        )),
        None => None,
    };
    let page = ShowPage {
        layout: Layout::new(me, o.heading()).await?,
        manages: o.managed_by(me.id, &me.roles),
        history: history::timeline(&mut *conn, id).await?,
        versions,
        trail,
        onboarding,
        o,
        problems,
    };
    if page.problems.is_empty() {
        render::ok(&page)
    } else {
        render::status(page.problems.status(), &page)
    }
}

async fn show(mut db: Db, me: CurrentUser, Path(id): Path<OfferId>) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    page(conn, &me, id, Problems::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct VersionForm {
    version: i32,
    reason: String,
    /// "accepted" or "declined" (an answer recorded).
    answer: String,
    note: String,
}

/// One change of offer `id` by `me`, who must manage it: `run` in a
/// transaction, then back to the offer with its message; or, refused, the
/// offer's page with why.
async fn change(
    mut db: Db,
    me: &CurrentUser,
    id: OfferId,
    run: impl AsyncFnOnce(&mut PgConnection, Who<'_>) -> Result<String, Error>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    managed(conn, me, id).await?;
    let mut tx = conn.begin().await?;
    let actor = me.actor();
    match run(&mut tx, me.who(&actor)).await {
        Ok(message) => render::saved(tx, &me.session, message, &format!("/offers/{id}")).await,
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            page(conn, me, id, problems).await
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    axum::Form(f): axum::Form<VersionForm>,
) -> Result<Response, AppError> {
    change(db, &me, id, async |conn, who| {
        commands::submit(conn, who, &state.mail, id, f.version).await?;
        Ok("Sent for approval: the approvers are told.".to_owned())
    })
    .await
}

async fn send(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    axum::Form(f): axum::Form<VersionForm>,
) -> Result<Response, AppError> {
    change(db, &me, id, async |conn, who| {
        commands::send(conn, who, &state.mail, id, f.version, today()).await?;
        Ok("Offer sent: the candidate has a link to read and answer it.".to_owned())
    })
    .await
}

async fn withdraw(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    axum::Form(f): axum::Form<VersionForm>,
) -> Result<Response, AppError> {
    change(db, &me, id, async |conn, who| {
        commands::withdraw(conn, who, &state.mail, id, f.version, &f.reason).await?;
        Ok("Offer withdrawn: its opening is free for another offer.".to_owned())
    })
    .await
}

async fn record_answer(
    State(state): State<AppState>,
    db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    axum::Form(f): axum::Form<VersionForm>,
) -> Result<Response, AppError> {
    change(db, &me, id, async |conn, who| {
        let accept = match f.answer.as_str() {
            "accepted" => true,
            "declined" => false,
            _ => {
                return Err(Error::field(
                    "answer",
                    "Choose what the candidate answered.",
                ));
            }
        };
        let status = answer::record(conn, who, &state.mail, id, f.version, accept, &f.note).await?;
        Ok(match status {
            Status::Accepted => {
                "Recorded as accepted: the opening is filled and onboarding has begun."
            }
            _ => "Recorded as declined: the opening is free for another offer.",
        }
        .to_owned())
    })
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Which {
    version: Option<i32>,
}

#[derive(Template)]
#[template(path = "pages/offers/letter.html")]
struct LetterPage {
    layout: Layout,
    o: Offer,
    number: i32,
    letter: String,
}

/// The letter of the version asked for (the current one by default).
async fn letter_of(
    conn: &mut PgConnection,
    o: &Offer,
    which: &Which,
) -> Result<(i32, String, Vec<u8>), AppError> {
    let number = which.version.unwrap_or(o.terms_version);
    let (letter, pdf) = offering::letter(conn, o.id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((number, letter, pdf))
}

async fn letter_page(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    Query(which): Query<Which>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let o = seen(conn, &me, id).await?;
    let (number, letter, _) = letter_of(conn, &o, &which).await?;
    let page = LetterPage {
        layout: Layout::new(&me, format!("Letter: {}", o.heading())).await?,
        letter: super::markdown::to_safe_html(&letter),
        number,
        o,
    };
    render::ok(&page)
}

async fn letter_pdf(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<OfferId>,
    Query(which): Query<Which>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let o = seen(conn, &me, id).await?;
    let (number, _, pdf) = letter_of(conn, &o, &which).await?;
    Ok(pdf_response(&o, number, pdf))
}

/// A letter's PDF, shown in the browser (it is ours, not an upload).
pub fn pdf_response(o: &Offer, number: i32, pdf: Vec<u8>) -> Response {
    let mut res = pdf.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let name = format!("inline; filename=\"offer-{}-v{number}.pdf\"", o.reference);
    if let Ok(v) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
