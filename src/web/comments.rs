//! Comment threads: posting, editing and deleting comments (htmx swaps the
//! thread; a plain form redirects back to the page), and the `@` mention
//! suggestions. The thread markup is one fragment, included by the page of
//! its subject.

use super::AppState;
use super::render::{self, Hx, Layout, filters};
use super::requirements::visible;
use crate::domain::access::Permission;
use crate::domain::activity::audit::Entry;
use crate::domain::activity::comments::{self, Comment, Mentioning};
use crate::domain::approval::SubjectKind;
use crate::domain::kernel::FieldErrors;
use crate::domain::requisition::approval_subject::subject;
use crate::domain::requisition::requirement::{Requirement, RequirementId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::problems::Problems;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(POST "/requirements/{id}/comments"), create)
        .serve(route!(POST "/comments/{id}"), update)
        .serve(route!(POST "/comments/{id}/deletion"), delete)
        .serve(route!(GET "/mentions"), mentions)
}

/// One comment as `me` sees it.
pub struct Shown {
    pub c: Comment,
    pub html: String,
    /// Edit and delete are offered (and allowed: the handlers check again).
    pub can_change: bool,
}

/// The comment whose edit form is open again, with what was typed and why
/// it was not saved.
pub struct Editing {
    pub id: Uuid,
    pub body: String,
    pub version: i32,
    pub problems: Problems,
}

/// A thread as the page (or the htmx fragment) shows it.
pub struct Thread {
    /// Where a new comment is posted.
    pub action: String,
    /// Where the textarea asks for mention suggestions.
    pub mentions_url: String,
    pub csrf: String,
    pub comments: Vec<Shown>,
    pub can_comment: bool,
    /// The new comment's text, kept when it could not be saved.
    pub draft: String,
    pub errors: FieldErrors,
    pub editing: Option<Editing>,
    /// Just posted through htmx: the emptied textarea takes the focus back
    /// (the button that had it is gone with the swap).
    pub posted: bool,
}

/// The edit form of one comment: open again with the kept input when its
/// save failed, otherwise closed with the comment as it is.
impl Thread {
    fn editing(&self, id: &Uuid) -> Option<&Editing> {
        self.editing.as_ref().filter(|e| e.id == *id)
    }

    pub fn edit_open(&self, id: &Uuid) -> bool {
        self.editing(id).is_some()
    }

    pub fn edit_body<'a>(&'a self, c: &'a Comment) -> &'a str {
        self.editing(&c.id).map_or(&c.body, |e| &e.body)
    }

    pub fn edit_version(&self, c: &Comment) -> i32 {
        self.editing(&c.id).map_or(c.version, |e| e.version)
    }

    pub fn edit_error(&self, id: &Uuid) -> Option<&str> {
        self.editing(id).and_then(|e| e.problems.get("body"))
    }

    pub fn edit_conflict(&self, id: &Uuid) -> &[Entry] {
        self.editing(id).map_or(&[], |e| &e.problems.conflict)
    }
}

/// The thread of a requirement `me` may see.
pub async fn requirement_thread(
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: &Requirement,
) -> Result<Thread, AppError> {
    let comments = comments::thread(conn, subject(r.id))
        .await?
        .into_iter()
        .map(|c| Shown {
            html: super::markdown::to_safe_html(&c.body),
            can_change: c.editable_by(me.id, &me.roles),
            c,
        })
        .collect();
    Ok(Thread {
        action: format!("/requirements/{}/comments", r.id),
        mentions_url: format!("/mentions?requirement={}", r.id),
        csrf: crate::auth::csrf::token(&me.session).await?,
        comments,
        can_comment: me.can(Permission::Comment),
        draft: String::new(),
        errors: FieldErrors::default(),
        editing: None,
        posted: false,
    })
}

#[derive(Template)]
#[template(path = "fragments/comments/_thread.html")]
struct ThreadFragment {
    thread: Thread,
}

/// The subject's thread after a change: for htmx the fragment, otherwise the
/// page (when showing a problem) or a redirect to it (after a save).
async fn answer(
    conn: &mut PgConnection,
    me: &CurrentUser,
    hx: Hx,
    r: Requirement,
    status: StatusCode,
    adjust: impl FnOnce(&mut Thread),
    anchor: &str,
) -> Result<Response, AppError> {
    if !hx.0 && status.is_success() {
        return Ok(render::see_other(&format!(
            "/requirements/{}#{anchor}",
            r.id
        )));
    }
    let mut thread = requirement_thread(&mut *conn, me, &r).await?;
    adjust(&mut thread);
    if hx.0 {
        render::status(status, &ThreadFragment { thread })
    } else {
        super::requirements::page_with_thread(conn, me, r, thread, status).await
    }
}

/// Whom a mention on the requirement's thread may reach, and its words.
fn mentioning<'a>(state: &'a AppState, r: &Requirement) -> Mentioning<'a> {
    let seen = r.clone();
    Mentioning {
        mail: &state.mail,
        about: format!("{} {}", r.reference, r.title),
        link: format!("/requirements/{}#comments", r.id),
        may_see: Box::new(move |user, roles| seen.visible_to(user, roles)),
    }
}

#[derive(serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    version: i32,
}

async fn create(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<RequirementId>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = visible(conn, &me, id).await?;
    me.require(Permission::Comment)?;
    let mentioning = mentioning(&state, &r);
    let mut tx = conn.begin().await?;
    let added = comments::add(&mut tx, &me.actor(), subject(r.id), &form.body, &mentioning).await;
    let problems = match added {
        Ok(comment) => {
            tx.commit().await?;
            let posted = |t: &mut Thread| t.posted = true;
            let to = format!("comment-{comment}");
            return answer(conn, &me, hx, r, StatusCode::OK, posted, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let status = problems.status();
    let keep = |t: &mut Thread| {
        t.draft = form.body;
        t.errors = problems.fields;
    };
    answer(conn, &me, hx, r, status, keep, "comments").await
}

/// The comment, if `me` may see its subject, and that subject.
async fn load(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: Uuid,
) -> Result<(Comment, Requirement), AppError> {
    let c = comments::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Whether `me` may see the comment is asked of its subject's area;
    // threads show on requirements' pages so far.
    let r = match c.subject_type {
        SubjectKind::Requirement => visible(conn, me, RequirementId::new(c.subject_id)).await?,
        SubjectKind::Offer | SubjectKind::Candidate => return Err(AppError::NotFound),
    };
    Ok((c, r))
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (c, r) = load(conn, &me, id).await?;
    if !c.editable_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    let (actor, mentioning) = (me.actor(), mentioning(&state, &r));
    let edited = comments::edit(&mut tx, &actor, &c, form.version, &form.body, &mentioning);
    let problems = match edited.await {
        Ok(()) => {
            tx.commit().await?;
            let to = format!("comment-{id}");
            return answer(conn, &me, hx, r, StatusCode::OK, |_| {}, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let (status, mut version) = (problems.status(), form.version);
    problems.rebase(&mut version);
    let keep = move |t: &mut Thread| {
        t.editing = Some(Editing {
            id,
            body: form.body,
            version,
            problems,
        });
    };
    answer(conn, &me, hx, r, status, keep, "comments").await
}

async fn delete(
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (c, r) = load(conn, &me, id).await?;
    if !c.editable_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    comments::delete(&mut tx, &me.actor(), &c).await?;
    tx.commit().await?;
    answer(conn, &me, hx, r, StatusCode::OK, |_| {}, "comments").await
}

// ---- mention suggestions --------------------------------------------------

/// How many people a suggestion list shows.
const SUGGESTIONS: usize = 6;

#[derive(serde::Deserialize)]
pub struct MentionQuery {
    /// What follows the `@` being typed (static/app.js sends it, from the
    /// caret). Without it, the end of `body` is read instead.
    q: Option<String>,
    #[serde(default)]
    body: String,
    /// The requirement being commented on, which `me` must see. Only people
    /// who may see it are suggested: the others would not be told, and a
    /// list without it would name everybody to anybody.
    requirement: RequirementId,
}

#[derive(Template)]
#[template(path = "pages/comments/mentions.html", blocks = ["suggestions"])]
struct MentionsPage {
    layout: Layout,
    /// None when nothing after an `@` is being typed: no list.
    q: Option<String>,
    /// Kept in the page's search form.
    requirement: RequirementId,
    people: Vec<comments::Mentionable>,
}

async fn mentions(
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Query(query): Query<MentionQuery>,
) -> Result<Response, AppError> {
    let q = match query.q {
        Some(q) => Some(q.trim().trim_start_matches('@').to_lowercase()),
        None => comments::typing_handle(&query.body, query.body.chars().count()),
    };
    let conn = db.conn().await?;
    let r = visible(conn, &me, query.requirement).await?;
    let people = match &q {
        Some(q) => comments::mentionable(conn, q, 50)
            .await?
            .into_iter()
            .filter(|p| p.id != me.id)
            .filter(|p| r.visible_to(p.id, &p.roles()))
            .take(SUGGESTIONS)
            .collect(),
        None => Vec::new(),
    };
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(&me, "People to mention").await?
    };
    let page = MentionsPage {
        layout,
        q,
        requirement: r.id,
        people,
    };
    render::page_or_fragment(hx, &page, page.as_suggestions())
}
