//! The signed-in user as every page needs them: who they are, their roles
//! and time zone, and the counts their badges show. Read beside the session
//! when it loads, or alone when it did not bring them.

use uuid::Uuid;

/// The signed-in user's row as one JSON object, over `users u`, with the
/// badge counts taken up to `$2` (the web's `BADGE_LIMIT`) and the catalog's version. A macro so that the
/// session load (which reads it beside the session, see
/// `crate::auth::session_store`) and [`row`] share one text and
/// both stay `&'static str`.
#[macro_export]
macro_rules! signed_in_user {
    () => {
        concat!(
            "jsonb_build_object(
            'id', u.id, 'email', u.email, 'full_name', u.full_name, 'roles', u.roles,
            'time_zone', u.time_zone,
            'pending_approvals', (select count(*) from (",
            $crate::domain::approval::waiting_for!("u.id", "limit $2"),
            "limit $2) waiting),
            'unread_notifications', (select count(*) from (select from notifications n
                                       where n.user_id = u.id and n.read_at is null limit $2) unread),
            'catalog_version', (select version from catalog_version))"
        )
    };
}

#[derive(serde::Deserialize)]
pub struct SignedInRow {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub roles: Vec<String>,
    pub time_zone: String,
    pub pending_approvals: i64,
    pub unread_notifications: i64,
    pub catalog_version: i64,
}

/// The row of an active user, badge counts taken up to `badge_limit`.
pub async fn row(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    badge_limit: i64,
) -> Result<Option<SignedInRow>, sqlx::Error> {
    let json: Option<sqlx::types::Json<SignedInRow>> = sqlx::query_scalar(concat!(
        "select ",
        crate::signed_in_user!(),
        " from users u where u.id = $1 and u.deactivated_at is null"
    ))
    .bind(user_id)
    .bind(badge_limit)
    .fetch_optional(conn)
    .await?;
    Ok(json.map(|j| j.0))
}
