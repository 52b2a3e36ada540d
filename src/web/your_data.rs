//! The candidates' own pages, public and outside the session (nothing here
//! reads or writes one): "your data", where a candidate asks by email for a
//! link (valid a day) to see what is held about them, download it,
//! withdraw their consent or ask for erasure; and the consent renewal link
//! the daily run mails before consent lapses. The token in the path is
//! the key, and the proof that a post comes from the mailed link.

use super::AppState;
use super::Db;
use super::careers::{Stamp, html};
use super::problems::Problems;
use super::render::filters;
use crate::domain::kernel::FieldErrors;
use crate::domain::messaging::Letters as _;
use crate::domain::recruiting::Reach;
use crate::domain::recruiting::application::{self, Application};
use crate::domain::recruiting::candidate::{self, Candidate, CandidateId};
use crate::domain::recruiting::careers::{self, Company};
use crate::domain::recruiting::files::{self, File};
use crate::domain::recruiting::privacy::requests::{self, Ask, Purpose};
use crate::domain::recruiting::privacy::{self, Basis};
use crate::error::AppError;
use crate::web::request::RequestMeta;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/your-data"), ask)
        .serve(route!(POST "/your-data"), send_link)
        .serve(route!(GET "/your-data/{token}"), show)
        .serve(route!(GET "/your-data/{token}/export"), download)
        .serve(route!(POST "/your-data/{token}/withdrawal"), withdraw)
        .serve(route!(POST "/your-data/{token}/erasure"), ask_erasure)
        .serve(route!(GET "/consent/{token}"), consent)
        .serve(route!(POST "/consent/{token}"), renew)
}

/// What the stamp of the ask form is for (see `careers::Stamp`).
const ASK: &str = "your-data";

#[derive(Template)]
#[template(path = "careers/your_data_ask.html")]
struct AskPage {
    company: Company,
    email: String,
    problems: Problems,
    stamp: Stamp,
    /// The link is on its way (or word that nothing is held).
    sent: bool,
}

async fn ask(State(state): State<AppState>, mut db: Db) -> Result<Response, AppError> {
    let company = careers::company(db.conn().await?).await?;
    html(
        StatusCode::OK,
        &AskPage {
            company,
            email: String::new(),
            problems: Problems::default(),
            stamp: Stamp::new(&state.config.secret_key, ASK),
            sent: false,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AskForm {
    email: String,
    issued: String,
    token: String,
}

/// Mails the link, or word that nothing is held: the page says the same
/// either way, so it tells nobody whether an address is known.
async fn send_link(
    State(state): State<AppState>,
    mut db: Db,
    meta: RequestMeta,
    Form(f): Form<AskForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let company = careers::company(&mut *conn).await?;
    let again = |problems: Problems| AskPage {
        company: company.clone(),
        email: f.email.clone(),
        problems,
        stamp: Stamp::new(&state.config.secret_key, ASK),
        sent: false,
    };
    if !Stamp::holds(&state.config.secret_key, ASK, &f.issued, &f.token) {
        let problems = Problems {
            refusal: Some(
                "That was sent faster than a person fills a form in: send it again.".into(),
            ),
            ..Problems::default()
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &again(problems));
    }
    let email = match crate::domain::org::user::Email::parse(f.email.trim()) {
        Ok(email) => email,
        Err(_) => {
            let problems = Problems::fields(FieldErrors::one(
                "email",
                "Enter the email address you applied with, like name@example.com.",
            ));
            return html(StatusCode::UNPROCESSABLE_ENTITY, &again(problems));
        }
    };
    if !careers::within_limits(&mut *conn, meta.ip, email.as_str()).await? {
        let problems = Problems {
            refusal: Some("Too many requests were sent from here or for this address in the last hour. Try again later.".into()),
            ..Problems::default()
        };
        let mut res = html(StatusCode::TOO_MANY_REQUESTS, &again(problems))?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        return Ok(res);
    }
    let mut tx = conn.begin().await?;
    requests::send_access_link(&mut tx, &state.mail, email.as_str(), &company.company_name).await?;
    tx.commit().await?;
    let mut page = again(Problems::default());
    page.sent = true;
    html(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "careers/link_gone.html")]
struct GonePage {
    company: Company,
}

/// The answer to a link that does not work (any more).
async fn gone(conn: &mut PgConnection) -> Result<Response, AppError> {
    let company = careers::company(conn).await?;
    html(StatusCode::NOT_FOUND, &GonePage { company })
}

#[derive(Template)]
#[template(path = "careers/your_data.html")]
struct DataPage {
    company: Company,
    token: String,
    c: Candidate,
    applications: Vec<Application>,
    files: Vec<File>,
    keeping: Basis,
    /// What was just done, from the redirect after a post.
    done: Option<&'static str>,
}

/// A candidate, as they see themselves: everything.
fn whole() -> Reach {
    Reach {
        user: uuid::Uuid::nil(),
        all: true,
        own: false,
        confidential: true,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let id = match holder_of(&state, conn, &token, Purpose::DataAccess).await? {
        Ok(id) => id,
        Err(res) => return Ok(res),
    };
    let c = candidate::find(&mut *conn, whole(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = conn.begin().await?;
    requests::accessed(&mut tx, &state.mail, &meta.actor(None), id).await?;
    tx.commit().await?;
    let page = DataPage {
        company: careers::company(&mut *conn).await?,
        applications: application::of_candidate(&mut *conn, id).await?,
        files: files::of_candidate(&mut *conn, id).await?,
        keeping: privacy::basis(&mut *conn, id).await?.basis,
        done: match done.done.as_str() {
            "withdrawal" => Some("Done: your consent to be kept for future roles is withdrawn."),
            "erasure" => Some(
                "We have your request, and will erase your data within a month. We will not contact you about jobs meanwhile.",
            ),
            _ => None,
        },
        token,
        c,
    };
    html(StatusCode::OK, &page)
}

/// The link's holder, or the page saying it no longer works.
async fn holder_of(
    state: &AppState,
    conn: &mut PgConnection,
    token: &str,
    purpose: Purpose,
) -> Result<Result<CandidateId, Response>, AppError> {
    match requests::holder(&mut *conn, state.mail.token_key(), token, purpose).await? {
        Some(id) => Ok(Ok(id)),
        None => Ok(Err(gone(conn).await?)),
    }
}

async fn download(
    State(state): State<AppState>,
    mut db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let id = match holder_of(&state, conn, &token, Purpose::DataAccess).await? {
        Ok(id) => id,
        Err(res) => return Ok(res),
    };
    super::personal_data::archive_response(&state, conn, &meta.actor(None), id).await
}

async fn withdraw(
    State(state): State<AppState>,
    db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    asked(&state, db, &meta, &token, Ask::Withdrawal).await
}

async fn ask_erasure(
    State(state): State<AppState>,
    db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    asked(&state, db, &meta, &token, Ask::Erasure).await
}

/// Does what the link's holder asked, then shows their page saying so.
async fn asked(
    state: &AppState,
    mut db: Db,
    meta: &RequestMeta,
    token: &str,
    ask: Ask,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let id = match holder_of(state, conn, token, Purpose::DataAccess).await? {
        Ok(id) => id,
        Err(res) => return Ok(res),
    };
    let mut tx = conn.begin().await?;
    let done = match ask {
        Ask::Withdrawal => {
            requests::withdraw(&mut tx, &state.mail, &meta.actor(None), id).await?;
            "withdrawal"
        }
        Ask::Erasure => {
            requests::ask_erasure(&mut tx, &state.mail, &meta.actor(None), id).await?;
            "erasure"
        }
        Ask::Access => {
            requests::accessed(&mut tx, &state.mail, &meta.actor(None), id).await?;
            "access"
        }
    };
    tx.commit().await?;
    Ok(super::render::see_other(&format!(
        "/your-data/{token}?done={done}"
    )))
}

#[derive(Template)]
#[template(path = "careers/consent.html")]
struct ConsentPage {
    company: Company,
    token: String,
    name: String,
    months: i32,
    /// Renewed: kept until then.
    renewed: Option<NaiveDate>,
}

async fn consent(
    State(state): State<AppState>,
    mut db: Db,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let id = match holder_of(&state, conn, &token, Purpose::ConsentRenewal).await? {
        Ok(id) => id,
        Err(res) => return Ok(res),
    };
    let c = candidate::find(&mut *conn, whole(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let company = careers::company(&mut *conn).await?;
    let page = ConsentPage {
        months: company.future_roles_months,
        company,
        token,
        name: c.full_name,
        renewed: None,
    };
    html(StatusCode::OK, &page)
}

async fn renew(
    State(state): State<AppState>,
    mut db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let mut tx = conn.begin().await?;
    let renewed = requests::renew(&mut tx, &meta.actor(None), state.mail.token_key(), &token).await;
    let until = match renewed {
        Ok(until) => until,
        Err(crate::domain::Error::NotFound) => {
            tx.rollback().await?;
            return gone(conn).await;
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    let company = careers::company(&mut *conn).await?;
    let page = ConsentPage {
        months: company.future_roles_months,
        company,
        token: String::new(),
        name: String::new(),
        renewed: Some(until),
    };
    html(StatusCode::OK, &page)
}
