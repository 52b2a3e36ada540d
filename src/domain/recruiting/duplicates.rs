//! Possible duplicates: people who may be the same person under two
//! records. The same address is the same person, always (see
//! `candidate::add`); the same phone, or the same name with a similar
//! address, only may be, so both profiles say so, with the reason.

use super::candidate::CandidateId;
use super::{Reach, within_reach};
use sqlx::PgConnection;

/// Another record that may be the same person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Possible {
    pub id: CandidateId,
    pub full_name: String,
    /// "the same phone number", "the same name and a similar email address".
    pub reason: String,
}

/// The records that may be the same person as candidate `id`, among those
/// `reach` sees. A phone matches on its last nine digits (a country code
/// or a leading zero aside); an address is similar when the parts before
/// the `@` are the same without dots, dashes, underscores and a `+tag`.
pub async fn of(
    conn: &mut PgConnection,
    reach: Reach,
    id: CandidateId,
) -> Result<Vec<Possible>, sqlx::Error> {
    sqlx::query_as(concat!(
        "with me as (select * from candidates where id = $4),
              found as (
                select c.id, 'the same phone number' as reason
                  from me join candidates c
                    on length(me.phone_digits) >= 7 and length(c.phone_digits) >= 7
                   and right(c.phone_digits, 9) = right(me.phone_digits, 9)
                 where c.id <> me.id and c.deleted_at is null
                union all
                -- Through the index of addresses' similar forms: the few
                -- with a similar address, then those of them of the same name.
                select distinct c.id, 'the same name and a similar email address'
                  from candidate_emails mine
                  join candidate_emails e on email_local(e.email) = email_local(mine.email)
                  join candidates c on c.id = e.candidate_id
                  join me on lower(c.full_name) = lower(me.full_name)
                 where mine.candidate_id = $4 and c.id <> me.id and c.deleted_at is null)
         select c.id, c.full_name, string_agg(f.reason, ', ' order by f.reason desc) as reason
           from found f join candidates c on c.id = f.id
          where ",
        within_reach!(),
        " group by c.id, c.full_name order by c.full_name limit 20"
    ))
    .bind(reach.user)
    .bind(reach.all)
    .bind(reach.own)
    .bind(id)
    .fetch_all(conn)
    .await
}
