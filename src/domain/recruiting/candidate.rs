//! A candidate: the person, whatever they apply for. Their addresses are
//! theirs alone (case-insensitive): adding someone again with a known
//! address finds the person already here instead of making a second one.

use super::{Reach, within_reach};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::id::Id;
use crate::domain::kernel::{FieldErrors, optional_date, optional_text, required_text};
use crate::domain::org::user::{self, Email};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub type CandidateId = Id<Candidate>;

/// How a candidate (or one application) came to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    CareersPage,
    Referral,
    Agency,
    Sourced,
    JobBoard,
    Other,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Sourced,
        Source::Referral,
        Source::Agency,
        Source::JobBoard,
        Source::CareersPage,
        Source::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::CareersPage => "careers_page",
            Source::Referral => "referral",
            Source::Agency => "agency",
            Source::Sourced => "sourced",
            Source::JobBoard => "job_board",
            Source::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::CareersPage => "Careers page",
            Source::Referral => "Referral",
            Source::Agency => "Agency",
            Source::Sourced => "Sourced",
            Source::JobBoard => "Job board",
            Source::Other => "Other",
        }
    }
}

crate::text_enum!(Source);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub id: CandidateId,
    pub full_name: String,
    pub emails: Vec<String>,
    pub phone: String,
    pub location: String,
    pub links: Vec<String>,
    pub source: Source,
    pub referrer_id: Option<Uuid>,
    pub referrer_name: Option<String>,
    pub source_detail: String,
    pub tags: Vec<String>,
    pub skills: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub consent_given_at: Option<DateTime<Utc>>,
    pub consent_until: Option<NaiveDate>,
    pub legal_hold: Option<String>,
    pub anonymised_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Candidate {
    /// Only ids, stages and dates are left of them (see
    /// `privacy::anonymise`): nothing to edit, export or erase.
    pub fn anonymised(&self) -> bool {
        self.anonymised_at.is_some()
    }

    /// "Referral (Rita Referrer)", "Agency: Northwind Talent", "Sourced".
    pub fn source_line(&self) -> String {
        match (&self.referrer_name, self.source_detail.as_str()) {
            (Some(by), _) if self.source == Source::Referral => {
                format!("{} ({by})", self.source.label())
            }
            (_, "") => self.source.label().to_owned(),
            (_, detail) => format!("{}: {detail}", self.source.label()),
        }
    }
}

macro_rules! candidate_select {
    () => {
        "select c.id, c.full_name,
                array(select e.email from candidate_emails e where e.candidate_id = c.id
                       order by e.position, e.email) as emails,
                c.phone, c.location, c.links, c.source, c.referrer_id, rf.full_name as referrer_name,
                c.source_detail, c.tags, c.skills, c.owner_id, ow.full_name as owner_name,
                c.consent_given_at, c.consent_until, c.legal_hold, c.anonymised_at,
                c.created_at, c.updated_at, c.version
           from candidates c
           left join users rf on rf.id = c.referrer_id
           left join users ow on ow.id = c.owner_id "
    };
}

/// The candidate, if `reach` sees them; None otherwise, so that a page can
/// say "not found" without telling whether they exist.
pub async fn find(
    conn: &mut PgConnection,
    reach: Reach,
    id: CandidateId,
) -> Result<Option<Candidate>, sqlx::Error> {
    sqlx::query_as(concat!(
        candidate_select!(),
        "where c.id = $4 and c.deleted_at is null and ",
        within_reach!()
    ))
    .bind(reach.user)
    .bind(reach.all)
    .bind(reach.own)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Which of the profile's side panels have anything to show, and why the
/// candidate's data is kept. Most candidates have no offer, interview,
/// file, merge or open data request yet, and each panel is a statement of
/// its own: asking once which are empty saves the profile four round
/// trips. Each test is as wide as its panel's own read or wider, so a panel
/// is never skipped while it has rows.
#[derive(sqlx::FromRow)]
pub struct Panels {
    pub offers: bool,
    pub interviews: bool,
    pub files: bool,
    pub merges: bool,
    pub requests: bool,
    #[sqlx(flatten)]
    pub kept: super::privacy::KeptRow,
}

pub async fn panels(conn: &mut PgConnection, id: CandidateId) -> Result<Panels, sqlx::Error> {
    sqlx::query_as(concat!(
        "select exists (select from offers o join applications a on a.id = o.application_id
                         where a.candidate_id = c.id) as offers,
                exists (select from interviews i join applications a on a.id = i.application_id
                         where a.candidate_id = c.id) as interviews,
                exists (select from file_attachments f
                         where f.candidate_id = c.id and f.deleted_at is null) as files,
                exists (select from candidate_merges m
                         where m.kept_id = c.id and m.split_at is null) as merges,
                exists (select from data_requests d
                         where d.candidate_id = c.id and d.answered_at is null) as requests, ",
        super::privacy::kept_columns!(),
        " from candidates c where c.id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

/// The candidate form as typed: every field text, kept as it was when the
/// form comes back with problems.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CandidateForm {
    pub full_name: String,
    /// One or more addresses, one per line (or separated by commas).
    pub emails: String,
    pub phone: String,
    pub location: String,
    /// One per line.
    pub links: String,
    pub source: String,
    /// A person field: a name or an email, read into an id.
    pub referrer_id: String,
    pub source_detail: String,
    /// Comma-separated.
    pub tags: String,
    pub skills: String,
    /// A person field.
    pub owner_id: String,
    /// The checkbox: "on" when consent to keep their data was given.
    pub consent: Option<String>,
    pub consent_until: String,
    /// On a new candidate: the requirement they join at once, if any.
    pub requirement_id: String,
    /// On a new candidate: the resume they are added from (uploaded by the
    /// same person before).
    pub file_id: String,
    pub version: i32,
}

/// The longest value of each text field, shown in the form.
pub const NAME_MAX: usize = 200;
pub const PHONE_MAX: usize = 40;
pub const LOCATION_MAX: usize = 200;
pub const DETAIL_MAX: usize = 200;
const EMAILS_MAX: usize = 5;
const LINKS_MAX: usize = 10;
const LINK_MAX: usize = 500;
const TAGS_MAX: usize = 30;
pub const TAG_MAX: usize = 50;

/// A candidate's fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateFields {
    pub full_name: String,
    pub emails: Vec<Email>,
    pub phone: String,
    pub location: String,
    pub links: Vec<String>,
    pub source: Source,
    pub referrer_id: Option<Uuid>,
    pub source_detail: String,
    pub tags: Vec<String>,
    pub skills: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub consent: bool,
    pub consent_until: Option<NaiveDate>,
}

impl CandidateForm {
    /// The form of a saved candidate, for editing.
    pub fn of(c: &Candidate) -> CandidateForm {
        CandidateForm {
            full_name: c.full_name.clone(),
            emails: c.emails.join("\n"),
            phone: c.phone.clone(),
            location: c.location.clone(),
            links: c.links.join("\n"),
            source: c.source.as_str().to_owned(),
            referrer_id: c.referrer_id.map(|id| id.to_string()).unwrap_or_default(),
            source_detail: c.source_detail.clone(),
            tags: c.tags.join(", "),
            skills: c.skills.join(", "),
            owner_id: c.owner_id.map(|id| id.to_string()).unwrap_or_default(),
            consent: c.consent_given_at.map(|_| "on".to_owned()),
            consent_until: c.consent_until.map(|d| d.to_string()).unwrap_or_default(),
            requirement_id: String::new(),
            file_id: String::new(),
            version: c.version,
        }
    }

    /// Reads the person fields (names or emails typed) into ids, then
    /// checks every field; each problem beside its field.
    pub async fn read(&mut self, conn: &mut PgConnection) -> Result<CandidateFields, Error> {
        let picked = user::read_people(
            conn,
            vec![
                ("referrer_id", &mut self.referrer_id),
                ("owner_id", &mut self.owner_id),
            ],
        )
        .await?;
        Ok(user::picked_first(picked, self.check())?)
    }

    /// The checks that need no database.
    pub fn check(&self) -> Result<CandidateFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let full_name = required_text(
            &mut e,
            "full_name",
            &self.full_name,
            NAME_MAX,
            "Enter their name.",
        );
        let emails = emails(&mut e, &self.emails);
        let phone = phone(&mut e, &self.phone);
        let location = optional_text(&mut e, "location", &self.location, LOCATION_MAX);
        let links = links(&mut e, &self.links);
        let source = Source::parse(&self.source);
        if source.is_none() {
            e.add("source", "Choose where they came from.");
        }
        let referrer_id = self.referrer_id.trim().parse().ok();
        if source == Some(Source::Referral) && referrer_id.is_none() {
            e.add("referrer_id", "Name the colleague who referred them.");
        }
        let source_detail = optional_text(&mut e, "source_detail", &self.source_detail, DETAIL_MAX);
        let tags = words(&mut e, "tags", &self.tags);
        let skills = words(&mut e, "skills", &self.skills);
        let consent = self.consent.is_some();
        let consent_until = optional_date(&mut e, "consent_until", &self.consent_until);
        if consent_until.is_some() && !consent {
            e.add(
                "consent_until",
                "Tick that they consented before saying until when.",
            );
        }
        e.into_result(|| CandidateFields {
            full_name,
            emails,
            phone,
            location,
            links,
            source: source.unwrap_or(Source::Other),
            // A referrer only for a referral: another source drops it.
            referrer_id: referrer_id.filter(|_| source == Some(Source::Referral)),
            source_detail,
            tags,
            skills,
            owner_id: self.owner_id.trim().parse().ok(),
            consent,
            consent_until,
        })
    }
}

/// Addresses separated by lines, commas, semicolons or spaces; each parsed,
/// none twice.
fn emails(e: &mut FieldErrors, input: &str) -> Vec<Email> {
    let mut list: Vec<Email> = Vec::new();
    let raw = optional_text(e, "emails", input, 1_000);
    for word in raw
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
    {
        match Email::parse(word) {
            Ok(email) if !list.contains(&email) => list.push(email),
            Ok(_) => {}
            Err(_) => {
                e.add("emails", format!("“{word}” is not an email address."));
                return list;
            }
        }
    }
    if list.len() > EMAILS_MAX {
        e.add("emails", format!("Give at most {EMAILS_MAX} addresses."));
    }
    list
}

/// A phone number as typed: digits and the marks people write them with.
pub(crate) fn phone(e: &mut FieldErrors, input: &str) -> String {
    let phone = optional_text(e, "phone", input, PHONE_MAX);
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        e.add("phone", "Use digits, spaces and + - ( ) . / only.");
    }
    phone
}

/// Web addresses, one per line, each http(s).
pub(crate) fn links(e: &mut FieldErrors, input: &str) -> Vec<String> {
    let raw = optional_text(e, "links", input, LINKS_MAX * (LINK_MAX + 1));
    let list: Vec<String> = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if list.len() > LINKS_MAX {
        e.add("links", format!("Give at most {LINKS_MAX} links."));
    } else if let Some(bad) = list.iter().find(|l| {
        l.chars().count() > LINK_MAX
            || l.chars().any(char::is_whitespace)
            || !(l.starts_with("https://") || l.starts_with("http://"))
    }) {
        e.add(
            "links",
            format!("“{bad}” is not a web address starting with https://."),
        );
    }
    list
}

/// Comma-separated words (tags, skills): trimmed, none empty, none twice
/// (ignoring case).
fn words(e: &mut FieldErrors, field: &'static str, input: &str) -> Vec<String> {
    let raw = optional_text(e, field, input, TAGS_MAX * (TAG_MAX + 2));
    let mut list: Vec<String> = Vec::new();
    for w in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(w)) {
            list.push(w.to_owned());
        }
    }
    if list.len() > TAGS_MAX {
        e.add(field, format!("Give at most {TAGS_MAX}."));
    } else if list.iter().any(|w| w.chars().count() > TAG_MAX) {
        e.add(field, format!("Keep each to {TAG_MAX} characters."));
    }
    list
}

/// Someone added: a new person, or the one who already had an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New(CandidateId),
    Known(CandidateId),
}

impl Added {
    pub fn id(self) -> CandidateId {
        match self {
            Added::New(id) | Added::Known(id) => id,
        }
    }
}

/// The candidate who has one of `emails`, if any.
pub async fn by_email(
    conn: &mut PgConnection,
    emails: &[Email],
) -> Result<Option<CandidateId>, sqlx::Error> {
    let emails: Vec<&str> = emails.iter().map(Email::as_str).collect();
    sqlx::query_scalar(
        "select e.candidate_id from candidate_emails e join candidates c on c.id = e.candidate_id
          where lower(e.email) = any($1) and c.deleted_at is null
          order by e.candidate_id limit 1",
    )
    .bind(&emails)
    .fetch_optional(conn)
    .await
}

/// Adds a candidate, unless one of the addresses is someone's already:
/// then that person is the candidate, left as they are.
pub async fn add(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &CandidateFields,
) -> Result<Added, Error> {
    if let Some(known) = by_email(&mut *conn, &f.emails).await? {
        return Ok(Added::Known(known));
    }
    let emails: Vec<&str> = f.emails.iter().map(Email::as_str).collect();
    // With their search words (as `reindex` would compute them: a new
    // candidate has no files yet), not updated to them after.
    let id: CandidateId = sqlx::query_scalar(
        "insert into candidates (full_name, phone, location, links, source, referrer_id, source_detail,
                                 tags, skills, owner_id, consent_given_at, consent_until, created_by,
                                 search)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, case when $11 then now() end, $12, $13,
                 candidate_words($1, $14, $2, $8, $9))
         returning id",
    )
    .bind(&f.full_name)
    .bind(&f.phone)
    .bind(&f.location)
    .bind(&f.links)
    .bind(f.source)
    .bind(f.referrer_id)
    .bind(&f.source_detail)
    .bind(&f.tags)
    .bind(&f.skills)
    .bind(f.owner_id.or(actor.user_id))
    .bind(f.consent)
    .bind(f.consent_until)
    .bind(actor.user_id)
    .bind(&emails)
    .fetch_one(&mut *conn)
    .await?;
    insert_emails(&mut *conn, id, &emails).await?;
    let c = Changes::new()
        .personal("full_name", true)
        .personal("emails", !emails.is_empty())
        .personal("phone", !f.phone.is_empty())
        .created("source", &f.source.as_str())
        .created("owner_id", &f.owner_id.or(actor.user_id));
    audit::record(
        conn,
        actor,
        audit::Action::CandidateCreated,
        audit::Entity::Candidate,
        Some(id.uuid()),
        c,
    )
    .await?;
    Ok(Added::New(id))
}

/// Replaces the candidate's addresses (see [`insert_emails`]).
async fn set_emails(
    conn: &mut PgConnection,
    id: CandidateId,
    emails: &[Email],
) -> Result<(), Error> {
    let list: Vec<&str> = emails.iter().map(Email::as_str).collect();
    sqlx::query(
        "delete from candidate_emails where candidate_id = $1 and not (lower(email) = any($2))",
    )
    .bind(id)
    .bind(&list)
    .execute(&mut *conn)
    .await?;
    insert_emails(conn, id, &list).await
}

/// Adds the candidate's addresses, or puts those they have in this order.
/// An address that is someone else's is a problem beside the field.
async fn insert_emails(
    conn: &mut PgConnection,
    id: CandidateId,
    list: &[&str],
) -> Result<(), Error> {
    sqlx::query(
        "insert into candidate_emails (candidate_id, email, position)
         select $1, e, n from unnest($2::text[]) with ordinality as t(e, n)
         on conflict (candidate_id, email) do update set position = excluded.position",
    )
    .bind(id)
    .bind(list)
    .execute(conn)
    .await
    .map_err(|e| {
        Error::taken(
            e,
            "emails",
            "One of these addresses is another candidate's: open their profile instead.",
        )
    })?;
    Ok(())
}

const ANONYMISED: &str = "They are anonymised: nothing more is kept about them.";

/// Refuses anything new about an anonymised person (a comment, a
/// scorecard, an interview, an application): what anonymising took must
/// not come back. Holds the person (`for key share`) until the caller
/// commits, so an anonymising at the same moment either waits and then
/// removes what the caller added, or comes first and the caller sees it.
/// Call it before the transaction locks anything else: anonymising takes
/// the person's file contents, then the person, then their applications
/// and interviews. (The text job's update of the person does not conflict
/// with this hold.)
pub async fn takes_data(conn: &mut PgConnection, id: CandidateId) -> Result<(), Error> {
    anonymised(
        sqlx::query_scalar(
            "select anonymised_at is not null from candidates where id = $1 for key share",
        )
        .bind(id)
        .fetch_optional(conn)
        .await?,
    )
}

/// As [`takes_data`], without holding the person: for a caller that has
/// locked what anonymising takes first (an upload its content, a
/// rejection or an offer its application, a rescheduling its interview),
/// where holding the person too
/// could deadlock with it. A person anonymised between this check and the
/// caller's commit keeps what the caller added.
pub async fn takes_data_unheld(conn: &mut PgConnection, id: CandidateId) -> Result<(), Error> {
    anonymised(
        sqlx::query_scalar("select anonymised_at is not null from candidates where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

fn anonymised(found: Option<bool>) -> Result<(), Error> {
    match found {
        None => Err(Error::NotFound),
        Some(true) => Err(Error::refused(ANONYMISED)),
        Some(false) => Ok(()),
    }
}

/// Saves the fields over the candidate as loaded at `version`.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &Candidate,
    version: i32,
    f: &CandidateFields,
) -> Result<(), Error> {
    if before.anonymised() {
        return Err(Error::refused(
            "They are anonymised: nothing is left of them to edit.",
        ));
    }
    let saved = sqlx::query(
        "update candidates set full_name = $3, phone = $4, location = $5, links = $6, source = $7,
                referrer_id = $8, source_detail = $9, tags = $10, skills = $11, owner_id = $12,
                consent_given_at = case when not $13 then null else coalesce(consent_given_at, now()) end,
                consent_until = $14, version = version + 1, updated_at = now()
          where id = $1 and version = $2 and deleted_at is null",
    )
    .bind(before.id)
    .bind(version)
    .bind(&f.full_name)
    .bind(&f.phone)
    .bind(&f.location)
    .bind(&f.links)
    .bind(f.source)
    .bind(f.referrer_id)
    .bind(&f.source_detail)
    .bind(&f.tags)
    .bind(&f.skills)
    .bind(f.owner_id)
    .bind(f.consent)
    .bind(f.consent_until)
    .execute(&mut *conn)
    .await?;
    if saved.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::Candidate, before.id.uuid(), version).await);
    }
    set_emails(&mut *conn, before.id, &f.emails).await?;
    reindex(&mut *conn, before.id).await?;
    let emails: Vec<String> = f.emails.iter().map(|e| e.as_str().to_owned()).collect();
    let c = Changes::new()
        .personal("full_name", before.full_name != f.full_name)
        .personal("emails", before.emails != emails)
        .personal("phone", before.phone != f.phone)
        .personal("location", before.location != f.location)
        .personal("links", before.links != f.links)
        .field("source", &before.source.as_str(), &f.source.as_str())
        .field("referrer_id", &before.referrer_id, &f.referrer_id)
        .personal("source_detail", before.source_detail != f.source_detail)
        .field("tags", &before.tags, &f.tags)
        .field("skills", &before.skills, &f.skills)
        .field("owner_id", &before.owner_id, &f.owner_id)
        .field("consent", &before.consent_given_at.is_some(), &f.consent)
        .field("consent_until", &before.consent_until, &f.consent_until)
        .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::CandidateUpdated,
        audit::Entity::Candidate,
        Some(before.id.uuid()),
        c,
    )
    .await?;
    Ok(())
}

/// Adds `tag` to the candidate's tags (nothing when they have it, in any
/// case), audited like an edit.
pub async fn tag(
    conn: &mut PgConnection,
    actor: &Actor,
    id: CandidateId,
    tag: &str,
) -> Result<(), Error> {
    #[derive(sqlx::FromRow)]
    struct Tags {
        tags: Vec<String>,
        version: i32,
        anonymised: bool,
    }
    let row: Option<Tags> = sqlx::query_as(
        "select tags, version, anonymised_at is not null as anonymised
           from candidates where id = $1 and deleted_at is null for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Tags {
        tags: before,
        version,
        anonymised,
    } = row.ok_or(Error::NotFound)?;
    if anonymised {
        return Err(Error::refused(ANONYMISED));
    }
    if before.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        return Ok(());
    }
    let mut after = before.clone();
    after.push(tag.to_owned());
    sqlx::query(
        "update candidates set tags = $2, version = version + 1, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(&after)
    .execute(&mut *conn)
    .await?;
    reindex(&mut *conn, id).await?;
    audit::record(
        conn,
        actor,
        audit::Action::CandidateUpdated,
        audit::Entity::Candidate,
        Some(id.uuid()),
        Changes::new()
            .field("tags", &before, &after)
            .field("version", &version, &(version + 1)),
    )
    .await?;
    Ok(())
}

/// One tag as typed: trimmed, not empty, at most [`TAG_MAX`] characters.
pub fn parse_tag(input: &str) -> Result<String, FieldErrors> {
    let mut e = FieldErrors::default();
    let tag = required_text(&mut e, "tag", input, TAG_MAX, "Type the tag to add.");
    if tag.contains(',') {
        e.add("tag", "One tag at a time, without commas.");
    }
    e.into_result(|| tag)
}

/// Recomputes what search reads of the candidate (the SQL function
/// `candidate_search`: name, addresses, phone, tags, skills).
pub async fn reindex(conn: &mut PgConnection, id: CandidateId) -> Result<(), sqlx::Error> {
    sqlx::query("update candidates set search = candidate_search(id) where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CandidateForm {
        CandidateForm {
            full_name: " Ana Costa ".into(),
            emails: "Ana@Example.com, ana@example.com\nana.costa@mail.test".into(),
            phone: "+44 20 7946 0958".into(),
            links: "https://example.com/ana\n\n".into(),
            source: "sourced".into(),
            tags: "rust, Rust, backend ,".into(),
            ..CandidateForm::default()
        }
    }

    #[test]
    fn the_form_reads_into_checked_fields() {
        let f = form().check().unwrap();
        assert_eq!(f.full_name, "Ana Costa");
        let emails: Vec<&str> = f.emails.iter().map(Email::as_str).collect();
        assert_eq!(emails, ["ana@example.com", "ana.costa@mail.test"]);
        assert_eq!(f.links, ["https://example.com/ana"]);
        assert_eq!(f.tags, ["rust", "backend"]);
        assert!(!f.consent);
    }

    #[test]
    fn each_problem_is_beside_its_field() {
        let bad = CandidateForm {
            full_name: "\0".into(),
            emails: "ana@example".into(),
            phone: "call me".into(),
            links: "javascript:alert(1)".into(),
            source: "referral".into(),
            consent_until: "2030-01-01".into(),
            ..CandidateForm::default()
        };
        let e = bad.check().unwrap_err();
        assert!(e.get("full_name").unwrap().contains("NUL"));
        assert_eq!(
            e.get("emails"),
            Some("“ana@example” is not an email address.")
        );
        assert!(e.get("phone").is_some());
        assert!(e.get("links").unwrap().contains("javascript:alert(1)"));
        assert_eq!(
            e.get("referrer_id"),
            Some("Name the colleague who referred them.")
        );
        assert!(e.get("consent_until").is_some());
        let none = CandidateForm::default().check().unwrap_err();
        assert_eq!(none.get("full_name"), Some("Enter their name."));
        assert_eq!(none.get("source"), Some("Choose where they came from."));
    }
}
