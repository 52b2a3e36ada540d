//! Page or fragment, decided once.
//!
//! A full page extends `layout/base.html`, which needs a [`Layout`]. An htmx
//! request (not boosted, not a history restore) gets only the block of the
//! page that it swaps; the page template renders that same block, so each
//! piece of markup exists once. Every response says `Vary: HX-Request`.

use crate::domain::access::Permission;
use crate::error::AppError;
use crate::web::current_user::CurrentUser;
use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::sync::{Arc, OnceLock};
use tower_sessions::Session;

/// True when htmx asked for a fragment.
#[derive(Debug, Clone, Copy)]
pub struct Hx(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Hx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let has = |name: &str| parts.headers.get(name).is_some_and(|v| v == "true");
        Ok(Hx(has("hx-request")
            && !has("hx-boosted")
            && !has("hx-history-restore-request")))
    }
}

/// An id prints as hex digits and hyphens only: nothing to escape. A board
/// prints a dozen on each of its 125 cards, and escaping scanned each one
/// character by character: escaping was a tenth of the app's time on that
/// page, ids most of what it scanned.
impl<T> askama::filters::HtmlSafe for crate::domain::id::Id<T> {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// "success", "error" or "info": also the CSS class.
    pub kind: String,
    pub message: String,
}

const FLASH_KEY: &str = "flash";

/// A message for the next page this session sees (after a redirect).
pub async fn flash(
    session: &Session,
    kind: &str,
    message: impl Into<String>,
) -> Result<(), AppError> {
    session
        .insert(
            FLASH_KEY,
            Flash {
                kind: kind.into(),
                message: message.into(),
            },
        )
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
    /// The things waiting, for the link that counts them.
    pub count: Option<i64>,
}

/// A count as a badge shows it: "99+" once it reaches the limit it is
/// counted to.
pub fn badge(count: &i64) -> String {
    if *count >= crate::web::current_user::BADGE_LIMIT {
        format!("{}+", crate::web::current_user::BADGE_LIMIT - 1)
    } else {
        count.to_string()
    }
}

/// What the layout around every page needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub nav: Vec<NavLink>,
    /// The admin area's own navigation, on its pages.
    pub admin_nav: Vec<NavLink>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Unread notifications (the bell), for a signed-in user.
    pub unread: i64,
}

impl Layout {
    pub async fn new(user: &CurrentUser, title: impl Into<String>) -> Result<Layout, AppError> {
        let mut layout = if user.meta.htmx {
            // A page re-read in the background (a live update) must not
            // take the flash meant for the page the user is going to.
            Layout {
                csrf: crate::auth::csrf::token(&user.session).await?,
                title: title.into(),
                ..Layout::bare()
            }
        } else {
            Layout::anonymous(&user.session, title).await?
        };
        layout.user_name = Some(user.full_name.clone());
        layout.nav = nav(user, &user.meta.path);
        if user.meta.path.starts_with("/admin") {
            layout.admin_nav = admin_nav(user, &user.meta.path);
        }
        layout.unread = user.unread_notifications;
        Ok(layout)
    }

    /// For a fragment response, which never renders the layout: building a
    /// real one would consume the flash meant for the next full page.
    pub fn bare() -> Layout {
        Layout {
            title: String::new(),
            user_name: None,
            nav: Vec::new(),
            admin_nav: Vec::new(),
            csrf: String::new(),
            flash: None,
            unread: 0,
        }
    }

    /// For a page with a form, seen signed out (sign-in, a password reset,
    /// an invitation, a mailed approval link): the form needs a CSRF token,
    /// and so a session to keep it in.
    pub async fn anonymous(
        session: &Session,
        title: impl Into<String>,
    ) -> Result<Layout, AppError> {
        Ok(Layout {
            title: title.into(),
            user_name: None,
            nav: Vec::new(),
            admin_nav: Vec::new(),
            csrf: crate::auth::csrf::token(session).await?,
            flash: take_flash(session).await?,
            unread: 0,
        })
    }

    /// For a page without a form, seen signed out (an error page, a dead
    /// link): no CSRF token, so no session is stored for it. Otherwise every
    /// passing crawler, probe and mistyped address would leave a row in
    /// `sessions`.
    pub async fn public(session: &Session, title: impl Into<String>) -> Result<Layout, AppError> {
        Ok(Layout {
            title: title.into(),
            flash: take_flash(session).await?,
            ..Layout::bare()
        })
    }
}

/// The flash left for this page, removed so it shows once. Looked up before
/// removing: tower-sessions marks a session changed by any removal, even of
/// a key it lacks, and a changed session is written back, so removing
/// unconditionally cost every page view a write to `sessions`.
async fn take_flash(session: &Session) -> Result<Option<Flash>, AppError> {
    if session.get_value(FLASH_KEY).await?.is_none() {
        return Ok(None);
    }
    Ok(session.remove::<Flash>(FLASH_KEY).await?)
}

/// The navigation a user's roles open up.
fn nav(user: &CurrentUser, path: &str) -> Vec<NavLink> {
    let mut links = vec![
        link(user, path, "/", "Home"),
        link(user, path, "/requirements", "Requirements"),
        link(user, path, "/approvals", "Approvals"),
    ];
    if user.can(Permission::ViewCandidates) {
        links.insert(2, link(user, path, "/candidates", "Candidates"));
        links.push(link(user, path, "/onboarding", "Onboarding"));
    }
    // The admin pages share one entry (leading to the first the user may
    // see), so the header keeps to one row; they list each other below it.
    if let Some(first) = admin_nav(user, path).first() {
        links.push(NavLink {
            href: first.href,
            label: "Admin",
            current: path.starts_with("/admin"),
            count: None,
        });
    }
    links
}

/// The admin pages the user may see, for the admin area's own navigation.
fn admin_nav(user: &CurrentUser, path: &str) -> Vec<NavLink> {
    [
        ("/admin/users", "Users", Permission::ManageUsers),
        (
            "/admin/departments",
            "Departments",
            Permission::ManageOrganisation,
        ),
        (
            "/admin/levels",
            "Job levels",
            Permission::ManageOrganisation,
        ),
        ("/admin/workflows", "Workflows", Permission::ManageWorkflows),
        (
            "/admin/pipeline",
            "Pipeline",
            Permission::ConfigureRecruiting,
        ),
        (
            "/admin/careers",
            "Careers site",
            Permission::ConfigureRecruiting,
        ),
        (
            "/admin/offer-letter",
            "Offer letter",
            Permission::ConfigureRecruiting,
        ),
        (
            "/admin/onboarding",
            "Onboarding",
            Permission::ConfigureRecruiting,
        ),
        ("/admin/privacy", "Privacy", Permission::HandlePersonalData),
        ("/admin/audit", "Audit log", Permission::ViewAuditLog),
        ("/admin/outbox", "Outbox", Permission::ViewAuditLog),
    ]
    .into_iter()
    .filter(|(_, _, p)| user.can(*p))
    .map(|(href, label, _)| link(user, path, href, label))
    .collect()
}

fn link(user: &CurrentUser, path: &str, href: &'static str, label: &'static str) -> NavLink {
    NavLink {
        href,
        label,
        current: if href == "/" {
            path == "/"
        } else {
            path.starts_with(href)
        },
        count: (href == "/approvals").then_some(user.pending_approvals),
    }
}

/// What a template renders with besides its own fields: the viewer's time
/// zone, for the date filters. Handed to askama as its runtime values.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub zone: Tz,
}

/// The key under which [`Viewer`] answers the filters.
const ZONE: &str = "time_zone";

impl askama::Values for Viewer {
    fn get_value<'a>(&'a self, key: &str) -> Option<&'a dyn Any> {
        (key == ZONE).then_some(&self.zone as &dyn Any)
    }
}

tokio::task_local! {
    /// The request's viewer, noted by the user extractor once it has read
    /// the user (a set-once cell, as extractors cannot scope a value over
    /// the handler). Every handler renders through this module, so the zone
    /// reaches every template without each of them carrying it.
    static VIEWER: Arc<OnceLock<Viewer>>;
}

/// Middleware: gives each request its own (empty) viewer cell.
pub async fn with_viewer(req: Request, next: Next) -> Response {
    VIEWER.scope(Arc::default(), next.run(req)).await
}

/// Notes the signed-in user's time zone for what this request renders. A
/// name the database holds but chrono-tz does not know shows UTC.
pub fn note_time_zone(name: &str) {
    let zone = name.parse().unwrap_or(Tz::UTC);
    let _ = VIEWER.try_with(|v| v.set(Viewer { zone }));
}

/// The viewer of this request: UTC for an anonymous one, or outside a
/// request (mail, the live stream).
fn viewer() -> Viewer {
    VIEWER
        .try_with(|v| v.get().copied())
        .ok()
        .flatten()
        .unwrap_or(Viewer { zone: Tz::UTC })
}

/// Renders a template with this request's [`Viewer`].
pub fn render(t: &impl Template) -> askama::Result<String> {
    t.render_with_values(&viewer())
}

/// Formatting for templates: `{{ at|datetime }}`, `{{ n|amount }}`,
/// `{{ "app.css"|asset }}`. In scope wherever a template is declared
/// (`use crate::web::render::filters;`), as askama looks filters up there.
pub mod filters {
    use super::ZONE;
    use askama::Values;
    use chrono::{DateTime, Utc};
    use chrono_tz::Tz;

    /// A value a filter reads, however deeply the template borrowed it.
    pub trait Read<T> {
        fn read(&self) -> T;
    }

    impl Read<DateTime<Utc>> for DateTime<Utc> {
        fn read(&self) -> DateTime<Utc> {
            *self
        }
    }

    impl Read<i64> for i64 {
        fn read(&self) -> i64 {
            *self
        }
    }

    impl<T, R: Read<T> + ?Sized> Read<T> for &R {
        fn read(&self) -> T {
            (**self).read()
        }
    }

    fn local(at: &impl Read<DateTime<Utc>>, values: &dyn Values) -> DateTime<Tz> {
        let zone = askama::get_value::<Tz>(values, ZONE)
            .copied()
            .unwrap_or(Tz::UTC);
        at.read().with_timezone(&zone)
    }

    /// Day, time and zone as the viewer lives them: "2026-12-02 09:30 EST".
    #[askama::filter_fn]
    pub fn datetime(at: impl Read<DateTime<Utc>>, values: &dyn Values) -> askama::Result<String> {
        Ok(local(&at, values).format("%Y-%m-%d %H:%M %Z").to_string())
    }

    /// As [`datetime`], to the second, for the logs admins read.
    #[askama::filter_fn]
    pub fn datetime_seconds(
        at: impl Read<DateTime<Utc>>,
        values: &dyn Values,
    ) -> askama::Result<String> {
        Ok(local(&at, values)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string())
    }

    /// The viewer's day of it: "2026-12-02".
    #[askama::filter_fn]
    pub fn date(at: impl Read<DateTime<Utc>>, values: &dyn Values) -> askama::Result<String> {
        Ok(local(&at, values).format("%Y-%m-%d").to_string())
    }

    /// For a `<time datetime>` attribute: machine-read, so in UTC.
    #[askama::filter_fn]
    pub fn iso(at: impl Read<DateTime<Utc>>, _: &dyn Values) -> askama::Result<String> {
        Ok(at.read().format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    /// An amount with its thousands grouped: 1234567 → "1,234,567".
    #[askama::filter_fn]
    pub fn amount(n: impl Read<i64>, _: &dyn Values) -> askama::Result<String> {
        Ok(crate::domain::kernel::amount(&n.read()))
    }

    /// A count as a badge shows it (see [`super::badge`]).
    #[askama::filter_fn]
    pub fn badge(n: impl Read<i64>, _: &dyn Values) -> askama::Result<String> {
        Ok(super::badge(&n.read()))
    }

    /// The URL of a static file under its content-hashed name.
    #[askama::filter_fn]
    pub fn asset(name: impl AsRef<str>, _: &dyn Values) -> askama::Result<String> {
        Ok(crate::web::assets::url(name.as_ref()))
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, Html(body)).into_response();
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    res
}

/// A page or a fragment, as it is.
pub fn ok(t: &impl Template) -> Result<Response, AppError> {
    status(StatusCode::OK, t)
}

/// A page or fragment with another status: 422 for a form with errors, 409
/// for a stale edit, 410 for a dead link.
pub fn status(code: StatusCode, t: &impl Template) -> Result<Response, AppError> {
    Ok(html(code, render(t)?))
}

/// The page, or for htmx the fragment of it.
pub fn page_or_fragment(
    hx: Hx,
    page: &impl Template,
    fragment: impl Template,
) -> Result<Response, AppError> {
    with_status(StatusCode::OK, hx, page, fragment)
}

/// As [`page_or_fragment`], with a status: 422 for a form with errors, 409
/// for a stale edit (htmx is configured to swap those).
pub fn with_status(
    status: StatusCode,
    hx: Hx,
    page: &impl Template,
    fragment: impl Template,
) -> Result<Response, AppError> {
    let body = if hx.0 {
        render(&fragment)?
    } else {
        render(page)?
    };
    Ok(html(status, body))
}

/// Commits a change, leaves `message` for the next page and goes to `to`:
/// how every successful plain-form POST ends.
pub async fn saved(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    session: &Session,
    message: impl Into<String>,
    to: &str,
) -> Result<Response, AppError> {
    tx.commit().await?;
    flash(session, "success", message).await?;
    Ok(see_other(to))
}

/// A file to download (never shown in the browser): its name as it was
/// uploaded, ASCII in `filename` and whole in `filename*` (RFC 6266).
pub fn attachment(name: &str, content_type: &'static str, bytes: bytes::Bytes) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::error::urlencode(name).replace('+', "%20")
    );
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// After a successful POST: go to `to` (303, so a reload does not repost).
/// htmx follows it, so the same response serves both.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::{Viewer, filters};
    use askama::Template;
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(Template)]
    #[template(
        source = "{{ at|datetime }} / {{ at|date }} / {{ at|iso }} / {{ n|amount }} / {{ \"app.css\"|asset }}",
        ext = "txt"
    )]
    struct Sample {
        at: DateTime<Utc>,
        n: i64,
    }

    #[test]
    fn filters_read_the_viewers_zone_from_the_render_values() {
        let at = Utc.with_ymd_and_hms(2027, 1, 15, 3, 30, 0).unwrap();
        let t = Sample { at, n: -1234567 };
        let zone = |name: &str| Viewer {
            zone: name.parse().unwrap(),
        };
        let shown = |v: Viewer| t.render_with_values(&v).unwrap();
        let asset = crate::web::assets::url("app.css");
        assert!(asset.starts_with("/static/app.") && asset.len() > "/static/app.css".len());
        assert_eq!(
            shown(zone("America/New_York")),
            format!(
                "2027-01-14 22:30 EST / 2027-01-14 / 2027-01-15T03:30:00Z / -1,234,567 / {asset}"
            )
        );
        assert_eq!(
            shown(zone("UTC")),
            format!(
                "2027-01-15 03:30 UTC / 2027-01-15 / 2027-01-15T03:30:00Z / -1,234,567 / {asset}"
            )
        );
        // Rendered without values (mail): UTC.
        assert_eq!(t.render().unwrap(), shown(zone("UTC")));
    }
}
