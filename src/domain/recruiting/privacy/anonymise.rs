//! Anonymising a candidate: on the daily run when their data is past its
//! date, or at once when an admin erases them on request. What identifies
//! them goes (name, contacts, links, tags, files and their text, cover
//! letters, comments, scorecards and interview notes, notifications and
//! mails about them, merges that could bring it back); ids, stages and dates stay, so reports stay correct. The
//! audit log never held their personal data (`Changes::personal`).

use super::super::candidate::CandidateId;
use super::super::files::Store;
use super::anonymised_name;
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use sqlx::PgConnection;
use uuid::Uuid;

/// Why a candidate was anonymised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Their data was past its date.
    Expired,
    /// An admin erased them on request.
    Erased,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::Expired => "past its date",
            Why::Erased => "erased on request",
        }
    }
}

/// What an erasure removes, counted for the confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Removes {
    pub emails: i64,
    pub applications: i64,
    pub files: i64,
    pub comments: i64,
    pub mails: i64,
    pub merged: i64,
}

/// The records one person is: the candidate `$1` and those merged into it
/// (recursively), whose data went to it and goes with it. A macro, so
/// queries can `concat!` it into `&'static str` SQL.
macro_rules! records {
    () => {
        "with recursive records (id) as (
            select $1::uuid
            union select c.id from candidates c join records r on c.merged_into = r.id) "
    };
}
pub(super) use records;

/// Mail about the person (`o`): sent to one of their addresses, about one
/// of their applications, or linking to one of their records, their
/// interviews, offers or onboardings (the notices about those name them).
/// Each list is read once, not per mail: checking every mail against the
/// interviews and offers row by row read 120,000 buffers for one person
/// with 6,000 mails kept (0.75 s).
macro_rules! about {
    () => {
        "(lower(o.to_address) in (select lower(email) from candidate_emails
                                   where candidate_id in (select id from records))
          or o.application_id in (select id from applications
                                   where candidate_id in (select id from records))
          or o.body_text like any (array(
                 select '%' || id::text || '%' from records
                 union all
                 select '%' || i.id::text || '%' from interviews i join applications a on a.id = i.application_id
                  where a.candidate_id in (select id from records)
                 union all
                 select '%' || f.id::text || '%' from offers f join applications a on a.id = f.application_id
                  where a.candidate_id in (select id from records)
                 union all
                 select '%' || b.id::text || '%' from onboardings b join offers f on f.id = b.offer_id
                   join applications a on a.id = f.application_id
                  where a.candidate_id in (select id from records))))"
    };
}

/// What anonymising the candidate would remove.
pub async fn removes(conn: &mut PgConnection, id: CandidateId) -> Result<Removes, sqlx::Error> {
    sqlx::query_as(concat!(
        records!(),
        "select (select count(*) from candidate_emails where candidate_id in (select id from records)) as emails,
                (select count(*) from applications where candidate_id in (select id from records)) as applications,
                (select count(*) from file_attachments where candidate_id in (select id from records)) as files,
                (select count(*) from comments where subject_type = 'candidate'
                   and subject_id in (select id from records) and deleted_at is null) as comments,
                (select count(*) from outbox o where ",
        about!(),
        ") as mails,
                (select count(*) - 1 from records) as merged"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Anonymises the candidate (and the records merged into it) in `conn`'s
/// transaction. Their stored files nobody else holds are queued for the
/// store: call [`forget_files`] once the transaction commits. Nothing to do
/// for one anonymised already.
pub async fn anonymise(
    conn: &mut PgConnection,
    actor: &Actor,
    id: CandidateId,
    why: Why,
) -> Result<(), Error> {
    // Their files' contents first, then them: the order the text job takes
    // them in (`files::read_text`). The other way round, anonymising while
    // one of their files was read deadlocked with it.
    sqlx::query(concat!(
        records!(),
        "select from file_blobs
          where sha256 in (select sha256 from file_attachments where candidate_id in (select id from records))
          order by sha256 for update"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let found: Option<bool> = sqlx::query_scalar(
        "select anonymised_at is not null from candidates where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        None => return Err(Error::NotFound),
        Some(true) => return Ok(()),
        Some(false) => {}
    }
    let records: Vec<Uuid> = sqlx::query_scalar(concat!(records!(), "select id from records"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let applications: Vec<Uuid> =
        sqlx::query_scalar("select id from applications where candidate_id = any($1)")
            .bind(&records)
            .fetch_all(&mut *conn)
            .await?;
    // Mail first: it is found by their addresses.
    sqlx::query(concat!(records!(), "delete from outbox o where ", about!()))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "delete from apply_attempts where lower(email) in
           (select lower(email) from candidate_emails where candidate_id = any($1))",
    )
    .bind(&records)
    .execute(&mut *conn)
    .await?;
    for sql in [
        "delete from candidate_emails where candidate_id = any($1)",
        "delete from candidate_tokens where candidate_id = any($1)",
        "delete from candidate_merges where kept_id = any($1) or merged_id = any($1)",
        "delete from comments where subject_type = 'candidate' and subject_id = any($1)",
        "delete from notifications where subject_id = any($1)",
    ] {
        sqlx::query(sql).bind(&records).execute(&mut *conn).await?;
    }
    for sql in [
        "delete from notifications where subject_id = any($1)
            or subject_id in (select id from interviews where application_id = any($1))",
        // What the panel wrote about them, and for them.
        "delete from scorecards where interview_id in
            (select id from interviews where application_id = any($1))",
        "update interviews set notes = '' where application_id = any($1)",
        // Their offers keep their terms (reports count them), not what
        // names them: the letters, the name they signed, where from.
        "delete from notifications where subject_id in (select id from offers where application_id = any($1))",
        "update offer_versions v set letter = '', letter_pdf = null
           from offers o where o.id = v.offer_id and o.application_id = any($1)",
        "update offers set signed_name = null, answer_reason = null, answer_ip = null, answer_agent = null
          where application_id = any($1)",
    ] {
        sqlx::query(sql)
            .bind(&applications)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "update applications set cover_letter = '', rejection_note = null,
                version = version + 1, updated_at = now()
          where id = any($1)",
    )
    .bind(&applications)
    .execute(&mut *conn)
    .await?;
    sqlx::query("update openings set hire_name = $2 where application_id = any($1)")
        .bind(&applications)
        .bind(anonymised_name(id))
        .execute(&mut *conn)
        .await?;
    drop_files(&mut *conn, &records).await?;
    for record in &records {
        sqlx::query(
            "update candidates
                set full_name = $2, phone = '', location = '', links = '{}', source_detail = '',
                    tags = '{}', skills = '{}', consent_given_at = null, consent_until = null,
                    consent_asked_at = null, legal_hold = null, search = ''::tsvector,
                    anonymised_at = now(), version = version + 1, updated_at = now()
              where id = $1",
        )
        .bind(record)
        .bind(anonymised_name(CandidateId::new(*record)))
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        actor,
        audit::Action::CandidateAnonymised,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new()
            .created("why", &why.as_str())
            .created("records", &records.len()),
    )
    .await?;
    Ok(())
}

/// Removes the records' files, queueing for the store the contents nobody
/// else holds (a file is stored once however many attach it).
async fn drop_files(conn: &mut PgConnection, records: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with dropped as (
             delete from file_attachments where candidate_id = any($1) returning sha256),
         orphans as (
             select distinct d.sha256 from dropped d
              where not exists (select from file_attachments f
                                 where f.sha256 = d.sha256 and not (f.candidate_id = any($1)))),
         gone as (
             delete from file_blobs b using orphans o where b.sha256 = o.sha256 returning b.sha256)
         insert into forgotten_files (sha256) select sha256 from gone on conflict do nothing",
    )
    .bind(records)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes from the store the contents anonymising queued, unless the same
/// file was uploaded again since. Run after the anonymising transaction
/// commits, and by the daily run for what a crash left. A store that
/// fails keeps the rest queued for the next time.
///
/// Each content is deleted holding its queue row: an upload of the same
/// file takes that row off the queue in the transaction that stores it
/// again (see `files::attach`), so it waits for a deletion under way, or
/// the deletion waits for it and then finds it no longer queued. Checked
/// only for its row, an upload could store the file between the check
/// and the deletion, and be left listed with nothing behind it.
pub async fn forget_files(conn: &mut PgConnection, store: &dyn Store) -> Result<usize, Error> {
    use sqlx::Connection as _;
    let keys: Vec<String> = sqlx::query_scalar(
        "select f.sha256 from forgotten_files f
          where not exists (select from file_blobs b where b.sha256 = f.sha256)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut forgotten = 0;
    for key in &keys {
        let mut tx = conn.begin().await?;
        let queued: Option<String> = sqlx::query_scalar(
            "select f.sha256 from forgotten_files f
              where f.sha256 = $1 and not exists (select from file_blobs b where b.sha256 = f.sha256)
                for update of f",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if queued.is_none() {
            tx.rollback().await?;
            continue;
        }
        store.delete(key).await.map_err(Error::Internal)?;
        sqlx::query("delete from forgotten_files where sha256 = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        forgotten += 1;
    }
    sqlx::query(
        "delete from forgotten_files f where exists (select from file_blobs b where b.sha256 = f.sha256)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(forgotten)
}
