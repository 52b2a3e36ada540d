//! Signing in and out, forgotten passwords and invitations.

use super::AppState;
use super::render::{self, Layout, filters};
use crate::auth::{password, throttle};
use crate::domain::kernel::FieldErrors;
use crate::domain::org::token::{self, Purpose};
use crate::domain::org::user::{self, Email, User};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::MaybeUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/sign-in"), sign_in_form)
        .serve(route!(POST "/sign-in"), sign_in)
        .serve(route!(POST "/sign-out"), sign_out)
        .serve(route!(GET "/password-reset"), forgot_form)
        .serve(route!(POST "/password-reset"), forgot)
        .serve(route!(GET "/password-reset/{token}"), reset_form)
        .serve(route!(POST "/password-reset/{token}"), reset)
        .serve(route!(GET "/invitation/{token}"), invitation_form)
        .serve(route!(POST "/invitation/{token}"), accept_invitation)
}

/// `next` if it is a path on this site, else home. Refuses anything a
/// browser could read as another origin: `//host`, `/\host`, schemes, and
/// control characters.
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if local { next } else { "/" }
}

#[derive(Template)]
#[template(path = "pages/session/sign_in.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn sign_in_form(who: MaybeUser, Query(q): Query<NextQuery>) -> Result<Response, AppError> {
    if who.user.is_some() {
        return Ok(render::see_other(safe_next(&q.next)));
    }
    let layout = Layout::anonymous(&who.session, "Sign in").await?;
    render::ok(&SignInPage {
        layout,
        email: String::new(),
        next: safe_next(&q.next).to_owned(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const WRONG: &str = "The email or password is not right. Check them and try again.";

/// The password check (argon2: tens of milliseconds and 19 MiB) runs with
/// no database connection held: the hash is read, the connection goes back
/// to the pool, the check waits for a free hashing worker, and only then is
/// a connection taken again to record the outcome. Rotating the session id
/// (a store call on the pool) happens after that connection is back too.
async fn sign_in(
    mut db: Db,
    who: MaybeUser,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&form.next).to_owned();
    // PostgreSQL refuses NUL in text; no address holds one.
    let email = form.email.replace('\0', "").trim().to_lowercase();
    let account = {
        let conn = db.conn().await?;
        throttle::check(conn, &email, who.meta.ip).await?;
        user::credentials(conn, &email).await?
    };
    db.release();
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let matched = password::verify_account(form.password, hash).await?;
    let signed_in = account.map(|a| a.id).filter(|_| matched);
    let mut tx = db.begin().await?;
    let actor = |id| who.meta.actor(Some(id));
    throttle::signed_in(&mut tx, &email, who.meta.ip, signed_in, actor).await?;
    tx.commit().await?;
    let Some(user_id) = signed_in else {
        let page = SignInPage {
            layout: Layout::anonymous(&who.session, "Sign in").await?,
            email: form.email,
            next,
            error: Some(WRONG.into()),
        };
        return render::status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    crate::web::current_user::sign_in(&mut db, &who.session, user_id).await?;
    Ok(render::see_other(&next))
}

async fn sign_out(mut db: Db, who: MaybeUser) -> Result<Response, AppError> {
    if let Some(user) = &who.user {
        let conn = db.conn().await?;
        crate::domain::activity::audit::record(
            conn,
            &user.actor(),
            crate::domain::activity::audit::Action::UserSignedOut,
            crate::domain::activity::audit::Entity::User,
            Some(user.id),
            Default::default(),
        )
        .await?;
    }
    crate::web::current_user::sign_out(&mut db, &who.session).await?;
    render::flash(&who.session, "info", "You have signed out.").await?;
    Ok(render::see_other("/sign-in"))
}

// ---- forgotten password -----------------------------------------------------

#[derive(Template)]
#[template(path = "pages/session/forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    error: Option<String>,
    sent: bool,
}

async fn forgot_form(who: MaybeUser) -> Result<Response, AppError> {
    let layout = Layout::anonymous(&who.session, "Reset your password").await?;
    render::ok(&ForgotPage {
        layout,
        email: String::new(),
        error: None,
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Says the same whether or not the account exists, so the form cannot be
/// used to learn who has an account. Not a failed sign-in (that let anyone
/// lock anyone out); the domain bounds the mails an account is sent.
async fn forgot(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let layout = Layout::anonymous(&who.session, "Reset your password").await?;
    let (email, error) = match Email::parse(&form.email) {
        Ok(email) => {
            let mut tx = db.begin().await?;
            let (secret, actor) = (&state.config.secret_key, who.meta.actor(None));
            user::send_password_reset(&mut tx, secret, &actor, &state.mail, &email).await?;
            tx.commit().await?;
            (email.as_str().to_owned(), None)
        }
        Err(msg) => (form.email, Some(msg.to_owned())),
    };
    let page = ForgotPage {
        layout,
        sent: error.is_none(),
        email,
        error,
    };
    let code = if page.sent {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render::status(code, &page)
}

// ---- choosing a password by emailed token (reset and invitation) -------------

#[derive(Template)]
#[template(path = "pages/session/choose_password.html")]
struct ChoosePasswordPage {
    layout: Layout,
    heading: &'static str,
    intro: String,
    action: String,
    errors: FieldErrors,
}

/// A page that says one thing and offers the way forward (a dead link).
#[derive(Template)]
#[template(path = "pages/session/message.html")]
struct MessagePage {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
    link: String,
    link_text: &'static str,
}

fn flow(purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::PasswordReset => ("Choose a new password", "/password-reset"),
        Purpose::Invitation => ("Welcome to Hiring Hare", "/invitation"),
    }
}

async fn token_dead(who: &MaybeUser, purpose: Purpose) -> Result<Response, AppError> {
    let layout = Layout::public(&who.session, "Link no longer valid").await?;
    let (message, link, link_text) = match purpose {
        Purpose::PasswordReset => (
            "This password-reset link has expired or was already used. Ask for a new one; the latest link always works for an hour.",
            "/password-reset",
            "Ask for a new link",
        ),
        Purpose::Invitation => (
            "This invitation has expired or was already used. If you already chose a password, sign in; otherwise ask your admin to invite you again.",
            "/sign-in",
            "Go to sign in",
        ),
    };
    let page = MessagePage {
        layout,
        heading: "This link no longer works",
        message,
        link: link.to_owned(),
        link_text,
    };
    render::status(StatusCode::GONE, &page)
}

async fn choose_form(
    state: &AppState,
    db: &mut Db,
    who: MaybeUser,
    purpose: Purpose,
    t: &str,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let Some(user_id) = token::peek(conn, &state.config.secret_key, t, purpose).await? else {
        return token_dead(&who, purpose).await;
    };
    let u = user::find(conn, user_id).await?.ok_or(AppError::NotFound)?;
    let page = ChoosePasswordPage::new(&who, purpose, t, &u, FieldErrors::default()).await?;
    render::ok(&page)
}

impl ChoosePasswordPage {
    async fn new(
        who: &MaybeUser,
        purpose: Purpose,
        t: &str,
        u: &User,
        errors: FieldErrors,
    ) -> Result<ChoosePasswordPage, AppError> {
        let (heading, base) = flow(purpose);
        Ok(ChoosePasswordPage {
            layout: Layout::anonymous(&who.session, heading).await?,
            heading,
            intro: format!("Choose a password for {} ({}).", u.full_name, u.email),
            action: format!("{base}/{t}"),
            errors,
        })
    }
}

#[derive(Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// The password is checked and hashed with no connection held (argon2, see
/// `crate::auth::password`); the token is used up only in the transaction
/// that saves the password, so a refused password leaves it usable.
async fn choose(
    state: &AppState,
    db: &mut Db,
    who: MaybeUser,
    purpose: Purpose,
    t: &str,
    form: ChooseForm,
) -> Result<Response, AppError> {
    let secret = &state.config.secret_key;
    let conn = db.conn().await?;
    let Some(user_id) = token::peek(conn, secret, t, purpose).await? else {
        db.release();
        return token_dead(&who, purpose).await;
    };
    let u = user::find(conn, user_id).await?.ok_or(AppError::NotFound)?;
    let recent = user::recent_password_hashes(conn, user_id).await?;
    db.release();
    let hash =
        match password::new_password_hash(&form.password, &form.confirm, &u.email, recent).await? {
            Ok(hash) => hash,
            Err(errors) => {
                let page = ChoosePasswordPage::new(&who, purpose, t, &u, errors).await?;
                return render::status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        };
    let mut tx = db.begin().await?;
    let actor = |id| who.meta.actor(Some(id));
    let Some(user_id) =
        user::set_password_by_link(&mut tx, secret, (t, purpose), &hash, actor).await?
    else {
        drop(tx);
        return token_dead(&who, purpose).await;
    };
    tx.commit().await?;
    crate::web::current_user::sign_in(db, &who.session, user_id).await?;
    let done = "Your password is set. You are signed in.";
    render::flash(&who.session, "success", done).await?;
    Ok(render::see_other("/"))
}

async fn reset_form(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Path(t): Path<String>,
) -> Result<Response, AppError> {
    choose_form(&state, &mut db, who, Purpose::PasswordReset, &t).await
}

async fn reset(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Path(t): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, AppError> {
    choose(&state, &mut db, who, Purpose::PasswordReset, &t, form).await
}

async fn invitation_form(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Path(t): Path<String>,
) -> Result<Response, AppError> {
    choose_form(&state, &mut db, who, Purpose::Invitation, &t).await
}

async fn accept_invitation(
    State(state): State<AppState>,
    mut db: Db,
    who: MaybeUser,
    Path(t): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, AppError> {
    choose(&state, &mut db, who, Purpose::Invitation, &t, form).await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_only_ever_local() {
        assert_eq!(safe_next("/approvals/42"), "/approvals/42");
        assert_eq!(
            safe_next("/requirements?status=open&page=2"),
            "/requirements?status=open&page=2"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil",
            "evil.example",
            "",
            "/\t/evil",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
