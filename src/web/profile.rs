//! A user's own profile: name, time zone and password.

use super::AppState;
use super::people::Shown;
use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::auth::{password, throttle};
use crate::domain::Error;
use crate::domain::interviewing;
use crate::domain::kernel::{FieldErrors, required_text};
use crate::domain::org::user;
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/profile"), show)
        .serve(route!(POST "/profile"), save)
        .serve(route!(POST "/profile/password"), change_password)
        .serve(route!(POST "/profile/delegation"), delegate)
        .serve(route!(POST "/profile/calendar"), calendar)
}

#[derive(Template)]
#[template(path = "pages/profile/profile.html")]
struct ProfilePage {
    layout: Layout,
    email: String,
    /// Shown so people know what others type to mention them.
    handle: String,
    full_name: String,
    time_zone: String,
    time_zones: &'static [chrono_tz::Tz],
    errors: FieldErrors,
    password_errors: FieldErrors,
    delegation: user::DelegationForm,
    delegation_errors: FieldErrors,
    /// Who the stand-in field names.
    people: Shown,
    /// Their private calendar feed's address (https), to subscribe to.
    feed: String,
    weekly_limit: String,
    calendar_errors: FieldErrors,
}

impl ProfilePage {
    /// The feed's address for calendar apps (`webcal://`).
    fn webcal(&self) -> String {
        match self.feed.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => self.feed.clone(),
        }
    }
}

impl ProfilePage {
    /// The page with the stand-in saved, or with `delegation` as sent.
    async fn new(
        state: &AppState,
        db: &mut Db,
        user: &CurrentUser,
        delegation: Option<user::DelegationForm>,
    ) -> Result<Self, AppError> {
        let conn = db.conn().await?;
        let feed = format!(
            "{}{}",
            state.config.public_url,
            interviewing::feed::path(&mut *conn, &state.config.secret_key, user.id).await?
        );
        let weekly_limit = interviewing::weekly_limit(&mut *conn, user.id)
            .await?
            .map(|n| n.to_string())
            .unwrap_or_default();
        let delegation = match delegation {
            Some(sent) => sent,
            None => match user::delegation(conn, user.id).await? {
                Some(d) => user::DelegationForm {
                    delegate_id: d.delegate.to_string(),
                    delegate_from: d.from.to_string(),
                    delegate_until: d.until.to_string(),
                },
                None => user::DelegationForm::default(),
            },
        };
        let people = Shown::of(conn, [&*delegation.delegate_id]).await?;
        let handle = user::find(conn, user.id)
            .await?
            .map(|u| u.handle)
            .unwrap_or_default();
        Ok(ProfilePage {
            feed,
            weekly_limit,
            calendar_errors: FieldErrors::default(),
            handle,
            delegation,
            delegation_errors: FieldErrors::default(),
            people,
            layout: Layout::new(user, "Your profile").await?,
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            time_zone: user.time_zone.clone(),
            time_zones: &chrono_tz::TZ_VARIANTS,
            errors: FieldErrors::default(),
            password_errors: FieldErrors::default(),
        })
    }
}

async fn show(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
) -> Result<Response, AppError> {
    render::ok(&ProfilePage::new(&state, &mut db, &user, None).await?)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    time_zone: String,
}

async fn save(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let name = required_text(
        &mut errors,
        "full_name",
        &form.full_name,
        120,
        "Enter your name.",
    );
    let tz = user::parse_time_zone(&form.time_zone)
        .map_err(|m| errors.add("time_zone", m))
        .ok();
    let (false, Some(tz)) = (!errors.is_empty(), tz) else {
        let mut page = ProfilePage::new(&state, &mut db, &user, None).await?;
        page.full_name = form.full_name;
        page.time_zone = form.time_zone;
        page.errors = errors;
        return render::status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let mut tx = db.begin().await?;
    user::update_profile(&mut tx, &user.actor(), user.id, &name, &tz)
        .await
        .map_err(AppError::internal)?;
    render::saved(tx, &user.session, "Your profile is saved.", "/profile").await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    // The current password is guessed at under the sign-in throttle (a
    // session left open must not become a way to try passwords). Checking
    // and hashing hold no connection, as at sign-in.
    let conn = db.conn().await?;
    throttle::check(conn, &user.email, user.meta.ip).await?;
    let current = user::credentials(conn, &user.email).await?;
    let recent = user::recent_password_hashes(conn, user.id).await?;
    db.release();
    let current = current.and_then(|c| c.password_hash);
    let current_ok = password::verify_account(form.current, current).await?;
    let chosen = if current_ok {
        password::new_password_hash(&form.password, &form.confirm, &user.email, recent).await?
    } else {
        Err(FieldErrors::one(
            "current",
            "This is not your current password.",
        ))
    };
    let mut tx = db.begin().await?;
    throttle::record(&mut tx, &user.email, user.meta.ip, current_ok).await?;
    let hash = match chosen {
        Ok(hash) => hash,
        Err(errors) => {
            tx.commit().await?;
            let mut page = ProfilePage::new(&state, &mut db, &user, None).await?;
            page.password_errors = errors;
            return render::status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let keep = user.session.id().map(|id| id.to_string());
    user::set_password(&mut tx, &user.actor(), user.id, &hash, keep.as_deref()).await?;
    let done = "Your password is changed. Your other sessions were signed out.";
    render::saved(tx, &user.session, done, "/profile").await
}

/// Out of office: who decides approvals in my name, and when.
async fn delegate(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Form(mut form): Form<user::DelegationForm>,
) -> Result<Response, AppError> {
    let mut tx = db.begin().await?;
    let set = async {
        let picked = user::read_people(&mut tx, vec![("delegate_id", &mut form.delegate_id)]);
        let d = user::picked_first(picked.await?, form.parse(user.id))?;
        user::set_delegation(&mut tx, &user.actor(), user.id, d).await?;
        Ok::<_, Error>(d.is_some())
    }
    .await;
    let errors = match set {
        Ok(named) => {
            let message = if named {
                "Your stand-in is set."
            } else {
                "You have no stand-in now."
            };
            return render::saved(tx, &user.session, message, "/profile").await;
        }
        Err(e) => Problems::try_from(e)?.fields,
    };
    tx.rollback().await?;
    let mut page = ProfilePage::new(&state, &mut db, &user, Some(form)).await?;
    page.delegation_errors = errors;
    render::status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarForm {
    /// "reset" for a new feed address; otherwise the weekly limit is saved.
    action: String,
    weekly_interview_limit: String,
}

/// The calendar section: a new feed address (the old one stops working),
/// or how many interviews a week they take.
async fn calendar(
    State(state): State<AppState>,
    mut db: Db,
    user: CurrentUser,
    Form(form): Form<CalendarForm>,
) -> Result<Response, AppError> {
    let mut tx = db.begin().await?;
    let actor = user.actor();
    if form.action == "reset" {
        interviewing::feed::reset(&mut tx, &actor, user.id).await?;
        return render::saved(
            tx,
            &user.session,
            "Your calendar feed has a new address: subscribe again; the old one no longer works.",
            "/profile#calendar",
        )
        .await;
    }
    match interviewing::set_weekly_limit(&mut tx, &actor, user.id, &form.weekly_interview_limit)
        .await
    {
        Ok(()) => {
            render::saved(
                tx,
                &user.session,
                "Your interview limit is saved.",
                "/profile",
            )
            .await
        }
        Err(Error::Invalid(errors)) => {
            tx.rollback().await?;
            let mut page = ProfilePage::new(&state, &mut db, &user, None).await?;
            page.weekly_limit = form.weekly_interview_limit;
            page.calendar_errors = errors;
            render::status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
