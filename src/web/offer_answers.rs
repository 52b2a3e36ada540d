//! The candidate's offer page, opened from the mailed link without an
//! account: the current version's terms and letter, accepting by typing
//! their full name, or declining with an optional reason. It works with
//! JavaScript off and writes no session; the token in the path is the
//! credential (so a forged cross-site post cannot know it).

use super::AppState;
use super::careers::html;
use super::render::filters;
use super::request::RequestMeta;
use crate::domain::Error;
use crate::domain::kernel::FieldErrors;
use crate::domain::messaging::Letters as _;
use crate::domain::offering::answer::{self, Opened};
use crate::domain::offering::{self, Offer, Status};
use crate::domain::recruiting::careers::{self, Company};
use crate::error::AppError;
use crate::web::Db;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/offer/{token}"), show)
        .serve(route!(POST "/offer/{token}"), answer)
        .serve(route!(GET "/offer/{token}/letter.pdf"), letter_pdf)
}

#[derive(Template)]
#[template(path = "careers/offer.html")]
struct OfferPage {
    company: Company,
    token: String,
    /// The offer to answer, or None with why it cannot be.
    o: Option<Offer>,
    closed: String,
    letter: String,
    /// The answer just recorded.
    answered: Option<Status>,
    signed_name: String,
    reason: String,
    problems: FieldErrors,
    refusal: String,
}

impl OfferPage {
    fn terms(&self) -> Vec<(&'static str, String)> {
        self.o.as_ref().map_or_else(Vec::new, |o| {
            o.terms
                .listed()
                .into_iter()
                .filter(|(label, value)| !value.is_empty() && *label != "Notes")
                .collect()
        })
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.problems.get(field)
    }
}

async fn page(conn: &mut PgConnection, token: String) -> Result<OfferPage, AppError> {
    Ok(OfferPage {
        company: careers::company(conn).await?,
        token,
        o: None,
        closed: String::new(),
        letter: String::new(),
        answered: None,
        signed_name: String::new(),
        reason: String::new(),
        problems: FieldErrors::default(),
        refusal: String::new(),
    })
}

/// The page for what the link opens: the offer with its letter, or why
/// it is closed; a link that never existed is a 404.
async fn opened(
    state: &AppState,
    conn: &mut PgConnection,
    token: String,
) -> Result<Option<OfferPage>, AppError> {
    let Some(what) = answer::open(&mut *conn, state.mail.token_key(), &token, false).await? else {
        return Ok(None);
    };
    let mut p = page(&mut *conn, token).await?;
    match what {
        Opened::Open(o) => {
            let (letter, _) = offering::letter(&mut *conn, o.id, o.terms_version)
                .await?
                .unwrap_or_default();
            p.letter = super::markdown::to_safe_html(&letter);
            p.o = Some(*o);
        }
        Opened::Closed(why) => p.closed = why,
    }
    Ok(Some(p))
}

async fn gone(conn: &mut PgConnection) -> Result<Response, AppError> {
    let mut p = page(conn, String::new()).await?;
    p.closed = "This link does not work: check that it was copied whole from the email.".into();
    html(StatusCode::NOT_FOUND, &p)
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    match opened(&state, conn, token).await? {
        Some(p) => html(StatusCode::OK, &p),
        None => gone(conn).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AnswerForm {
    /// "accept" or "decline".
    answer: String,
    signed_name: String,
    reason: String,
}

async fn answer(
    State(state): State<AppState>,
    mut db: Db,
    meta: RequestMeta,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<AnswerForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let accept = f.answer == "accept";
    let mut tx = conn.begin().await?;
    let done = answer::by_link(
        &mut tx,
        &meta.actor(None),
        &state.mail,
        &token,
        accept,
        &f.signed_name,
        &f.reason,
    )
    .await;
    let (problems, refusal) = match done {
        Ok(status) => {
            tx.commit().await?;
            let mut p = page(conn, String::new()).await?;
            p.answered = Some(status);
            return html(StatusCode::OK, &p);
        }
        Err(Error::NotFound) => {
            tx.rollback().await?;
            return gone(conn).await;
        }
        Err(Error::Invalid(problems)) => (problems, String::new()),
        Err(Error::Refused(why)) => (FieldErrors::default(), why),
        Err(e) => return Err(e.into()),
    };
    tx.rollback().await?;
    let Some(mut p) = opened(&state, conn, token).await? else {
        return gone(conn).await;
    };
    p.signed_name = f.signed_name;
    p.reason = f.reason;
    p.problems = problems;
    p.refusal = refusal;
    html(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

async fn letter_pdf(
    State(state): State<AppState>,
    mut db: Db,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let Some(Opened::Open(o)) =
        answer::open(&mut *conn, state.mail.token_key(), &token, false).await?
    else {
        return gone(conn).await;
    };
    let (_, pdf) = offering::letter(&mut *conn, o.id, o.terms_version)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(super::offers::pdf_response(&o, o.terms_version, pdf))
}
