//! Comment threads: posting, editing and deleting comments (htmx swaps the
//! thread; a plain form redirects back to the page), and the `@` mention
//! suggestions. The thread markup is one fragment, included by the page of
//! its subject.

use super::AppState;
use super::render::{self, Hx, Layout, filters};
use super::requirements::visible;
use crate::domain::access::Permission;
use crate::domain::access::Role;
use crate::domain::activity::audit::Entry;
use crate::domain::activity::comments::{self, Comment, Mentioning};
use crate::domain::approval::{SubjectKind, SubjectRef};
use crate::domain::kernel::FieldErrors;
use crate::domain::recruiting::candidate::{self, Candidate, CandidateId};
use crate::domain::recruiting::{self, Reach};
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
        .serve(
            route!(POST "/candidates/{id}/comments"),
            create_on_candidate,
        )
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
    /// Whether the box is offered (it is shown anyway with a refused
    /// comment's draft and why, so nothing typed is lost).
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

/// What a thread is on, as `me` may see it: the page it is shown on, and
/// who may be told of a mention in it.
pub enum On {
    Requirement(Requirement),
    /// With the people who see them through their requirements (hiring
    /// managers: `recruiting::sees_candidate`).
    Candidate(Candidate, Vec<Uuid>),
}

impl On {
    fn subject(&self) -> SubjectRef {
        match self {
            On::Requirement(r) => subject(r.id),
            On::Candidate(c, _) => SubjectRef::new(SubjectKind::Candidate, c.id.uuid()),
        }
    }

    /// The page the thread is on.
    fn page(&self) -> String {
        match self {
            On::Requirement(r) => format!("/requirements/{}", r.id),
            On::Candidate(c, _) => format!("/candidates/{}", c.id),
        }
    }

    /// Where suggestions of people to mention are asked for.
    fn mentions_url(&self) -> String {
        match self {
            On::Requirement(r) => format!("/mentions?requirement={}", r.id),
            On::Candidate(c, _) => format!("/mentions?candidate={}", c.id),
        }
    }

    /// Whether `user` may see what the thread is on.
    fn seen_by(&self, user: Uuid, roles: &[Role]) -> bool {
        match self {
            On::Requirement(r) => r.visible_to(user, roles),
            On::Candidate(_, own) => recruiting::sees_candidate(user, roles, own),
        }
    }

    /// Whom a mention in the thread may reach, and its words.
    fn mentioning<'a>(&self, state: &'a AppState) -> Mentioning<'a> {
        let (about, may_see): (String, Box<comments::MaySee>) = match self {
            On::Requirement(r) => {
                let seen = r.clone();
                (
                    format!("{} {}", r.reference, r.title),
                    Box::new(move |user, roles| seen.visible_to(user, roles)),
                )
            }
            On::Candidate(c, own) => {
                let own = own.clone();
                (
                    c.full_name.clone(),
                    Box::new(move |user, roles| recruiting::sees_candidate(user, roles, &own)),
                )
            }
        };
        Mentioning {
            mail: &state.mail,
            about,
            link: format!("{}#comments", self.page()),
            may_see,
        }
    }
}

/// The thread `me` sees of what it is on.
pub async fn thread(
    conn: &mut PgConnection,
    me: &CurrentUser,
    on: &On,
) -> Result<Thread, AppError> {
    let comments = comments::thread(conn, on.subject())
        .await?
        .into_iter()
        .map(|c| Shown {
            html: super::markdown::to_safe_html(&c.body),
            can_change: c.editable_by(me.id, &me.roles),
            c,
        })
        .collect();
    Ok(Thread {
        action: format!("{}/comments", on.page()),
        mentions_url: on.mentions_url(),
        csrf: crate::auth::csrf::token(&me.session).await?,
        comments,
        // Nothing more is kept about an anonymised person.
        can_comment: me.can(Permission::Comment)
            && !matches!(on, On::Candidate(c, _) if c.anonymised()),
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
/// page (when showing a problem) or a redirect to it (after a save), at
/// `anchor`.
async fn answer(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    hx: Hx,
    on: On,
    (status, anchor): (StatusCode, &str),
    adjust: impl FnOnce(&mut Thread),
) -> Result<Response, AppError> {
    if !hx.0 && status.is_success() {
        return Ok(render::see_other(&format!("{}#{anchor}", on.page())));
    }
    let mut thread = thread(&mut *conn, me, &on).await?;
    adjust(&mut thread);
    if hx.0 {
        return render::status(status, &ThreadFragment { thread });
    }
    match on {
        On::Requirement(r) => {
            super::requirements::page_with_thread(conn, me, r, thread, status).await
        }
        On::Candidate(c, _) => {
            super::candidates::page_with_thread(state, conn, me, c, thread, status).await
        }
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
    let on = On::Requirement(visible(conn, &me, id).await?);
    post(&state, conn, &me, hx, on, form).await
}

async fn create_on_candidate(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<CandidateId>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let on = candidate_thread(conn, &me, id).await?;
    post(&state, conn, &me, hx, on, form).await
}

/// The candidate's thread, if `me` may see them; "not found" otherwise.
async fn candidate_thread(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: CandidateId,
) -> Result<On, AppError> {
    let c = candidate::find(&mut *conn, Reach::of(me.id, &me.roles), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let own = recruiting::own_people(conn, c.id).await?;
    Ok(On::Candidate(c, own))
}

/// A new comment on what `on` is, by `me`.
async fn post(
    state: &AppState,
    conn: &mut PgConnection,
    me: &CurrentUser,
    hx: Hx,
    on: On,
    form: CommentForm,
) -> Result<Response, AppError> {
    me.require(Permission::Comment)?;
    let mentioning = on.mentioning(state);
    let mut tx = conn.begin().await?;
    let added = match &on {
        // Said beside the comment box, where it was typed.
        On::Candidate(c, _) => candidate::takes_data(&mut tx, c.id)
            .await
            .map_err(|e| e.beside("body")),
        On::Requirement(_) => Ok(()),
    };
    let added = match added {
        Ok(()) => comments::add(&mut tx, &me.actor(), on.subject(), &form.body, &mentioning).await,
        Err(e) => Err(e),
    };
    let problems = match added {
        Ok(comment) => {
            tx.commit().await?;
            let posted = |t: &mut Thread| t.posted = true;
            let to = format!("comment-{comment}");
            return answer(state, conn, me, hx, on, (StatusCode::OK, &to), posted).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let status = problems.status();
    let keep = |t: &mut Thread| {
        t.draft = form.body;
        t.errors = problems.fields;
    };
    answer(state, conn, me, hx, on, (status, "comments"), keep).await
}

/// The comment, if `me` may see its subject, and that subject.
async fn load(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: Uuid,
) -> Result<(Comment, On), AppError> {
    let c = comments::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Whether `me` may see the comment is asked of its subject's area.
    let on = match c.subject_type {
        SubjectKind::Requirement => {
            On::Requirement(visible(conn, me, RequirementId::new(c.subject_id)).await?)
        }
        SubjectKind::Candidate => {
            candidate_thread(conn, me, CandidateId::new(c.subject_id)).await?
        }
        SubjectKind::Offer => return Err(AppError::NotFound),
    };
    Ok((c, on))
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
    let (c, on) = load(conn, &me, id).await?;
    if !c.editable_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    let (actor, mentioning) = (me.actor(), on.mentioning(&state));
    let edited = comments::edit(&mut tx, &actor, &c, form.version, &form.body, &mentioning);
    let problems = match edited.await {
        Ok(()) => {
            tx.commit().await?;
            let to = format!("comment-{id}");
            return answer(&state, conn, &me, hx, on, (StatusCode::OK, &to), |_| {}).await;
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
    answer(&state, conn, &me, hx, on, (status, "comments"), keep).await
}

async fn delete(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    hx: Hx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (c, on) = load(conn, &me, id).await?;
    if !c.editable_by(me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    let mut tx = conn.begin().await?;
    comments::delete(&mut tx, &me.actor(), &c).await?;
    tx.commit().await?;
    let to = (StatusCode::OK, "comments");
    answer(&state, conn, &me, hx, on, to, |_| {}).await
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
    /// What is being commented on (a requirement or a candidate), which
    /// `me` must see. Only people who may see it are suggested: the others
    /// would not be told, and a list without it would name everybody to
    /// anybody.
    requirement: Option<RequirementId>,
    candidate: Option<CandidateId>,
}

#[derive(Template)]
#[template(path = "pages/comments/mentions.html", blocks = ["suggestions"])]
struct MentionsPage {
    layout: Layout,
    /// None when nothing after an `@` is being typed: no list.
    q: Option<String>,
    /// Kept in the page's search form: the query naming what is commented
    /// on (`requirement` or `candidate`) and its id.
    on: (&'static str, Uuid),
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
    let on = match (query.requirement, query.candidate) {
        (Some(r), _) => On::Requirement(visible(conn, &me, r).await?),
        (None, Some(c)) => candidate_thread(conn, &me, c).await?,
        (None, None) => return Err(AppError::NotFound),
    };
    let people = match &q {
        Some(q) => comments::mentionable(conn, q, 50)
            .await?
            .into_iter()
            .filter(|p| p.id != me.id)
            .filter(|p| on.seen_by(p.id, &p.roles()))
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
        on: match &on {
            On::Requirement(r) => ("requirement", r.id.uuid()),
            On::Candidate(c, _) => ("candidate", c.id.uuid()),
        },
        people,
    };
    render::page_or_fragment(hx, &page, page.as_suggestions())
}
