//! The public careers site: the list of jobs and each job's page (with its
//! schema.org `JobPosting`). Served outside the session layer: nothing
//! here can read or write a session, so no visitor leaves a row or gets a
//! cookie. Every answer carries `Last-Modified` and an `ETag`, and a
//! conditional request that still holds gets a 304.

use super::problems::Problems;
use super::render::filters;
use super::{AppState, Db};
use crate::domain::recruiting::careers::{
    self, Applied, ApplyForm, Company, Found, Job, JobFilter,
};
use crate::domain::recruiting::files;
use crate::error::AppError;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::hash::{Hash, Hasher};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/careers"), list)
        .serve(route!(GET "/careers/{slug}"), job)
        .serve(route!(POST "/careers/{slug}/application"), apply)
        .serve(route!(GET "/careers/{slug}/applied"), applied)
        .serve(route!(GET "/logo/{name}"), logo)
}

/// The company's logo. Its name is its content's digest, so a browser may
/// keep it for good: a new logo has a new name.
async fn logo(
    State(state): State<AppState>,
    mut db: Db,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let Some((key, content_type)) = careers::logo(&mut *conn, &name).await? else {
        return missing(conn).await;
    };
    db.release();
    let bytes = files::Store::get(&state.files, &key)
        .await
        .map_err(AppError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "careers/list.html")]
struct ListPage {
    company: Company,
    intro: String,
    jobs: Vec<Job>,
    filter: JobFilter,
    departments: Vec<String>,
    locations: Vec<String>,
    types: [(&'static str, &'static str); 5],
    next_page: Option<String>,
}

#[derive(Template)]
#[template(path = "careers/job.html")]
struct JobPage {
    company: Company,
    job: Job,
    /// The schema.org `JobPosting`, ready for its script element.
    json_ld: String,
    /// The apply form: as typed when it came back, with its problems.
    form: ApplyForm,
    problems: Problems,
    stamp: Stamp,
    file_max: String,
}

impl JobPage {
    fn new(config: &crate::config::Config, company: Company, job: Job) -> JobPage {
        JobPage {
            json_ld: script_json(&posting_json(&config.public_url, &company, &job)),
            stamp: Stamp::new(&config.secret_key, &job.slug),
            company,
            job,
            form: ApplyForm::default(),
            problems: Problems::default(),
            file_max: files::size_label(config.file_max_bytes as i64),
        }
    }
}

#[derive(Template)]
#[template(path = "careers/applied.html")]
struct AppliedPage {
    company: Company,
    job: Job,
    /// They had applied for it before.
    again: bool,
}

#[derive(Template)]
#[template(path = "careers/missing.html")]
struct MissingPage {
    company: Company,
}

/// What tells a client whether the copy it holds is current: the time the
/// public jobs last changed and an `ETag` of it with what the same time
/// serves differently (a path and its query).
pub(super) struct Validators {
    pub(super) at: DateTime<Utc>,
    etag: String,
}

impl Validators {
    pub(super) fn new(at: DateTime<Utc>, variant: &str) -> Validators {
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        (at.timestamp_micros(), variant).hash(&mut hash);
        Validators {
            at,
            etag: format!("\"{:016x}\"", hash.finish()),
        }
    }

    /// The request's `If-None-Match` (or else `If-Modified-Since`) still
    /// holds.
    pub(super) fn fresh(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::IF_NONE_MATCH) {
            Some(v) => v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == self.etag)
            }),
            None => headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
                .is_some_and(|since| since.timestamp() >= self.at.timestamp()),
        }
    }

    /// `body` as `content_type` (or, while the client's copy is current,
    /// a 304), with the validators.
    pub(super) fn answer(
        &self,
        headers: &HeaderMap,
        content_type: &'static str,
        body: impl FnOnce() -> Result<String, AppError>,
    ) -> Result<Response, AppError> {
        let mut res = if self.fresh(headers) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
                body()?,
            )
                .into_response()
        };
        let h = res.headers_mut();
        // Each visit asks again (a 304 when nothing changed): a job taken
        // off the site is gone from the next view.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        let modified = self.at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(v) = HeaderValue::from_str(&modified) {
            h.insert(header::LAST_MODIFIED, v);
        }
        Ok(res)
    }
}

const HTML: &str = "text/html; charset=utf-8";

/// A public page or feed as rendered last for `key` (its path and query,
/// and the site's address: a process serving several, the tests, keeps
/// each apart), while the public jobs have not changed since `at`; else
/// rendered by `render`, and kept. Every request still reads when the jobs
/// last changed (one indexed row), so nothing shown outlives a change.
pub(super) async fn rendered(
    key: &str,
    at: DateTime<Utc>,
    render: impl AsyncFnOnce() -> Result<String, AppError>,
) -> Result<String, AppError> {
    /// Kept: the most asked-for, up to this many (a page per filter).
    const KEPT: usize = 64;
    type Kept = std::collections::VecDeque<(String, DateTime<Utc>, String)>;
    static KEPT_PAGES: std::sync::Mutex<Kept> = std::sync::Mutex::new(Kept::new());
    let kept = KEPT_PAGES.lock().ok().and_then(|k| {
        k.iter()
            .find(|(name, when, _)| name == key && *when == at)
            .map(|(_, _, body)| body.clone())
    });
    if let Some(body) = kept {
        return Ok(body);
    }
    let body = render().await?;
    if let Ok(mut k) = KEPT_PAGES.lock() {
        k.retain(|(name, _, _)| name != key);
        if k.len() == KEPT {
            k.pop_front();
        }
        k.push_back((key.to_owned(), at, body.clone()));
    }
    Ok(body)
}

async fn list(
    State(state): State<AppState>,
    mut db: Db,
    headers: HeaderMap,
    Query(filter): Query<JobFilter>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let careers::Site {
        company,
        changed_at: at,
    } = careers::site(&mut *conn).await?;
    let v = Validators::new(
        at,
        &serde_urlencoded::to_string(&filter).unwrap_or_default(),
    );
    if v.fresh(&headers) {
        return v.answer(&headers, HTML, || Ok(String::new()));
    }
    let key = format!(
        "list {} {}",
        serde_urlencoded::to_string(&filter).unwrap_or_default(),
        state.config.public_url
    );
    let html = rendered(&key, at, async || {
        let mut jobs = careers::jobs(&mut *conn, &filter, Some(careers::PAGE_SIZE + 1)).await?;
        let (departments, locations) = careers::facets(&mut *conn).await?;
        let next_page = (jobs.len() as i64 > careers::PAGE_SIZE).then(|| {
            jobs.truncate(careers::PAGE_SIZE as usize);
            let after = jobs.last().map(|j| {
                crate::domain::kernel::After {
                    at: j.published_at,
                    id: j.requirement_id.uuid(),
                }
                .param()
            });
            let next = JobFilter {
                after: after.unwrap_or_default(),
                ..filter.clone()
            };
            format!(
                "/careers?{}",
                serde_urlencoded::to_string(next).unwrap_or_default()
            )
        });
        let page = ListPage {
            intro: super::markdown::to_safe_html(&company.intro),
            company,
            jobs,
            filter: filter.clone(),
            departments,
            locations,
            types: careers::EMPLOYMENT_TYPES,
            next_page,
        };
        Ok(page.render()?)
    })
    .await?;
    db.release();
    v.answer(&headers, HTML, || Ok(html))
}

async fn job(
    State(state): State<AppState>,
    mut db: Db,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let found = careers::by_slug(&mut *conn, &slug).await?;
    let careers::Posted {
        job,
        company,
        changed_at: at,
    } = match found {
        Some(Found::Job(posted)) => *posted,
        Some(Found::MovedTo(slug)) => {
            let to = format!("/careers/{}", crate::error::urlencode(&slug));
            return Ok((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response());
        }
        None => return missing(conn).await,
    };
    db.release();
    Validators::new(at, &slug).answer(&headers, HTML, || {
        Ok(JobPage::new(&state.config, company, job).render()?)
    })
}

/// The apply form's stamp: when the form was given out, signed with the
/// app's key. A post shows how long the form was open (a person takes
/// more than a few seconds; a script that posts at once does not) and
/// that it came from our page.
pub(super) struct Stamp {
    pub(super) issued: i64,
    pub(super) token: String,
}

/// Less time than this between the form given out and sent is a script's.
const MIN_FILL_SECONDS: i64 = 3;

impl Stamp {
    pub(super) fn new(secret: &[u8], slug: &str) -> Stamp {
        let issued = Utc::now().timestamp();
        Stamp {
            issued,
            token: Stamp::sign(secret, slug, issued),
        }
    }

    /// Under the app's key (every process of it has the same), for this
    /// job and this time.
    fn sign(secret: &[u8], slug: &str, issued: i64) -> String {
        use base64::Engine as _;
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let tag = ring::hmac::sign(&key, format!("apply|{slug}|{issued}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
    }

    /// The posted stamp is ours, for this job, and old enough.
    pub(super) fn holds(secret: &[u8], slug: &str, issued: &str, token: &str) -> bool {
        let Ok(at) = issued.trim().parse::<i64>() else {
            return false;
        };
        let ours = Stamp::sign(secret, slug, at);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            ours.as_bytes(),
            token.as_bytes(),
        )) && Utc::now().timestamp() - at >= MIN_FILL_SECONDS
    }
}

/// An application from the job page (a multipart form, for the resume).
/// Spam is turned away saving nothing: a filled honeypot is thanked as if
/// it had applied, a form sent faster than a person could is shown again,
/// and past the rate limit the answer is a 429.
async fn apply(
    State(state): State<AppState>,
    mut db: Db,
    Path(slug): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    // The body first, then a connection: a slow upload holds none.
    let (parts, body) = req.into_parts();
    let meta = super::request::RequestMeta::from_parts(&parts, &state);
    let max = state.config.file_max_bytes;
    let request = axum::extract::Request::from_parts(parts, body);
    let hint = super::upload::size_hint(&request);
    let (fields, file) = match axum::extract::Multipart::from_request(request, &state).await {
        Ok(form) => super::upload::read_form(form, max, hint).await?,
        Err(_) => (Vec::new(), super::upload::Uploaded::none(max)),
    };
    let conn = db.conn().await?;
    let careers::Posted { job, company, .. } = match careers::by_slug(&mut *conn, &slug).await? {
        Some(Found::Job(posted)) => *posted,
        _ => return missing(conn).await,
    };
    if fields.is_empty() {
        return Err(AppError::Refused(
            "Send the form as the job page does.".into(),
        ));
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    let thanks = format!("/careers/{}/applied", crate::error::urlencode(&slug));
    if !field("website").is_empty() {
        return Ok(super::render::see_other(&thanks));
    }
    let typed = ApplyForm {
        full_name: field("full_name"),
        email: field("email"),
        phone: field("phone"),
        links: field("links"),
        cover_letter: field("cover_letter"),
        consent: !field("consent").is_empty(),
        future_roles: !field("future_roles").is_empty(),
    };
    let again = |problems: Problems| {
        let mut page = JobPage::new(&state.config, company.clone(), job.clone());
        page.form = typed.clone();
        page.problems = problems;
        page
    };
    if !Stamp::holds(
        &state.config.secret_key,
        &slug,
        &field("issued"),
        &field("token"),
    ) {
        let problems = Problems {
            refusal: Some(
                "That was sent faster than a person fills a form in. Check your answers, choose \
                 your resume again and send it."
                    .into(),
            ),
            ..Problems::default()
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &again(problems));
    }
    let today = Utc::now().date_naive();
    let checked = typed.check(today, company.future_roles_months);
    let resume = file.check();
    let (fields, resume) = match (checked, resume) {
        (Ok(f), Ok(r)) => (f, r),
        (checked, resume) => {
            let mut e = checked.err().unwrap_or_default();
            if let Err(r) = resume {
                e.extend(r);
            } else {
                e.add(
                    "file",
                    "Choose your resume again: a form sent back cannot keep it.",
                );
            }
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Problems::fields(e)),
            );
        }
    };
    let email = fields
        .candidate
        .emails
        .first()
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    if !careers::within_limits(&mut *conn, meta.ip, &email).await? {
        let page = again(Problems {
            refusal: Some(
                "Too many applications were sent from here or for this address in the last \
                 hour. Try again later."
                    .into(),
            ),
            ..Problems::default()
        });
        let mut res = html(StatusCode::TOO_MANY_REQUESTS, &page)?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        return Ok(res);
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let actor = meta.actor(None);
    let done = careers::apply(
        &mut tx,
        &actor,
        &state.mail,
        &state.files,
        &job,
        &company.company_name,
        &fields,
        &resume,
    )
    .await;
    match done {
        Ok(Applied::New) => {
            tx.commit().await?;
            Ok(super::render::see_other(&thanks))
        }
        Ok(Applied::Again) => {
            tx.rollback().await?;
            html(
                StatusCode::OK,
                &AppliedPage {
                    company,
                    job,
                    again: true,
                },
            )
        }
        Err(e) => {
            tx.rollback().await?;
            let problems = Problems::try_from(e)?;
            html(problems.status(), &again(problems))
        }
    }
}

async fn applied(mut db: Db, Path(slug): Path<String>) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    match careers::by_slug(&mut *conn, &slug).await? {
        Some(Found::Job(posted)) => html(
            StatusCode::OK,
            &AppliedPage {
                company: posted.company,
                job: posted.job,
                again: false,
            },
        ),
        _ => missing(conn).await,
    }
}

pub(super) fn html(status: StatusCode, page: &impl Template) -> Result<Response, AppError> {
    Ok((status, [(header::CONTENT_TYPE, HTML)], page.render()?).into_response())
}

async fn missing(conn: &mut sqlx::PgConnection) -> Result<Response, AppError> {
    let company = careers::company(&mut *conn).await?;
    html(StatusCode::NOT_FOUND, &MissingPage { company })
}

/// The company as schema.org's `Organization`: its name, and its logo
/// when it has one (the page's header shows it).
fn organization(public_url: &str, company: &Company) -> serde_json::Value {
    let mut org = serde_json::json!({"@type": "Organization", "name": company.company_name});
    if let Some(logo) = &company.logo {
        org["logo"] = format!("{public_url}/logo/{logo}").into();
    }
    org
}

/// The job as schema.org's `JobPosting`, with what Google requires and
/// recommends: only what the page itself shows.
fn posting_json(public_url: &str, company: &Company, job: &Job) -> serde_json::Value {
    use serde_json::json;
    let unit = match job.pay_period.as_str() {
        "hour" => "HOUR",
        "month" => "MONTH",
        _ => "YEAR",
    };
    let employment = match job.employment_type.as_str() {
        "full_time" => "FULL_TIME",
        "part_time" => "PART_TIME",
        "contract" => "CONTRACTOR",
        "intern" => "INTERN",
        _ => "TEMPORARY",
    };
    let mut posting = json!({
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.description_html,
        "datePosted": job.published_at.date_naive().to_string(),
        "employmentType": employment,
        "identifier": {"@type": "PropertyValue", "name": company.company_name, "value": job.reference},
        "hiringOrganization": organization(public_url, company),
        // The page itself holds the whole application form.
        "directApply": true,
        "url": format!("{public_url}/careers/{}", crate::error::urlencode(&job.slug)),
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": job.currency,
            "value": {"@type": "QuantitativeValue", "minValue": job.pay_min, "maxValue": job.pay_max, "unitText": unit}
        }
    });
    if let Some(closes) = job.closes_on {
        posting["validThrough"] = json!(format!("{closes}T23:59:59Z"));
    }
    if job.remote() {
        posting["jobLocationType"] = json!("TELECOMMUTE");
        posting["applicantLocationRequirements"] = job
            .countries
            .iter()
            .map(|c| json!({"@type": "Country", "name": c}))
            .collect();
    }
    if !job.location.is_empty() {
        posting["jobLocation"] = json!({
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": job.location}
        });
    }
    posting
}

/// JSON for a `<script>` element: nothing in it can end the element or
/// open a comment.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
