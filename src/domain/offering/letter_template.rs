//! The company's offer letter template: Markdown with merge fields, kept
//! by admins. A template naming a field that does not exist is refused
//! when saved, with the field named; without a saved one, the built-in
//! default applies.

use super::letter;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes, Entity};
use crate::domain::kernel::FieldErrors;
use sqlx::PgConnection;

/// The longest template kept.
pub const MAX: usize = 50_000;

#[derive(Debug, Clone)]
pub struct Template {
    pub body: String,
    /// 0 while the built-in default applies.
    pub version: i32,
}

pub async fn read(conn: &mut PgConnection) -> Result<Template, sqlx::Error> {
    let saved: Option<(String, i32)> =
        sqlx::query_as("select body, version from offer_letter_template")
            .fetch_optional(conn)
            .await?;
    Ok(match saved {
        Some((body, version)) => Template { body, version },
        None => Template {
            body: letter::DEFAULT_TEMPLATE.to_owned(),
            version: 0,
        },
    })
}

/// Saves the template over `version` (the one the form was loaded with).
pub async fn save(
    conn: &mut PgConnection,
    actor: &Actor,
    body: &str,
    version: i32,
) -> Result<(), Error> {
    let mut e = FieldErrors::default();
    let body = crate::domain::kernel::required_text(
        &mut e,
        "body",
        body,
        MAX,
        "Write the letter: an empty one cannot be sent.",
    );
    if e.is_empty()
        && let Err(problems) = letter::check(&body)
    {
        e.add("body", problems.join(" "));
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let before = read(&mut *conn).await?;
    if before.version != version {
        return Err(Error::refused(
            "Someone saved the template since you opened it: open it again to see their change.",
        ));
    }
    sqlx::query(
        "insert into offer_letter_template (body, version, updated_by) values ($1, 1, $2)
         on conflict (id) do update set body = excluded.body, version = offer_letter_template.version + 1,
                updated_by = excluded.updated_by, updated_at = now()",
    )
    .bind(&body)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    let c = Changes::new().field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::OfferLetterSaved,
        Entity::OfferLetter,
        None,
        c,
    )
    .await?;
    Ok(())
}
