//! The careers site's jobs: an open requirement published with what the
//! public sees of it. A job is public while it is published, its
//! requirement is open and not deleted, and its closing date has not
//! passed: the one condition ([`PUBLIC`]) every public page and feed reads,
//! so unpublishing, filling, cancelling or the closing date remove it from
//! all of them at once.

use crate::domain::Error;
use crate::domain::access::{Permission, Role, allows};
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{FieldErrors, optional_date, optional_text, required_text};
use crate::domain::requisition::form::{REMOTE_POLICIES, choice, money};
use crate::domain::requisition::lifecycle::Status;
use crate::domain::requisition::requirement::{Requirement, RequirementId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub use crate::domain::kernel::EMPLOYMENT_TYPES;

pub const PAY_PERIODS: [(&str, &str); 3] = [
    ("year", "a year"),
    ("month", "a month"),
    ("hour", "an hour"),
];
pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 20_000;

/// The SQL condition "posting `p` is public": published, its requirement
/// open (`live`, kept by the requirement's trigger), not closed.
macro_rules! public {
    () => {
        "p.published_at is not null and p.live
         and (p.closes_on is null or p.closes_on >= current_date)"
    };
}
pub(crate) use public;

/// A job as the public pages and feeds show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub requirement_id: RequirementId,
    pub reference: String,
    pub slug: String,
    pub title: String,
    /// The description as the public sees it: sanitized HTML.
    pub description_html: String,
    pub department: String,
    pub location: String,
    pub remote_policy: String,
    pub countries: Vec<String>,
    pub employment_type: String,
    pub pay_min: i64,
    pub pay_max: i64,
    pub currency: String,
    pub pay_period: String,
    pub closes_on: Option<NaiveDate>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    pub fn employment_label(&self) -> &'static str {
        crate::domain::kernel::label(&EMPLOYMENT_TYPES, &self.employment_type)
    }

    pub fn remote_label(&self) -> &'static str {
        crate::domain::kernel::label(&REMOTE_POLICIES, &self.remote_policy)
    }

    pub fn remote(&self) -> bool {
        self.remote_policy == "remote"
    }

    /// "EUR 60,000–80,000 a year".
    pub fn pay_line(&self) -> String {
        format!(
            "{} {}–{} {}",
            self.currency,
            crate::domain::kernel::amount(&self.pay_min),
            crate::domain::kernel::amount(&self.pay_max),
            crate::domain::kernel::label(&PAY_PERIODS, &self.pay_period)
        )
    }

    /// Where: "Lisbon (hybrid)", "Remote (PT, ES)", "Berlin".
    pub fn where_line(&self) -> String {
        match (self.remote_policy.as_str(), self.location.is_empty()) {
            ("remote", _) if !self.countries.is_empty() => {
                format!("Remote ({})", self.countries.join(", "))
            }
            ("remote", _) => "Remote".into(),
            ("hybrid", false) => format!("{} (hybrid)", self.location),
            ("hybrid", true) => "Hybrid".into(),
            _ => self.location.clone(),
        }
    }
}

/// [`Company`]'s columns, from `careers_settings c cross join
/// privacy_settings p`.
macro_rules! company_columns {
    () => {
        "c.company_name, c.intro, c.logo_sha256 || '.' || c.logo_type as logo,
         c.logo_width, c.logo_height,
         p.consent_text, p.future_roles_text, p.future_roles_months"
    };
}

/// [`Job`]'s columns, from `postings p` with its requirement `r` and
/// department `d`.
macro_rules! job_columns {
    () => {
        "r.id as requirement_id, r.reference, p.slug, p.title, p.description_html, d.name as department,
         p.location, p.remote_policy, p.countries, p.employment_type, p.pay_min, p.pay_max,
         p.currency::text as currency, p.pay_period, p.closes_on, p.published_at, p.updated_at "
    };
}

macro_rules! job_from {
    () => {
        "from postings p
           join requirements r on r.id = p.requirement_id
           join departments d on d.id = p.department_id "
    };
}

macro_rules! job_select {
    () => {
        concat!("select ", job_columns!(), job_from!())
    };
}

/// The careers list's filters, from its URL: each optional.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct JobFilter {
    pub q: String,
    pub department: String,
    pub location: String,
    pub employment_type: String,
    /// "remote" for remote jobs only.
    pub remote: String,
    /// The cursor: the last job of the previous page.
    pub after: String,
}

/// Jobs a page of the careers list shows.
pub const PAGE_SIZE: i64 = 50;

/// Up to `limit` public jobs of the filter, newest first, after its
/// cursor; all of them with no limit (the feeds). The statement holds only
/// the filters in use.
pub async fn jobs(
    conn: &mut PgConnection,
    f: &JobFilter,
    limit: Option<i64>,
) -> Result<Vec<Job>, sqlx::Error> {
    let mut q = sqlx::QueryBuilder::new(concat!(job_select!(), "where ", public!()));
    let clean = |v: &str| v.replace('\0', "").trim().to_owned();
    let text = clean(&f.q);
    if !text.is_empty() {
        q.push(" and p.search @@ websearch_to_tsquery('simple', ")
            .push_bind(text)
            .push(")");
    }
    let department = clean(&f.department);
    if !department.is_empty() {
        q.push(" and d.name = ").push_bind(department);
    }
    let location = clean(&f.location);
    if !location.is_empty() {
        q.push(" and p.location ilike '%' || ")
            .push_bind(crate::domain::kernel::like_escaped(&location))
            .push(" || '%'");
    }
    let kind = clean(&f.employment_type);
    if !kind.is_empty() {
        q.push(" and p.employment_type = ").push_bind(kind);
    }
    if f.remote.trim() == "remote" {
        q.push(" and p.remote_policy = 'remote'");
    }
    if let Some(after) = crate::domain::kernel::After::parse(&f.after) {
        q.push(" and (p.published_at, p.requirement_id) < (")
            .push_bind(after.at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    q.push(" order by p.published_at desc, p.requirement_id desc");
    if let Some(limit) = limit {
        q.push(" limit ").push_bind(limit);
    }
    q.build_query_as().fetch_all(conn).await
}

/// What the careers list offers to filter by: the departments and
/// locations of the public jobs.
pub async fn facets(conn: &mut PgConnection) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(concat!(
        "select distinct d.name, p.location
           from postings p join departments d on d.id = p.department_id
          where ",
        public!()
    ))
    .fetch_all(conn)
    .await?;
    let mut departments: Vec<String> = rows.iter().map(|(d, _)| d.clone()).collect();
    let mut locations: Vec<String> = rows
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| !l.is_empty())
        .collect();
    departments.sort();
    departments.dedup();
    locations.sort();
    locations.dedup();
    Ok((departments, locations))
}

/// What a slug leads to: the job, or the job under its new slug.
pub enum Found {
    Job(Box<Posted>),
    MovedTo(String),
}

pub async fn by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<Found>, sqlx::Error> {
    if slug.contains('\0') {
        // No slug holds one (and PostgreSQL text cannot).
        return Ok(None);
    }
    // The company's settings in the same statement: every page of a job
    // shows them, and this is the careers site's most read page. Inside
    // the lateral, `p` is `company_columns`' privacy_settings.
    let job: Option<Posted> = sqlx::query_as(concat!(
        "select ",
        job_columns!(),
        ", s.*, greatest(p.updated_at, s.settings_at, date_trunc('day', now())) as changed_at ",
        job_from!(),
        "cross join lateral (select ",
        company_columns!(),
        ", greatest(c.updated_at, p.updated_at) as settings_at
                from careers_settings c cross join privacy_settings p) s
          where p.slug = $1 and ",
        public!()
    ))
    .bind(slug)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(job) = job {
        return Ok(Some(Found::Job(Box::new(job))));
    }
    let moved: Option<String> = sqlx::query_scalar(concat!(
        "select p.slug from posting_slugs s
           join postings p on p.requirement_id = s.requirement_id
          where s.slug = $1 and ",
        public!()
    ))
    .bind(slug)
    .fetch_optional(conn)
    .await?;
    Ok(moved.map(Found::MovedTo))
}

/// What the company says of itself on the careers site, and what it asks
/// applicants to agree to (the privacy settings).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Company {
    pub company_name: String,
    pub intro: String,
    /// The logo's file name (`<sha256>.<type>`, served at `/logo/…`).
    pub logo: Option<String>,
    pub logo_width: Option<i32>,
    pub logo_height: Option<i32>,
    pub consent_text: String,
    pub future_roles_text: String,
    pub future_roles_months: i32,
}

pub async fn company(conn: &mut PgConnection) -> Result<Company, sqlx::Error> {
    sqlx::query_as(concat!(
        "select ",
        company_columns!(),
        " from careers_settings c cross join privacy_settings p"
    ))
    .fetch_one(conn)
    .await
}

/// What every public page reads first: the company, and when the public
/// jobs last changed (for `Last-Modified` and the validators).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Site {
    #[sqlx(flatten)]
    pub company: Company,
    /// The newest change of a posting (a requirement's change of state
    /// touches its posting), of the company's settings, and today's date (a
    /// closing date passing changes the list overnight).
    pub changed_at: DateTime<Utc>,
}

/// A job as its own pages show it: with the company, and when either
/// last changed (for their validators; today's date too, as for [`Site`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Posted {
    #[sqlx(flatten)]
    pub job: Job,
    #[sqlx(flatten)]
    pub company: Company,
    pub changed_at: DateTime<Utc>,
}

/// The [`Site`], in one statement: the public pages are read most.
pub async fn site(conn: &mut PgConnection) -> Result<Site, sqlx::Error> {
    sqlx::query_as(concat!(
        "select ",
        company_columns!(),
        ", greatest((select max(updated_at) from postings), date_trunc('day', now()),
                    c.updated_at, p.updated_at) as changed_at
           from careers_settings c cross join privacy_settings p"
    ))
    .fetch_one(conn)
    .await
}

/// The most a logo may weigh: it is on every careers page.
pub const LOGO_MAX: usize = 256 * 1024;

/// A logo as uploaded: one of the image types every browser shows, its
/// type and size read from its bytes (never from its name).
#[derive(Debug, Clone)]
pub struct Logo {
    pub bytes: bytes::Bytes,
    pub sha256: String,
    pub kind: &'static str,
    pub width: i32,
    pub height: i32,
}

impl Logo {
    pub fn parse(bytes: bytes::Bytes) -> Result<Logo, FieldErrors> {
        let refuse = |m: &str| Err(FieldErrors::one("file", m.to_owned()));
        if bytes.is_empty() {
            return refuse("Choose the logo's file: a PNG, JPEG or WebP image.");
        }
        if bytes.len() > LOGO_MAX {
            return refuse("The logo is larger than the limit of 256 KB: make it smaller.");
        }
        let kind = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Png) => "png",
            Ok(imagesize::ImageType::Jpeg) => "jpeg",
            Ok(imagesize::ImageType::Webp) => "webp",
            _ => return refuse("The logo must be a PNG, JPEG or WebP image."),
        };
        let size = match imagesize::blob_size(&bytes) {
            Ok(s) if (1..=4000).contains(&s.width) && (1..=4000).contains(&s.height) => s,
            _ => return refuse("This image cannot be read, or is larger than 4000 pixels a side."),
        };
        use sha2::Digest as _;
        Ok(Logo {
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            kind,
            width: size.width as i32,
            height: size.height as i32,
            bytes,
        })
    }

    /// Its place in the file store.
    pub fn key(sha256: &str) -> String {
        format!("logos/{sha256}")
    }
}

/// Puts the logo in the store and on the careers site, or (None) takes it
/// off; audited. Returns the store key of the logo it replaced, for the
/// caller to delete once this commits.
pub async fn set_logo(
    conn: &mut PgConnection,
    actor: &Actor,
    store: &dyn super::files::Store,
    logo: Option<&Logo>,
) -> Result<Option<String>, Error> {
    if let Some(logo) = logo {
        store
            .put(&Logo::key(&logo.sha256), logo.bytes.clone())
            .await
            .map_err(Error::Internal)?;
    }
    let before: Option<String> =
        sqlx::query_scalar("select logo_sha256 from careers_settings for update")
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "update careers_settings set logo_sha256 = $1, logo_type = $2, logo_width = $3,
                logo_height = $4, updated_at = now()",
    )
    .bind(logo.map(|l| &l.sha256))
    .bind(logo.map(|l| l.kind))
    .bind(logo.map(|l| l.width))
    .bind(logo.map(|l| l.height))
    .execute(&mut *conn)
    .await?;
    let after = logo.map(|l| l.sha256.clone());
    audit::record(
        conn,
        actor,
        audit::Action::CareersSettingsUpdated,
        audit::Entity::CareersSettings,
        None,
        Changes::new().field("logo", &before, &after),
    )
    .await?;
    Ok(before
        .filter(|b| Some(b) != after.as_ref())
        .map(|b| Logo::key(&b)))
}

/// The logo named `name` (`<sha256>.<type>`) while it is the company's:
/// its store key and content type.
pub async fn logo(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<(String, &'static str)>, sqlx::Error> {
    if name.contains('\0') {
        // No logo's name holds one (and PostgreSQL text cannot).
        return Ok(None);
    }
    let found: Option<(String, String)> = sqlx::query_as(
        "select logo_sha256, logo_type from careers_settings
          where logo_sha256 || '.' || logo_type = $1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|(sha, kind)| {
        let content_type = match kind.as_str() {
            "png" => "image/png",
            "jpeg" => "image/jpeg",
            _ => "image/webp",
        };
        (Logo::key(&sha), content_type)
    }))
}

pub const COMPANY_NAME_MAX: usize = 120;
pub const INTRO_MAX: usize = 5_000;

/// Saves what the careers site says of the company (admins).
pub async fn save_company(
    conn: &mut PgConnection,
    actor: &Actor,
    name: &str,
    intro: &str,
) -> Result<(), Error> {
    let mut e = FieldErrors::default();
    let name = required_text(
        &mut e,
        "company_name",
        name,
        COMPANY_NAME_MAX,
        "Give the company's name.",
    );
    let intro = optional_text(&mut e, "intro", intro, INTRO_MAX);
    e.into_result(|| ())?;
    let before = company(&mut *conn).await?;
    sqlx::query("update careers_settings set company_name = $1, intro = $2, updated_at = now()")
        .bind(&name)
        .bind(&intro)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::CareersSettingsUpdated,
        audit::Entity::CareersSettings,
        None,
        Changes::new()
            .field("company_name", &before.company_name, &name)
            .field("intro", &before.intro, &intro),
    )
    .await?;
    Ok(())
}

// ---- publishing ---------------------------------------------------------------

/// A requirement's posting, as its recruiter edits it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Posting {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub remote_policy: String,
    pub countries: Vec<String>,
    pub employment_type: String,
    pub pay_min: i64,
    pub pay_max: i64,
    pub currency: String,
    pub pay_period: String,
    pub closes_on: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub version: i32,
}

pub async fn posting(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Option<Posting>, sqlx::Error> {
    sqlx::query_as(
        "select slug, title, description, location, remote_policy, countries, employment_type, pay_min,
                pay_max, currency::text as currency, pay_period, closes_on, published_at, version
           from postings where requirement_id = $1",
    )
    .bind(requirement)
    .fetch_optional(conn)
    .await
}

/// Who may publish a requirement: its recruiter and admins.
pub fn may_publish(r: &Requirement, user: Uuid, roles: &[Role]) -> bool {
    r.recruiter_id == Some(user) || allows(roles, Permission::AdministerRequirements)
}

/// The posting form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PostingForm {
    pub title: String,
    pub description: String,
    pub location: String,
    pub remote_policy: String,
    /// Country codes separated by commas or spaces.
    pub countries: String,
    pub employment_type: String,
    pub pay_min: String,
    pub pay_max: String,
    pub currency: String,
    pub pay_period: String,
    pub closes_on: String,
    pub version: i32,
}

impl PostingForm {
    /// A first posting: what the requirement says, for the recruiter to
    /// make public.
    pub fn of_requirement(r: &Requirement) -> PostingForm {
        PostingForm {
            title: r.title.clone(),
            description: r.description.clone(),
            location: r.location.clone(),
            remote_policy: r.remote_policy.clone(),
            employment_type: r.employment_type.clone(),
            pay_min: r.salary_min.to_string(),
            pay_max: r.salary_max.to_string(),
            currency: r.currency.clone(),
            pay_period: "year".into(),
            ..PostingForm::default()
        }
    }

    pub fn of(p: &Posting) -> PostingForm {
        PostingForm {
            title: p.title.clone(),
            description: p.description.clone(),
            location: p.location.clone(),
            remote_policy: p.remote_policy.clone(),
            countries: p.countries.join(", "),
            employment_type: p.employment_type.clone(),
            pay_min: p.pay_min.to_string(),
            pay_max: p.pay_max.to_string(),
            currency: p.currency.clone(),
            pay_period: p.pay_period.clone(),
            closes_on: p.closes_on.map(|d| d.to_string()).unwrap_or_default(),
            version: p.version,
        }
    }

    /// Checks every field, each problem beside its field.
    pub fn check(&self, today: NaiveDate) -> Result<PostingFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = required_text(
            &mut e,
            "title",
            &self.title,
            TITLE_MAX,
            "Give the job a title.",
        );
        let description = required_text(
            &mut e,
            "description",
            &self.description,
            DESCRIPTION_MAX,
            "Describe the job for those who might apply.",
        );
        let location = optional_text(&mut e, "location", &self.location, 200);
        let remote_policy = choice(
            &mut e,
            "remote_policy",
            &self.remote_policy,
            &REMOTE_POLICIES,
        );
        let countries: Vec<String> = self
            .countries
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        if countries
            .iter()
            .any(|c| c.len() != 2 || !c.chars().all(|c| c.is_ascii_uppercase()))
        {
            e.add(
                "countries",
                "Give countries as two-letter codes, like PT, ES, DE.",
            );
        } else if !countries.is_empty() && remote_policy != "remote" {
            e.add("countries", "Countries apply to remote jobs only.");
        }
        if remote_policy != "remote" && location.is_empty() && e.get("remote_policy").is_none() {
            e.add("location", "Say where the job is (or make it remote).");
        }
        let employment_type = choice(
            &mut e,
            "employment_type",
            &self.employment_type,
            &EMPLOYMENT_TYPES,
        );
        let pay_min = money(&mut e, "pay_min", &self.pay_min);
        let pay_max = money(&mut e, "pay_max", &self.pay_max);
        if e.get("pay_min").is_none() && e.get("pay_max").is_none() && pay_min > pay_max {
            e.add("pay_max", "The maximum must be at least the minimum.");
        }
        if e.get("pay_max").is_none() && pay_max == 0 {
            e.add(
                "pay_max",
                "Give the pay range: every posting shows it (pay transparency).",
            );
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            e.add("currency", "A three-letter currency code, like EUR.");
        }
        let pay_period = choice(&mut e, "pay_period", &self.pay_period, &PAY_PERIODS);
        let closes_on = optional_date(&mut e, "closes_on", &self.closes_on);
        if closes_on.is_some_and(|d| d < today) {
            e.add(
                "closes_on",
                "The closing date has passed: choose a later one.",
            );
        }
        e.into_result(|| PostingFields {
            title,
            description,
            description_html: String::new(),
            location,
            remote_policy,
            countries,
            employment_type,
            pay_min,
            pay_max,
            currency,
            pay_period,
            closes_on,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostingFields {
    pub title: String,
    pub description: String,
    /// The description rendered for the public (sanitized HTML), by the
    /// caller that renders Markdown: once, when it is saved.
    pub description_html: String,
    pub location: String,
    pub remote_policy: String,
    pub countries: Vec<String>,
    pub employment_type: String,
    pub pay_min: i64,
    pub pay_max: i64,
    pub currency: String,
    pub pay_period: String,
    pub closes_on: Option<NaiveDate>,
}

/// "Platform engineer (m/f/d)" and HH-2026-0042 →
/// "platform-engineer-m-f-d-hh-2026-0042": words as written, lower-cased,
/// anything else a dash.
pub fn slug(title: &str, reference: &str) -> String {
    let mut out = String::new();
    for c in format!("{title} {reference}").chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Publishes requirement `r` with `f` (or saves its published posting):
/// its recruiter or an admin, while it is open. `version` is the posting's
/// as the form was loaded (0 for a first one).
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    user: Uuid,
    roles: &[Role],
    r: &Requirement,
    version: i32,
    f: &PostingFields,
) -> Result<(), Error> {
    if !may_publish(r, user, roles) {
        return Err(Error::Forbidden);
    }
    if r.status != Status::Open {
        return Err(Error::refused(
            "Only an open requirement can be published: open it first.",
        ));
    }
    let slug = slug(&f.title, &r.reference);
    let before = posting(&mut *conn, r.id).await?;
    if let Some(b) = &before
        && b.version != version
    {
        let (entity, id) = (audit::Entity::Requirement, r.id.uuid());
        return Err(Error::stale_by(conn, entity, id, "posting_version", version).await);
    }
    if let Some(b) = &before
        && b.slug != slug
    {
        // The old address keeps leading to the job.
        sqlx::query(
            "insert into posting_slugs (slug, requirement_id) values ($1, $2) on conflict (slug) do nothing",
        )
        .bind(&b.slug)
        .bind(r.id)
        .execute(&mut *conn)
        .await?;
    }
    let version_after: i32 = sqlx::query_scalar(
        "insert into postings (requirement_id, slug, title, description, location, remote_policy, countries,
                               employment_type, pay_min, pay_max, currency, pay_period, closes_on,
                               published_at, published_by, description_html, live, department_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now(), $14, $15, true, $16)
         on conflict (requirement_id) do update set
                live = true, department_id = excluded.department_id,
                slug = excluded.slug, title = excluded.title, description = excluded.description,
                description_html = excluded.description_html,
                location = excluded.location, remote_policy = excluded.remote_policy,
                countries = excluded.countries, employment_type = excluded.employment_type,
                pay_min = excluded.pay_min, pay_max = excluded.pay_max, currency = excluded.currency,
                pay_period = excluded.pay_period, closes_on = excluded.closes_on,
                published_at = coalesce(postings.published_at, now()),
                published_by = coalesce(postings.published_by, excluded.published_by),
                updated_at = now(), version = postings.version + 1
         returning version",
    )
    .bind(r.id)
    .bind(&slug)
    .bind(&f.title)
    .bind(&f.description)
    .bind(&f.location)
    .bind(&f.remote_policy)
    .bind(&f.countries)
    .bind(&f.employment_type)
    .bind(f.pay_min)
    .bind(f.pay_max)
    .bind(&f.currency)
    .bind(&f.pay_period)
    .bind(f.closes_on)
    .bind(actor.user_id)
    .bind(&f.description_html)
    .bind(r.department_id)
    .fetch_one(&mut *conn)
    .await?;
    let was_public = before.as_ref().is_some_and(|b| b.published_at.is_some());
    let c = Changes::new()
        .field("published", &was_public, &true)
        .field(
            "public_title",
            &before.as_ref().map(|b| b.title.clone()),
            &Some(f.title.clone()),
        )
        .field(
            "slug",
            &before.as_ref().map(|b| b.slug.clone()),
            &Some(slug),
        )
        .field("posting_version", &version, &version_after);
    audit::record(
        conn,
        actor,
        audit::Action::RequirementPublished,
        audit::Entity::Requirement,
        Some(r.id.uuid()),
        c,
    )
    .await?;
    Ok(())
}

/// Takes the job off the careers site (the posting is kept, to publish
/// again).
pub async fn unpublish(
    conn: &mut PgConnection,
    actor: &Actor,
    user: Uuid,
    roles: &[Role],
    r: &Requirement,
) -> Result<(), Error> {
    if !may_publish(r, user, roles) {
        return Err(Error::Forbidden);
    }
    let version: Option<i32> = sqlx::query_scalar(
        "update postings set published_at = null, updated_at = now(), version = version + 1
          where requirement_id = $1 and published_at is not null returning version",
    )
    .bind(r.id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(version) = version else {
        return Err(Error::refused("It is not published."));
    };
    audit::record(
        conn,
        actor,
        audit::Action::RequirementUnpublished,
        audit::Entity::Requirement,
        Some(r.id.uuid()),
        Changes::new().field("published", &true, &false).field(
            "posting_version",
            &(version - 1),
            &version,
        ),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> PostingForm {
        PostingForm {
            title: "Platform engineer".into(),
            description: "Run **our** platform.".into(),
            location: "Lisbon".into(),
            remote_policy: "hybrid".into(),
            employment_type: "full_time".into(),
            pay_min: "60000".into(),
            pay_max: "80,000".into(),
            currency: "eur".into(),
            pay_period: "year".into(),
            ..PostingForm::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn a_posting_needs_its_pay_range_and_a_place() {
        let f = form().check(today()).unwrap();
        assert_eq!(
            (f.pay_min, f.pay_max, f.currency.as_str()),
            (60_000, 80_000, "EUR")
        );
        let e = PostingForm {
            pay_min: "0".into(),
            pay_max: "0".into(),
            location: String::new(),
            closes_on: "2026-12-03".into(),
            countries: "PT".into(),
            ..form()
        }
        .check(today())
        .unwrap_err();
        assert!(e.get("pay_max").unwrap().contains("pay range"));
        assert!(e.get("location").is_some());
        assert!(e.get("closes_on").unwrap().contains("passed"));
        assert_eq!(
            e.get("countries"),
            Some("Countries apply to remote jobs only.")
        );
        let remote = PostingForm {
            remote_policy: "remote".into(),
            location: String::new(),
            countries: "pt, es de".into(),
            ..form()
        }
        .check(today())
        .unwrap();
        assert_eq!(remote.countries, ["PT", "ES", "DE"]);
    }

    #[test]
    fn a_slug_is_the_title_and_the_reference_in_plain_words() {
        assert_eq!(
            slug("Platform engineer (m/f/d)", "HH-2026-0042"),
            "platform-engineer-m-f-d-hh-2026-0042"
        );
        assert_eq!(
            slug("Ingénieur·e  données", "HH-1"),
            "ingénieur-e-données-hh-1"
        );
    }
}

// ---- applying ---------------------------------------------------------------

pub const COVER_LETTER_MAX: usize = 10_000;

/// The apply form as typed (its file aside).
#[derive(Debug, Clone, Default)]
pub struct ApplyForm {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    /// One per line.
    pub links: String,
    pub cover_letter: String,
    /// "Process my data for this application": required.
    pub consent: bool,
    /// "Keep my data for future roles": optional.
    pub future_roles: bool,
}

#[derive(Debug, Clone)]
pub struct ApplyFields {
    pub candidate: super::candidate::CandidateFields,
    pub cover_letter: String,
}

impl ApplyForm {
    /// Checks every field, each problem beside its field. Consent to keep
    /// the data for future roles lasts `future_roles_months` from `today`.
    pub fn check(
        &self,
        today: NaiveDate,
        future_roles_months: i32,
    ) -> Result<ApplyFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let full_name = required_text(
            &mut e,
            "full_name",
            &self.full_name,
            super::candidate::NAME_MAX,
            "Enter your name.",
        );
        let email = match crate::domain::org::user::Email::parse(self.email.trim()) {
            Ok(email) => Some(email),
            Err(_) if self.email.trim().is_empty() => {
                e.add("email", "Enter your email address: we answer there.");
                None
            }
            Err(_) => {
                e.add("email", "Enter an email address like name@example.com.");
                None
            }
        };
        let phone = super::candidate::phone(&mut e, &self.phone);
        let links = super::candidate::links(&mut e, &self.links);
        let cover_letter =
            optional_text(&mut e, "cover_letter", &self.cover_letter, COVER_LETTER_MAX);
        if !self.consent {
            e.add(
                "consent",
                "Tick this box to let us process your application: we cannot consider it otherwise.",
            );
        }
        let consent_until = self
            .future_roles
            .then(|| {
                today.checked_add_months(chrono::Months::new(future_roles_months.unsigned_abs()))
            })
            .flatten();
        e.into_result(|| ApplyFields {
            candidate: super::candidate::CandidateFields {
                full_name,
                emails: email.into_iter().collect(),
                phone,
                location: String::new(),
                links,
                source: super::candidate::Source::CareersPage,
                referrer_id: None,
                source_detail: String::new(),
                tags: Vec::new(),
                skills: Vec::new(),
                owner_id: None,
                consent: true,
                consent_until,
            },
            cover_letter,
        })
    }
}

/// The apply form's limits, per hour: applications from one address (an
/// office may share one), and for one email address.
pub const PER_ADDRESS: i64 = 10;
pub const PER_EMAIL: i64 = 3;

/// Whether another application from `ip` for `email` is within the limits;
/// counted when it is (in one statement: every application asks).
pub async fn within_limits(
    conn: &mut PgConnection,
    ip: Option<std::net::IpAddr>,
    email: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "with counted as (
             insert into apply_attempts (ip, email)
             select $1, $2
              where ($1 is null
                     or (select count(*) from apply_attempts where ip = $1 and at > now() - interval '1 hour') < $3)
                and (select count(*) from apply_attempts
                      where lower(email) = lower($2) and at > now() - interval '1 hour') < $4
             returning 1)
         select exists (select from counted)",
    )
    .bind(ip)
    .bind(email)
    .bind(PER_ADDRESS)
    .bind(PER_EMAIL)
    .fetch_one(conn)
    .await
}

/// What applying did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// In the pipeline now, at its first stage.
    New,
    /// They had applied for this job already: nothing new was made.
    Again,
}

/// An application from the careers site for `job`: the person found by
/// their email (or added), their resume kept with them, an application at
/// the first stage of the job's pipeline (its recruiter told), and a mail
/// confirming it arrived.
#[allow(clippy::too_many_arguments)] // each is one thing an application needs
pub async fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    mail: &dyn crate::domain::messaging::Letters,
    store: &dyn super::files::Store,
    job: &Job,
    company: &str,
    f: &ApplyFields,
    resume: &super::files::Upload,
) -> Result<Applied, Error> {
    let r = crate::domain::requisition::requirement::find(&mut *conn, job.requirement_id)
        .await?
        .ok_or(Error::NotFound)?;
    let candidate = match super::candidate::add(&mut *conn, actor, &f.candidate).await? {
        super::candidate::Added::Known(known) => {
            let already: bool = sqlx::query_scalar(
                "select exists (select from applications where candidate_id = $1 and requirement_id = $2)",
            )
            .bind(known)
            .bind(r.id)
            .fetch_one(&mut *conn)
            .await?;
            if already {
                return Ok(Applied::Again);
            }
            known
        }
        super::candidate::Added::New(id) => id,
    };
    match super::files::attach(&mut *conn, store, actor, Some(candidate), resume).await {
        // The resume they sent before: kept once.
        Ok(_) | Err(Error::Invalid(_)) => {}
        Err(e) => return Err(e),
    }
    let source = super::candidate::Source::CareersPage;
    let entry = super::application::Entry::Applied {
        cover_letter: &f.cover_letter,
    };
    super::application::enter(&mut *conn, actor, entry, mail, candidate, &r, source).await?;
    if let Some(to) = f.candidate.emails.first() {
        let letter =
            mail.application_received(to.as_str(), &f.candidate.full_name, &job.title, company)?;
        crate::domain::messaging::outbox::queue(conn, &letter).await?;
    }
    Ok(Applied::New)
}
