//! Merging two records of one person: the comparison with a choice for
//! each field that differs, the preview of the record it leaves, the merge,
//! and splitting it back.

use super::AppState;
use super::problems::Problems;
use super::render::{self, Layout, filters};
use crate::domain::access::Permission;
use crate::domain::recruiting::Reach;
use crate::domain::recruiting::candidate::{self, Candidate, CandidateId};
use crate::domain::recruiting::merge::{self, MergeForm, MergeId, Pick, Shared};
use crate::error::AppError;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sqlx::{Connection as _, PgConnection};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/candidates/{id}/merge"), compare)
        .serve(route!(POST "/candidates/{id}/merge"), merge)
        .serve(route!(POST "/candidates/{id}/split"), split)
}

/// One field only one value can stay in, as the comparison shows it.
struct Choice {
    field: &'static str,
    label: &'static str,
    kept: String,
    merged: String,
    pick: Pick,
}

#[derive(Template)]
#[template(path = "pages/candidates/merge.html")]
struct MergePage {
    layout: Layout,
    kept: Candidate,
    merged: Candidate,
    /// The fields whose values differ: the recruiter picks one of each.
    choices: Vec<Choice>,
    /// The record as the merge would leave it.
    after: Candidate,
    shared: Vec<Shared>,
    form: MergeForm,
    problems: Problems,
}

impl MergePage {
    /// Whether the merge can go ahead as things are.
    fn blocked(&self) -> bool {
        self.shared.iter().any(|s| s.active)
    }
}

fn consent(c: &Candidate) -> String {
    match (c.consent_given_at, c.consent_until) {
        (None, _) => "Not recorded".into(),
        (Some(at), None) => format!("Given {}", at.date_naive()),
        (Some(at), Some(until)) => format!("Given {}, until {until}", at.date_naive()),
    }
}

fn choices(kept: &Candidate, merged: &Candidate, form: &MergeForm) -> Vec<Choice> {
    let p = form.picks();
    let owner = |c: &Candidate| c.owner_name.clone().unwrap_or_else(|| "—".into());
    [
        (
            "full_name",
            "Name",
            kept.full_name.clone(),
            merged.full_name.clone(),
            p.full_name,
        ),
        (
            "phone",
            "Phone",
            kept.phone.clone(),
            merged.phone.clone(),
            p.phone,
        ),
        (
            "location",
            "Location",
            kept.location.clone(),
            merged.location.clone(),
            p.location,
        ),
        (
            "source",
            "Source",
            kept.source_line(),
            merged.source_line(),
            p.source,
        ),
        ("owner", "Owner", owner(kept), owner(merged), p.owner),
        (
            "consent",
            "Consent",
            consent(kept),
            consent(merged),
            p.consent,
        ),
    ]
    .into_iter()
    .filter(|(_, _, k, m, _)| k != m)
    .map(|(field, label, kept, merged, pick)| Choice {
        field,
        label,
        kept,
        merged,
        pick,
    })
    .collect()
}

/// Both records, if `me` manages candidates and sees them both.
async fn pair(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: CandidateId,
    form: &MergeForm,
) -> Result<(Candidate, Option<Candidate>), AppError> {
    let reach = Reach::of(me.id, &me.roles);
    let kept = candidate::find(&mut *conn, reach, id)
        .await?
        .ok_or(AppError::NotFound)?;
    me.require(Permission::ManageCandidates)?;
    let merged = match merge::other(form) {
        Some(other) if other != id => candidate::find(&mut *conn, reach, other).await?,
        _ => None,
    };
    Ok((kept, merged))
}

async fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    kept: Candidate,
    merged: Candidate,
    mut form: MergeForm,
    problems: Problems,
) -> Result<MergePage, AppError> {
    if problems.is_empty() {
        form.kept_version = kept.version;
        form.merged_version = merged.version;
    }
    Ok(MergePage {
        layout: Layout::new(
            me,
            format!("Merge {} and {}", kept.full_name, merged.full_name),
        )
        .await?,
        shared: merge::shared(&mut *conn, kept.id, merged.id).await?,
        choices: choices(&kept, &merged, &form),
        after: merge::preview(&kept, &merged, form.picks()),
        kept,
        merged,
        form,
        problems,
    })
}

/// The comparison and the preview, for the picks in the query (each
/// change of a pick asks again: the preview follows).
async fn compare(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Query(form): Query<MergeForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (kept, merged) = pair(conn, &me, id, &form).await?;
    let merged = merged.ok_or(AppError::NotFound)?;
    render::ok(&page(conn, &me, kept, merged, form, Problems::default()).await?)
}

async fn merge(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(mut form): Form<MergeForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let (kept, merged) = pair(conn, &me, id, &form).await?;
    let merged = merged.ok_or(AppError::NotFound)?;
    let mut tx = conn.begin().await?;
    let problems = match merge::merge(&mut tx, &me.actor(), &kept, &merged, &form).await {
        Ok(_) => {
            let message = format!(
                "{} merged into this profile. If that was a mistake, split them back below.",
                merged.full_name
            );
            return render::saved(tx, &me.session, message, &format!("/candidates/{id}")).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    // The comparison again, as the records are now, the picks kept.
    let kept = candidate::find(&mut *conn, Reach::of(me.id, &me.roles), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let merged = candidate::find(&mut *conn, Reach::of(me.id, &me.roles), merged.id)
        .await?
        .ok_or(AppError::NotFound)?;
    form.kept_version = kept.version;
    form.merged_version = merged.version;
    let status = problems.status();
    render::status(
        status,
        &page(conn, &me, kept, merged, form, problems).await?,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SplitForm {
    merge_id: String,
}

async fn split(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<CandidateId>,
    Form(form): Form<SplitForm>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let kept = candidate::find(&mut *conn, Reach::of(me.id, &me.roles), id)
        .await?
        .ok_or(AppError::NotFound)?;
    me.require(Permission::ManageCandidates)?;
    // A merge that is not this record's (or no merge) is refused by the
    // domain like one split back already.
    let merge_id = form
        .merge_id
        .trim()
        .parse()
        .unwrap_or(MergeId::new(uuid::Uuid::nil()));
    let mut tx = conn.begin().await?;
    let problems = match merge::split(&mut tx, &me.actor(), id, merge_id).await {
        Ok(other) => {
            let message = format!(
                "Split back into two records: this one is its own again, and {} is as it was.",
                kept.full_name
            );
            return render::saved(tx, &me.session, message, &format!("/candidates/{other}")).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    super::candidates::profile(&state, conn, &me, kept, problems, String::new()).await
}
