//! The signed-in user, extracted once per request.
//!
//! [`CurrentUser`] refuses a request without a live session (redirecting to
//! sign-in, with the page to come back to); [`MaybeUser`] is for pages that
//! anyone may see. Both enforce the idle and absolute session timeouts and
//! refuse deactivated accounts on every request, so deactivation takes
//! effect at once.

use crate::auth::session_store::{LOADED_USER_KEY, USER_ID_KEY};
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::Actor;
use crate::domain::org::signed_in::{self, SignedInRow};
use crate::domain::requisition::lifecycle::Asker;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::Db;
use crate::web::request::RequestMeta;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use tower_sessions::Session;
use uuid::Uuid;

const SIGNED_IN_AT: &str = "signed_in_at";
const SEEN_AT: &str = "seen_at";
/// Activity is written back at most this often: an idle timeout measured in
/// hours does not need a database write on every request.
const SEEN_GRANULARITY_SECS: i64 = 60;

/// The navigation shows "99+" beyond this: counting an approver's
/// thousands of waiting tasks exactly on every request would cost more than
/// the page, for a number nobody reads digit by digit.
pub const BADGE_LIMIT: i64 = 100;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub roles: Vec<Role>,
    pub time_zone: String,
    /// Approvals waiting for this user, for the count in the navigation
    /// (read with the user, in the same query), counted up to
    /// [`BADGE_LIMIT`]: what their inbox's waiting tab lists.
    pub pending_approvals: i64,
    /// Unread notifications, for the bell, counted the same way.
    pub unread_notifications: i64,
    /// The catalog's version when this request began (see
    /// [`crate::catalog`]), read here because this query runs on every page.
    pub catalog_version: i64,
    pub meta: RequestMeta,
    pub session: Session,
}

impl CurrentUser {
    pub fn can(&self, permission: Permission) -> bool {
        allows(&self.roles, permission)
    }

    /// The server-side permission check every handler makes.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Who to record in the audit trail for a change made in this request.
    pub fn actor(&self) -> Actor {
        self.meta.actor(Some(self.id))
    }

    /// This person as the recruiting areas' rules see them, acting as
    /// `actor` (their [`CurrentUser::actor`]).
    pub fn who<'a>(&'a self, actor: &'a Actor) -> crate::domain::recruiting::application::Who<'a> {
        crate::domain::recruiting::application::Who {
            actor,
            user: self.id,
            roles: &self.roles,
        }
    }

    /// This person, asking the domain for a change its rules decide.
    pub fn asker(&self) -> Asker<'_> {
        Asker::Person {
            id: self.id,
            roles: &self.roles,
        }
    }
}

/// Starts a signed-in session for `user_id`: a new session id (so a fixated
/// id is worthless) and a new CSRF token.
///
/// Rotating the id deletes the old session from the store at once, on the
/// request pool: the request's own connection goes back first, or a burst of
/// sign-ins would each hold one while waiting for another.
pub async fn sign_in(db: &mut Db, session: &Session, user_id: Uuid) -> Result<(), AppError> {
    db.release();
    session.cycle_id().await?;
    let now = Utc::now();
    session.insert(USER_ID_KEY, user_id).await?;
    session.insert(SIGNED_IN_AT, now).await?;
    session.insert(SEEN_AT, now).await?;
    crate::auth::csrf::rotate(session).await?;
    Ok(())
}

/// As [`sign_in`], the connection goes back before the store is called.
pub async fn sign_out(db: &mut Db, session: &Session) -> Result<(), AppError> {
    db.release();
    session.flush().await?;
    Ok(())
}

async fn load(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::internal(msg))?;
    load_from(session, RequestMeta::from_parts(parts, state), state).await
}

/// The signed-in user of `session`, if the session is live and the account active.
pub async fn load_from(
    session: Session,
    meta: RequestMeta,
    state: &AppState,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let signed_in_at: DateTime<Utc> = session.get(SIGNED_IN_AT).await?.unwrap_or(now);
    let seen_at: DateTime<Utc> = session.get(SEEN_AT).await?.unwrap_or(signed_in_at);
    let expired = now - signed_in_at
        > chrono::Duration::from_std(state.config.session_absolute).unwrap_or_default()
        || now - seen_at
            > chrono::Duration::from_std(state.config.session_idle).unwrap_or_default();
    if expired {
        session.flush().await?;
        return Ok(None);
    }
    // Normally the session load brought the row along; read it here only
    // when it did not (a session signed in during this very request).
    let row = match session.get::<SignedInRow>(LOADED_USER_KEY).await? {
        Some(row) if row.id == user_id => Some(row),
        _ => signed_in::row(Db::new(state).conn().await?, user_id, BADGE_LIMIT).await?,
    };
    let Some(row) = row else {
        session.flush().await?;
        return Ok(None);
    };
    if (now - seen_at).num_seconds() >= SEEN_GRANULARITY_SECS {
        session.insert(SEEN_AT, now).await?;
    }
    meta.note_user(row.id);
    crate::web::render::note_time_zone(&row.time_zone);
    Ok(Some(CurrentUser {
        id: row.id,
        email: row.email,
        full_name: row.full_name,
        roles: row.roles.iter().filter_map(|r| Role::parse(r)).collect(),
        time_zone: row.time_zone,
        pending_approvals: row.pending_approvals,
        unread_notifications: row.unread_notifications,
        catalog_version: row.catalog_version,
        meta,
        session,
    }))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match load(parts, state).await? {
            Some(user) => Ok(user),
            None => Err(AppError::SignInRequired {
                next: sign_in_return_path(parts),
                htmx: parts.headers.contains_key("HX-Request"),
            }),
        }
    }
}

/// Where to come back after signing in: this page for a GET; for anything
/// else (a form post whose session ran out) the page the form was on, if
/// the browser said, else home.
fn sign_in_return_path(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET {
        return parts
            .uri
            .path_and_query()
            .map_or("/".into(), |p| p.as_str().to_owned());
    }
    parts
        .headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|| "/".into())
}

/// The user if signed in, and the session either way.
pub struct MaybeUser {
    pub user: Option<CurrentUser>,
    pub session: Session,
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = load(parts, state).await?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::internal(msg))?;
        Ok(MaybeUser {
            user,
            session,
            meta: RequestMeta::from_parts(parts, state),
        })
    }
}
