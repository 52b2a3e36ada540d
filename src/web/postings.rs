//! Publishing a requirement on the careers site: the posting form (what
//! the public sees), publishing it or saving it, and taking it off.

use super::problems::Problems;
use super::render::{self, Layout, filters};
use super::requirements::visible;
use crate::domain::recruiting::careers::{self, PostingForm};
use crate::domain::requisition::form::REMOTE_POLICIES;
use crate::domain::requisition::requirement::{Requirement, RequirementId};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/requirements/{id}/posting"), edit)
        .serve(route!(POST "/requirements/{id}/posting"), publish)
        .serve(
            route!(POST "/requirements/{id}/posting/deletion"),
            unpublish,
        )
}

#[derive(Template)]
#[template(path = "pages/requirements/posting.html")]
struct PostingPage {
    layout: Layout,
    r: Requirement,
    form: PostingForm,
    /// Its public address while it is published.
    published: Option<String>,
    problems: Problems,
    types: [(&'static str, &'static str); 5],
    remote: [(&'static str, &'static str); 3],
    periods: [(&'static str, &'static str); 3],
}

/// The requirement, if `me` sees it (404) and may publish it (403).
async fn publishable(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: RequirementId,
) -> Result<Requirement, AppError> {
    let r = visible(conn, me, id).await?;
    if !careers::may_publish(&r, me.id, &me.roles) {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

async fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    r: Requirement,
    form: Option<PostingForm>,
    problems: Problems,
) -> Result<Response, AppError> {
    let posting = careers::posting(&mut *conn, r.id).await?;
    let form = form.unwrap_or_else(|| match &posting {
        Some(p) => PostingForm::of(p),
        None => PostingForm::of_requirement(&r),
    });
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        problems.status()
    };
    let page = PostingPage {
        layout: Layout::new(me, format!("{} {}: careers site", r.reference, r.title)).await?,
        published: posting
            .filter(|p| p.published_at.is_some())
            .map(|p| format!("/careers/{}", p.slug)),
        r,
        form,
        problems,
        types: careers::EMPLOYMENT_TYPES,
        remote: REMOTE_POLICIES,
        periods: careers::PAY_PERIODS,
    };
    render::status(status, &page)
}

async fn edit(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = publishable(conn, &me, id).await?;
    page(conn, &me, r, None, Problems::default()).await
}

async fn publish(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
    Form(mut form): Form<PostingForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = publishable(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    let today = chrono::Utc::now().date_naive();
    let saved = async {
        let mut fields = form.check(today)?;
        fields.description_html = super::markdown::to_safe_html(&fields.description);
        careers::publish(
            &mut tx,
            &me.actor(),
            me.id,
            &me.roles,
            &r,
            form.version,
            &fields,
        )
        .await
    };
    let problems = match saved.await {
        Ok(()) => {
            let to = format!("/requirements/{id}/posting");
            return render::saved(
                tx,
                &me.session,
                "Published: it is on the careers site.",
                &to,
            )
            .await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    if !problems.conflict.is_empty() {
        // Saving again, knowing what changed, saves over the posting as
        // it is now.
        form.version = careers::posting(&mut *conn, id)
            .await?
            .map_or(0, |p| p.version);
    }
    page(conn, &me, r, Some(form), problems).await
}

async fn unpublish(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<RequirementId>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let r = publishable(conn, &me, id).await?;
    let mut tx = conn.begin().await?;
    match careers::unpublish(&mut tx, &me.actor(), me.id, &me.roles, &r).await {
        Ok(()) => {
            let to = format!("/requirements/{id}/posting");
            render::saved(tx, &me.session, "Taken off the careers site.", &to).await
        }
        Err(e) => {
            let problems = Problems::try_from(e)?;
            tx.rollback().await?;
            page(conn, &me, r, None, problems).await
        }
    }
}
