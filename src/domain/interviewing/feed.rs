//! Each person's private calendar feed: their interviews from 30 days back
//! to 180 ahead, at an address only they are given. The address carries a
//! token derived from `SECRET_KEY`, the user and their feed's generation:
//! nothing secret is stored, and resetting the feed (the next generation)
//! revokes every address given before.

use super::calendar;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Action, Actor, Changes, Entity};
use chrono::{DateTime, Duration, Utc};
use ring::hmac;
use sqlx::PgConnection;
use uuid::Uuid;

fn token(secret: &[u8], user: Uuid, generation: i32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(
        &key,
        format!("calendar feed\0{user}\0{generation}").as_bytes(),
    );
    hex::encode(&tag.as_ref()[..20])
}

/// The feed's path for `user` (to put after the public address).
pub async fn path(conn: &mut PgConnection, secret: &[u8], user: Uuid) -> Result<String, Error> {
    let generation: i32 =
        sqlx::query_scalar("select calendar_feed_generation from users where id = $1")
            .bind(user)
            .fetch_one(conn)
            .await?;
    Ok(format!(
        "/calendar/{user}/{}.ics",
        token(secret, user, generation)
    ))
}

/// Revokes the user's feed address: the next one differs.
pub async fn reset(conn: &mut PgConnection, actor: &Actor, user: Uuid) -> Result<(), Error> {
    sqlx::query(
        "update users set calendar_feed_generation = calendar_feed_generation + 1 where id = $1",
    )
    .bind(user)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Action::CalendarFeedReset,
        Entity::User,
        Some(user),
        Changes::new(),
    )
    .await?;
    Ok(())
}

/// The feed behind `token` for `user`, as of `now`: None when the token
/// is not (or no longer) theirs, or they are deactivated.
pub async fn read(
    conn: &mut PgConnection,
    secret: &[u8],
    user: Uuid,
    token_given: &str,
    now: DateTime<Utc>,
    link: &(dyn Fn(&str) -> String + Sync),
) -> Result<Option<String>, Error> {
    #[derive(sqlx::FromRow)]
    struct Owner {
        full_name: String,
        calendar_feed_generation: i32,
    }
    let Some(owner) = sqlx::query_as::<_, Owner>(
        "select full_name, calendar_feed_generation from users
          where id = $1 and deactivated_at is null",
    )
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let expected = token(secret, user, owner.calendar_feed_generation);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        token_given.as_bytes(),
    )) {
        return Ok(None);
    }
    /// What the feed shows of an interview.
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        sequence: i32,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        round_name: String,
        location: String,
        notes: String,
        candidate_name: String,
        reference: String,
        title: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select i.id, i.sequence, i.starts_at, i.ends_at, i.round_name, i.location, i.notes,
                x.candidate_name, x.reference, x.title
           from interview_panel p
           join interviews i on i.id = p.interview_id
          cross join lateral (
                select c.full_name as candidate_name, r.reference, r.title
                  from applications a
                  join candidates c on c.id = a.candidate_id
                  join requirements r on r.id = a.requirement_id
                 where a.id = i.application_id and c.deleted_at is null and r.deleted_at is null
                -- A fence: each interview's application by its key. Joined
                -- freely, the planner hashes the whole applications table
                -- for a few hundred rows (10 times slower).
                offset 0) x
          where p.user_id = $1 and i.status in ('scheduled', 'completed')
            and i.starts_at >= $2 and i.starts_at < $3
          order by i.starts_at",
    )
    .bind(user)
    .bind(now - Duration::days(30))
    .bind(now + Duration::days(180))
    .fetch_all(&mut *conn)
    .await?;
    let events: Vec<calendar::Event> = rows
        .into_iter()
        .map(|i| {
            let kit = link(&format!("/interviews/{}", i.id));
            calendar::Event {
                id: i.id,
                sequence: i.sequence,
                starts_at: i.starts_at,
                ends_at: i.ends_at,
                summary: super::summary(&i.round_name, &i.candidate_name, &i.reference, &i.title),
                description: if i.notes.is_empty() {
                    format!("Interview kit: {kit}")
                } else {
                    format!("{}\n\nInterview kit: {kit}", i.notes)
                },
                location: i.location,
                url: Some(kit),
                cancelled: false,
                organizer: None,
                attendees: Vec::new(),
                stamp: now,
            }
        })
        .collect();
    Ok(Some(calendar::calendar(
        calendar::Method::Publish,
        &format!("Interviews of {}", owner.full_name),
        &events,
    )))
}
