//! Candidates' files: an upload checked (its type sniffed from the content,
//! its size limited), stored once per content through the [`Store`], its
//! text read by a background job and searched with the candidate's.

use super::candidate::{self, CandidateId};
use super::document::{self, Kind};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::id::Id;
use crate::domain::kernel::FieldErrors;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// Where files' contents live (a directory, or an S3 bucket), named by
/// their sha256. The app implements it (`crate::storage`); the domain only
/// puts and gets.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), crate::BoxError>;
    async fn get(&self, key: &str) -> Result<Bytes, crate::BoxError>;
    /// Deletes the content; one already gone is no error.
    async fn delete(&self, key: &str) -> Result<(), crate::BoxError>;
}

/// Whether a file's text has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextState {
    Pending,
    Done,
    Failed,
}

impl TextState {
    pub fn as_str(self) -> &'static str {
        match self {
            TextState::Pending => "pending",
            TextState::Done => "done",
            TextState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<TextState> {
        [TextState::Pending, TextState::Done, TextState::Failed]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

crate::text_enum!(TextState);

pub type FileId = Id<File>;

/// One uploaded file as the profile lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct File {
    pub id: FileId,
    pub candidate_id: Option<CandidateId>,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub kind: Kind,
    pub text_state: TextState,
    /// The start of its text, for the preview.
    pub preview: Option<String>,
    pub pages: Option<i32>,
    pub uploaded_by: Option<Uuid>,
    pub uploaded_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl File {
    /// Its text is still being read.
    pub fn reading(&self) -> bool {
        self.text_state == TextState::Pending
    }

    /// Its text could not be read (a damaged file).
    pub fn unreadable(&self) -> bool {
        self.text_state == TextState::Failed
    }

    /// Read, and nothing found in it: a scan (an image of text).
    pub fn no_text(&self) -> bool {
        self.text_state == TextState::Done && self.preview.as_deref().is_none_or(str::is_empty)
    }

    /// "240 KB", "1.5 MB".
    pub fn size_label(&self) -> String {
        size_label(self.size)
    }
}

/// A size as people read it.
pub fn size_label(bytes: i64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} bytes"),
        b if b < 1_000_000 => format!("{} KB", b / 1_000),
        b => format!("{:.1} MB", b as f64 / 1_000_000.0),
    }
}

// The preview is the text's first 3,000 characters: a page or so.
macro_rules! file_select {
    () => {
        "select f.id, f.candidate_id, f.name, f.sha256, b.size, b.kind, b.text_state,
                left(b.text, 3000) as preview, b.pages, f.uploaded_by, u.full_name as uploaded_by_name,
                f.created_at
           from file_attachments f
           join file_blobs b on b.sha256 = f.sha256
           left join users u on u.id = f.uploaded_by "
    };
}

/// The candidate's files, newest first.
pub async fn of_candidate(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<Vec<File>, sqlx::Error> {
    sqlx::query_as(concat!(
        file_select!(),
        "where f.candidate_id = $1 and f.deleted_at is null order by f.created_at desc"
    ))
    .bind(candidate)
    .fetch_all(conn)
    .await
}

pub async fn find(conn: &mut PgConnection, id: FileId) -> Result<Option<File>, sqlx::Error> {
    sqlx::query_as(concat!(
        file_select!(),
        "where f.id = $1 and f.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// An upload, checked: what it is (sniffed), its digest and a safe name.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Bytes,
    pub kind: Kind,
    pub sha256: String,
}

impl Upload {
    /// Checks an uploaded file against the accepted kinds (by content) and
    /// `max` bytes; the problem beside the `file` field otherwise.
    pub fn parse(name: &str, bytes: Bytes, max: usize) -> Result<Upload, FieldErrors> {
        let refuse = |m: String| Err(FieldErrors::one("file", m));
        if bytes.is_empty() {
            return refuse("Choose a file to upload.".into());
        }
        if bytes.len() > max {
            return refuse(format!(
                "This file is {}; the limit is {}.",
                size_label(bytes.len() as i64),
                size_label(max as i64)
            ));
        }
        let Some(kind) = document::sniff(&bytes) else {
            return refuse(
                "Only PDF, Word (DOCX), OpenDocument text, RTF and plain text files are \
                 accepted, and this file is none of them (whatever its name says)."
                    .into(),
            );
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Upload {
            name: safe_name(name, kind),
            bytes,
            kind,
            sha256,
        })
    }
}

/// The name as uploaded without any folder, control character or NUL, at
/// most 200 characters; "resume.pdf" when nothing is left.
fn safe_name(name: &str, kind: Kind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        format!("resume.{}", kind.as_str())
    } else {
        clean
    }
}

/// Stores the upload's content (once, whoever uploaded it before) and
/// records the upload for `candidate` (none yet: for a candidate being
/// added from it, used by its uploader only). A new content's text is read
/// by a job queued in the caller's transaction.
pub async fn attach(
    conn: &mut PgConnection,
    store: &dyn Store,
    actor: &Actor,
    candidate: Option<CandidateId>,
    upload: &Upload,
) -> Result<FileId, Error> {
    // Before the content is stored: none of it is kept for them.
    if let Some(c) = candidate {
        candidate::takes_data_unheld(&mut *conn, c).await?;
    }
    // Whether this upload brings the content first: its row is inserted
    // (and its text job queued) here, and the content stored before that
    // row is committed, so a content stored for an upload that then failed
    // is only unused, never missing. Else it is shared as below. A content
    // an erasure queued for deletion is taken off the queue with it:
    // holding that row, a deletion under way finishes first, and none
    // starts (see `anonymise::forget_files`).
    let first = sqlx::query(
        "with unqueued as (delete from forgotten_files where sha256 = $1)
         insert into file_blobs (sha256, size, kind) values ($1, $2, $3) on conflict do nothing",
    )
    .bind(&upload.sha256)
    .bind(upload.bytes.len() as i64)
    .bind(upload.kind)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    // Stored while the rest is recorded: storing waits on the disk (the
    // store syncs), recording on the database, and the caller commits
    // only once both are done. Both run to their end (a statement cut off
    // halfway would leave the connection mid-answer).
    let stored = async {
        if first {
            store.put(&upload.sha256, upload.bytes.clone()).await
        } else {
            Ok(())
        }
    };
    let (stored, recorded) = tokio::join!(stored, record(conn, actor, candidate, upload, first));
    stored.map_err(Error::Internal)?;
    recorded
}

/// The rest of [`attach`]'s rows, once the content's row is in (`first`:
/// inserted by this upload).
async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    candidate: Option<CandidateId>,
    upload: &Upload,
    first: bool,
) -> Result<FileId, Error> {
    if first {
        jobs::enqueue_extract(&mut *conn, &upload.sha256).await?;
    } else {
        share(&mut *conn, &upload.sha256).await?;
    }
    let id: Option<FileId> = sqlx::query_scalar(
        "insert into file_attachments (sha256, candidate_id, name, uploaded_by)
         values ($1, $2, $3, $4)
         on conflict (candidate_id, sha256) where candidate_id is not null and deleted_at is null
         do nothing
         returning id",
    )
    .bind(&upload.sha256)
    .bind(candidate)
    .bind(&upload.name)
    .bind(actor.user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        let name: String = sqlx::query_scalar(
            "select name from file_attachments where candidate_id = $1 and sha256 = $2 and deleted_at is null",
        )
        .bind(candidate)
        .bind(&upload.sha256)
        .fetch_one(&mut *conn)
        .await?;
        return Err(Error::field(
            "file",
            format!("This file is attached already, as “{name}”."),
        ));
    };
    if let Some(c) = candidate {
        if !first {
            candidate::reindex(&mut *conn, c).await?;
        }
        added(conn, actor, c).await?;
    }
    Ok(id)
}

/// Gives a file uploaded before its candidate existed to that candidate.
pub async fn give(
    conn: &mut PgConnection,
    actor: &Actor,
    file: FileId,
    to: CandidateId,
) -> Result<(), Error> {
    let name: Option<String> = sqlx::query_scalar(
        "update file_attachments f set candidate_id = $2
          where f.id = $1 and f.candidate_id is null and f.uploaded_by = $3 and f.deleted_at is null
            and not exists (select from file_attachments o
                             where o.candidate_id = $2 and o.sha256 = f.sha256 and o.deleted_at is null)
          returning name",
    )
    .bind(file)
    .bind(to)
    .bind(actor.user_id)
    .fetch_optional(&mut *conn)
    .await?;
    match name {
        Some(_) => {
            let sha256: String =
                sqlx::query_scalar("select sha256 from file_attachments where id = $1")
                    .bind(file)
                    .fetch_one(&mut *conn)
                    .await?;
            share(&mut *conn, &sha256).await?;
            candidate::reindex(&mut *conn, to).await?;
            added(conn, actor, to).await
        }
        // Theirs already (the candidate was known and had it).
        None => Ok(()),
    }
}

/// Locks the stored content against the text job's update until the
/// caller commits. A candidate's search is computed from their files'
/// text: locked, either the job saved the text first (and the caller's
/// reindex reads it), or it waits and then reindexes every candidate with
/// the file, this one included.
async fn share(conn: &mut PgConnection, sha256: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select from file_blobs where sha256 = $1 for share")
        .bind(sha256)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that the candidate has a new file.
async fn added(
    conn: &mut PgConnection,
    actor: &Actor,
    candidate: CandidateId,
) -> Result<(), Error> {
    audit::record(
        conn,
        actor,
        audit::Action::CandidateFileAdded,
        audit::Entity::Candidate,
        Some(candidate.uuid()),
        Changes::new().personal("file", true),
    )
    .await?;
    Ok(())
}

/// The content of a file, from the store.
pub async fn content(store: &dyn Store, file: &File) -> Result<Bytes, Error> {
    store.get(&file.sha256).await.map_err(Error::Internal)
}

/// The thread files are read on: one, at the lowest CPU priority. Reading
/// a resume can wait; the pages served meanwhile cannot (a burst of
/// uploads otherwise has their reading take a core from the requests).
static READERS: std::sync::LazyLock<crate::threads::Pool> =
    std::sync::LazyLock::new(|| crate::threads::Pool::start("extract", 1, 19));

/// The background job's work: reads the text of the content with this
/// digest, keeps it, and lets search find its candidates by it. The
/// reading runs on [`READERS`] (it is CPU work).
pub async fn read_text(
    conn: &mut PgConnection,
    store: &dyn Store,
    sha256: &str,
) -> Result<(), crate::BoxError> {
    let kind: Option<Kind> = sqlx::query_scalar(
        "select kind from file_blobs where sha256 = $1 and text_state = 'pending'",
    )
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(kind) = kind else {
        return Ok(());
    };
    let bytes = store.get(sha256).await?;
    let read = READERS.run(move || document::extract(kind, &bytes)).await?;
    let (state, text, pages) = match read {
        Ok(e) => (TextState::Done, Some(e.text), Some(e.pages as i32)),
        Err(e) => {
            tracing::warn!(%sha256, error = %e, "a file's text could not be read");
            (TextState::Failed, None, None)
        }
    };
    // The text and the search it feeds change together. Without waiting
    // for the disk: both can be read again from the file, and the job's
    // acknowledgement, committed after and waited for, makes them durable
    // with it (the log is flushed in order). Each upload's own commit then
    // no longer queues behind two more flushes.
    let mut tx = conn.begin().await?;
    sqlx::query("set local synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // Its words for candidate search, once per content (see
    // `candidate_search` in the migrations).
    sqlx::query(
        "update file_blobs set text_state = $2, text = $3, pages = $4,
                search = setweight(to_tsvector('simple', left($3, 400000)), 'D')
          where sha256 = $1",
    )
    .bind(sha256)
    .bind(state)
    .bind(text)
    .bind(pages)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update candidates set search = candidate_search(id)
          where id in (select candidate_id from file_attachments where sha256 = $1 and candidate_id is not null)",
    )
    .bind(sha256)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The addresses and the first phone number a text mentions, to fill in
/// a new candidate's form from their resume.
pub fn contacts(text: &str) -> (Vec<String>, Option<String>) {
    let mut emails: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c)) {
        let word = word.trim_matches('.');
        if let Ok(e) = crate::domain::org::user::Email::parse(word)
            && !emails.iter().any(|x| x == e.as_str())
        {
            emails.push(e.as_str().to_owned());
        }
    }
    let phone = text.lines().find_map(|line| {
        // A run of digits, spaces and + - ( ) . with 9 to 15 digits (fewer
        // are more likely years: "2019-2024").
        let mut best: Option<String> = None;
        let mut run = String::new();
        for c in line.chars().chain(std::iter::once('\n')) {
            if c.is_ascii_digit()
                || (" +-().".contains(c) && !run.is_empty())
                || (c == '+' && run.is_empty())
            {
                run.push(c);
            } else {
                let digits = run.chars().filter(char::is_ascii_digit).count();
                if (9..=15).contains(&digits) && best.is_none() {
                    best = Some(
                        run.trim()
                            .trim_end_matches(['-', '(', '.'])
                            .trim()
                            .to_owned(),
                    );
                }
                run.clear();
            }
        }
        best
    });
    (emails, phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_found_in_a_resume() {
        let text = "Ana Costa\nLisbon · +351 912 345 678 · ana.costa@mail.test\n\
                    Worked at Example (2019-2024), hr@example.com.";
        let (emails, phone) = contacts(text);
        assert_eq!(emails, ["ana.costa@mail.test", "hr@example.com"]);
        assert_eq!(phone.as_deref(), Some("+351 912 345 678"));
        assert_eq!(contacts("nothing here 2019-2024"), (Vec::new(), None));
    }

    #[test]
    fn an_upload_is_judged_by_its_content() {
        let exe = Bytes::from_static(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00");
        let e = Upload::parse("resume.pdf", exe, 1_000).unwrap_err();
        assert!(e.get("file").unwrap().contains("none of them"));
        let big = Bytes::from(vec![b'a'; 2_000]);
        let e = Upload::parse("notes.txt", big, 1_000).unwrap_err();
        assert_eq!(e.get("file"), Some("This file is 2 KB; the limit is 1 KB."));
        let text = Bytes::from_static(b"Ana Costa\nRust, PostgreSQL\n");
        let u = Upload::parse("C:\\Users\\ana\\..\\cv\u{0}.txt", text, 1_000).unwrap();
        assert_eq!(u.kind, Kind::Text);
        assert_eq!(u.name, "cv.txt");
        assert_eq!(u.sha256.len(), 64);
        assert_eq!(
            Upload::parse("../", Bytes::from_static(b"hello"), 10)
                .unwrap()
                .name,
            "resume.txt"
        );
    }
}
