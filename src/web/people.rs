//! Person fields: a text input where one types a name or an email, with
//! suggestions htmx fills into its `<datalist>` as one types
//! (`layout/fields.html`, `person`). No form lists the whole organisation.
//! Without JavaScript the typed text is read on submit (the domain's
//! `org::user::read_people`): a name
//! or email that names nobody, or several people, is a problem beside the
//! field, with the text kept.

use super::current_user::CurrentUser;
use super::render;
use crate::domain::access::Permission;
use crate::domain::org::user::{self, Person};
use crate::error::AppError;
use crate::web::Db;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new().serve(route!(GET "/people"), suggestions)
}

/// Whoever fills in a form with a person field: hiring managers (a
/// requirement's people), approvers (a stand-in), admins (managers, heads,
/// approvers, reassignment). Others get no directory of names and emails.
fn may_pick(me: &CurrentUser) -> bool {
    [
        Permission::CreateRequirement,
        Permission::AdministerRequirements,
        Permission::DecideApprovals,
        Permission::ManageUsers,
        Permission::ManageOrganisation,
        Permission::ManageWorkflows,
    ]
    .into_iter()
    .any(|p| me.can(p))
}

#[derive(Template)]
#[template(path = "fragments/people/_picker.html")]
struct Suggestions {
    people: Vec<Person>,
}

/// `/people?field=recruiter_id&recruiter_id=ada`: htmx sends the input's
/// value under the input's own name, so `field` says which parameter holds
/// what was typed (`q` for a plain search).
async fn suggestions(
    mut db: Db,
    me: CurrentUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    if !may_pick(&me) {
        return Err(AppError::Forbidden);
    }
    let field = params.get("field").map_or("q", String::as_str);
    let q = params.get(field).map_or("", String::as_str);
    let conn = db.conn().await?;
    let people = user::suggest(conn, q).await?;
    render::ok(&Suggestions { people })
}

/// What a form's person fields show: for an id (a saved choice, or one read
/// on submit) the person's label, else the text as typed.
#[derive(Debug, Default)]
pub struct Shown(HashMap<Uuid, String>);

impl Shown {
    /// The labels of the ids among `values`.
    pub async fn of<'a>(
        conn: &mut PgConnection,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Shown, AppError> {
        let ids: Vec<Uuid> = values
            .into_iter()
            .filter_map(|v| v.trim().parse().ok())
            .collect();
        if ids.is_empty() {
            return Ok(Shown::default());
        }
        Ok(Shown(
            user::people(conn, &ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p.label()))
                .collect(),
        ))
    }

    pub fn show<'a>(&'a self, value: &'a str) -> &'a str {
        value
            .trim()
            .parse::<Uuid>()
            .ok()
            .and_then(|id| self.0.get(&id))
            .map_or(value, String::as_str)
    }
}
