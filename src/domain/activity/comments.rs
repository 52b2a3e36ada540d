//! Comment threads on any subject (requirements today; offers, and
//! candidates once they are a kind, with the same functions): Markdown written by people who
//! may see the subject, edited and deleted by their author or an admin,
//! every change audited, and `@handle` mentions told to the person named.

use crate::domain::Error;
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::approval::subject::{SubjectKind, SubjectRef};
use crate::domain::kernel::FieldErrors;
use crate::domain::messaging::Letters;
use chrono::{DateTime, Utc};
use pulldown_cmark::{Event as Md, Parser, Tag, TagEnd};
use sqlx::PgConnection;
use uuid::Uuid;

/// The longest comment, in characters (the table checks it too).
pub const MAX_BODY: usize = 10_000;

/// A comment's text, trimmed, not empty, not too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub fn parse(input: &str) -> Result<Body, FieldErrors> {
        let mut errors = FieldErrors::default();
        let body = crate::domain::kernel::required_text(
            &mut errors,
            "body",
            input,
            MAX_BODY,
            "Write something first.",
        );
        errors.into_result(|| Body(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One comment as a thread shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: Uuid,
    pub subject_type: SubjectKind,
    pub subject_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Comment {
    pub fn subject(&self) -> SubjectRef {
        SubjectRef::new(self.subject_type, self.subject_id)
    }

    /// Its author may change it, and admins (to remove what should not be
    /// there); nobody else.
    pub fn editable_by(&self, user: Uuid, roles: &[Role]) -> bool {
        self.author_id == user || allows(roles, Permission::ModerateComments)
    }

    pub fn edited(&self) -> bool {
        self.version > 1
    }
}

macro_rules! comment_select {
    () => {
        "select c.id, c.subject_type, c.subject_id, c.author_id, u.full_name as author_name,
        c.body, c.created_at, c.updated_at, c.version
   from comments c join users u on u.id = c.author_id "
    };
}

/// The live comments on `subject`, oldest first.
pub async fn thread(
    conn: &mut PgConnection,
    subject: SubjectRef,
) -> Result<Vec<Comment>, sqlx::Error> {
    sqlx::query_as(concat!(
        comment_select!(),
        "where c.subject_type = $1 and c.subject_id = $2 and c.deleted_at is null
         order by c.created_at, c.id"
    ))
    .bind(subject.kind)
    .bind(subject.id)
    .fetch_all(conn)
    .await
}

/// A comment that has not been deleted.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Comment>, sqlx::Error> {
    sqlx::query_as(concat!(
        comment_select!(),
        "where c.id = $1 and c.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Whether a person (by id, with roles) may see a subject.
pub type MaySee = dyn Fn(Uuid, &[Role]) -> bool + Send + Sync;

/// Whom a mention may reach and what they are told.
pub struct Mentioning<'a> {
    pub mail: &'a dyn Letters,
    /// The subject as a line names it, e.g. "HH-2026-0042 Platform engineer".
    pub about: String,
    /// Where its thread is read: mentions link there.
    pub link: String,
    /// Whether a person may see the subject: only they are told of it (a
    /// confidential requirement stays unknown to the others).
    pub may_see: Box<MaySee>,
}

/// Adds a comment by `actor` (who must be signed in) and tells those it
/// mentions.
pub async fn add(
    conn: &mut PgConnection,
    actor: &Actor,
    subject: SubjectRef,
    body: &str,
    mentioning: &Mentioning<'_>,
) -> Result<Uuid, Error> {
    let author = actor.user_id.ok_or(Error::Forbidden)?;
    let body = Body::parse(body)?;
    let id: Uuid = sqlx::query_scalar(
        "insert into comments (subject_type, subject_id, author_id, body)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(subject.kind)
    .bind(subject.id)
    .bind(author)
    .bind(body.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let changes = body_change(
        Changes::new()
            .created("subject_type", &subject.kind.as_str())
            .created("subject_id", &subject.id),
        subject,
        None,
        Some(body.as_str()),
    )
    .created("version", &1);
    audit::record(
        conn,
        actor,
        audit::Action::CommentCreated,
        audit::Entity::Comment,
        Some(id),
        changes,
    )
    .await?;
    tell_mentioned(conn, author, subject, &mentions(body.as_str()), mentioning).await?;
    Ok(id)
}

/// Saves an edit made on `version` of the comment; tells only the people
/// the edit newly mentions (the others were told when first mentioned).
pub async fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &Comment,
    version: i32,
    body: &str,
    mentioning: &Mentioning<'_>,
) -> Result<(), Error> {
    let author = actor.user_id.ok_or(Error::Forbidden)?;
    let body = Body::parse(body)?;
    let subject = before.subject();
    let done = sqlx::query(
        "update comments set body = $3, version = version + 1, updated_at = now()
          where id = $1 and version = $2 and deleted_at is null",
    )
    .bind(before.id)
    .bind(version)
    .bind(body.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::Comment, before.id, version).await);
    }
    let changes = body_change(
        Changes::new(),
        subject,
        Some(before.body.as_str()),
        Some(body.as_str()),
    )
    .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::CommentEdited,
        audit::Entity::Comment,
        Some(before.id),
        changes,
    )
    .await?;
    let already = mentions(&before.body);
    let new: Vec<String> = mentions(body.as_str())
        .into_iter()
        .filter(|h| !already.contains(h))
        .collect();
    tell_mentioned(conn, author, subject, &new, mentioning).await?;
    Ok(())
}

/// Deletes (softly) a comment; the audit row keeps what it said (but of
/// a comment about a candidate, see `body_change`).
pub async fn delete(conn: &mut PgConnection, actor: &Actor, c: &Comment) -> Result<(), Error> {
    let done =
        sqlx::query("update comments set deleted_at = now() where id = $1 and deleted_at is null")
            .bind(c.id)
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    let changes = body_change(Changes::new(), c.subject(), Some(c.body.as_str()), None);
    audit::record(
        conn,
        actor,
        audit::Action::CommentDeleted,
        audit::Entity::Comment,
        Some(c.id),
        changes,
    )
    .await?;
    Ok(())
}

/// What the log keeps of a comment's text: of one about a candidate, only
/// that it changed (see [`Changes::personal`]).
fn body_change(
    changes: Changes,
    subject: SubjectRef,
    before: Option<&str>,
    after: Option<&str>,
) -> Changes {
    if subject.kind == SubjectKind::Candidate {
        changes.personal("body", before != after)
    } else {
        changes.field("body", &before, &after)
    }
}

/// Tells the active people behind `handles` who may see the subject, but
/// never the author of their own mention. Unknown handles are ignored: an
/// `@` in prose is not an error.
async fn tell_mentioned(
    conn: &mut PgConnection,
    author: Uuid,
    subject: SubjectRef,
    handles: &[String],
    mentioning: &Mentioning<'_>,
) -> Result<(), Error> {
    if handles.is_empty() {
        return Ok(());
    }
    #[derive(sqlx::FromRow)]
    struct Person {
        id: Uuid,
        roles: Vec<String>,
    }
    let people: Vec<Person> = sqlx::query_as(
        "select id, roles from users
          where handle = any($1) and deactivated_at is null and id <> $2",
    )
    .bind(handles)
    .bind(author)
    .fetch_all(&mut *conn)
    .await?;
    let to: Vec<Uuid> = people
        .into_iter()
        .filter(|p| {
            let roles: Vec<Role> = p.roles.iter().filter_map(|r| Role::parse(r)).collect();
            (mentioning.may_see)(p.id, &roles)
        })
        .map(|p| p.id)
        .collect();
    if to.is_empty() {
        return Ok(());
    }
    let author_name: String = sqlx::query_scalar("select full_name from users where id = $1")
        .bind(author)
        .fetch_one(&mut *conn)
        .await?;
    let notice = Notice {
        event: Event::Mention,
        subject_type: subject.kind.as_str(),
        subject_id: subject.id,
        text: format!("{author_name} mentioned you on {}", mentioning.about),
        link: mentioning.link.clone(),
        actor: Some(author),
    };
    notify::tell(conn, mentioning.mail, &notice, &to).await
}

/// A person to mention, as the suggestions list them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mentionable {
    pub id: Uuid,
    pub full_name: String,
    pub handle: String,
    pub roles: Vec<String>,
}

impl Mentionable {
    pub fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| Role::parse(r)).collect()
    }
}

/// Active people whose handle or a word of whose name starts with `prefix`,
/// by name (a few more than shown, for the caller to filter).
pub async fn mentionable(
    conn: &mut PgConnection,
    prefix: &str,
    limit: i64,
) -> Result<Vec<Mentionable>, sqlx::Error> {
    if prefix.contains('\0') {
        // No handle or name holds one (and PostgreSQL text cannot).
        return Ok(Vec::new());
    }
    let escaped = crate::domain::kernel::like_escaped(&prefix.to_lowercase());
    sqlx::query_as(
        "select id, full_name, handle, roles from users
          where deactivated_at is null
            and (handle like $1 || '%' or lower(full_name) like $1 || '%'
                 or lower(full_name) like '% ' || $1 || '%')
          order by lower(full_name), handle limit $2",
    )
    .bind(escaped)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Whether `c` may be part of a handle.
fn handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.'
}

/// The handles `@mentioned` in a Markdown body, lower-cased, first
/// occurrence first, each once. Code spans and blocks are quoted text, not
/// mentions; neither is an email address (an `@` right after a letter,
/// digit or dot). A handle ends before a trailing dot ("thanks @hana.").
pub fn mentions(body: &str) -> Vec<String> {
    // The prose outside code, with a line break wherever Markdown structure
    // (or code) interrupts it, so "`x`@y" and "**a**@b" stay apart.
    let mut prose = String::new();
    let mut in_code_block = false;
    for event in Parser::new(body) {
        match event {
            Md::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Md::End(TagEnd::CodeBlock) => in_code_block = false,
            Md::Text(text) if !in_code_block => prose.push_str(&text),
            _ => prose.push('\n'),
        }
    }
    let mut found: Vec<String> = Vec::new();
    let mut previous = None;
    for (i, c) in prose.char_indices() {
        if c == '@' && !previous.is_some_and(handle_char) {
            let rest = &prose[i + 1..];
            let end = rest.find(|c: char| !handle_char(c)).unwrap_or(rest.len());
            let handle = rest[..end].trim_end_matches('.').to_ascii_lowercase();
            let well_formed =
                !handle.is_empty() && !handle.starts_with('.') && !handle.contains("..");
            if well_formed && !found.contains(&handle) {
                found.push(handle);
            }
        }
        previous = Some(c);
    }
    found
}

/// The handle being typed just before `caret` (a char offset into `text`):
/// the letters after the last `@` there, when nothing but handle characters
/// follow it. What the mention suggestions are for.
pub fn typing_handle(text: &str, caret: usize) -> Option<String> {
    let before: String = text.chars().take(caret).collect();
    let at = before.rfind('@')?;
    let partial = &before[at + 1..];
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !handle_char(c));
    (starts_word && partial.chars().all(handle_char)).then(|| partial.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_a_handle_is_the_word_after_the_last_at() {
        assert_eq!(typing_handle("hi @ha", 6).as_deref(), Some("ha"));
        assert_eq!(typing_handle("hi @", 4).as_deref(), Some(""));
        assert_eq!(typing_handle("hi @ha there", 12), None);
        assert_eq!(typing_handle("mail a@b", 8), None);
        assert_eq!(typing_handle("@Ha and more", 3).as_deref(), Some("ha"));
        assert_eq!(typing_handle("no at", 5), None);
    }
}
