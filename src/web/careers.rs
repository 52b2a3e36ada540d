//! The public careers site: the list of jobs and each job's page (with its
//! schema.org `JobPosting`). Served outside the session layer: nothing
//! here can read or write a session, so no visitor leaves a row or gets a
//! cookie. Every answer carries `Last-Modified` and an `ETag`, and a
//! conditional request that still holds gets a 304.

use super::render::filters;
use super::{AppState, Db};
use crate::domain::recruiting::careers::{self, Company, Found, Job, JobFilter};
use crate::error::AppError;
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::hash::{Hash, Hasher};

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/careers"), list)
        .serve(route!(GET "/careers/{slug}"), job)
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
}

#[derive(Template)]
#[template(path = "careers/job.html")]
struct JobPage {
    company: Company,
    job: Job,
    description: String,
    /// The schema.org `JobPosting`, ready for its script element.
    json_ld: String,
}

#[derive(Template)]
#[template(path = "careers/missing.html")]
struct MissingPage {
    company: Company,
}

/// What tells a client whether the copy it holds is current: the time the
/// public jobs last changed and an `ETag` of it with what the same time
/// serves differently (a path and its query).
struct Validators {
    at: DateTime<Utc>,
    etag: String,
}

impl Validators {
    fn new(at: DateTime<Utc>, variant: &str) -> Validators {
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        (at.timestamp_micros(), variant).hash(&mut hash);
        Validators {
            at,
            etag: format!("\"{:016x}\"", hash.finish()),
        }
    }

    /// The request's `If-None-Match` (or else `If-Modified-Since`) still
    /// holds.
    fn fresh(&self, headers: &HeaderMap) -> bool {
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
    fn answer(
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

async fn list(
    mut db: Db,
    headers: HeaderMap,
    Query(filter): Query<JobFilter>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let at = careers::last_change(&mut *conn).await?;
    let v = Validators::new(
        at,
        &serde_urlencoded::to_string(&filter).unwrap_or_default(),
    );
    if v.fresh(&headers) {
        return v.answer(&headers, HTML, || Ok(String::new()));
    }
    let company = careers::company(&mut *conn).await?;
    let jobs = careers::jobs(&mut *conn, &filter).await?;
    let (departments, locations) = careers::facets(&mut *conn).await?;
    db.release();
    let page = ListPage {
        intro: super::markdown::to_safe_html(&company.intro),
        company,
        jobs,
        filter,
        departments,
        locations,
        types: careers::EMPLOYMENT_TYPES,
    };
    v.answer(&headers, HTML, || Ok(page.render()?))
}

async fn job(
    State(state): State<AppState>,
    mut db: Db,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let found = careers::by_slug(&mut *conn, &slug).await?;
    let job = match found {
        Some(Found::Job(job)) => *job,
        Some(Found::MovedTo(slug)) => {
            let to = format!("/careers/{}", crate::error::urlencode(&slug));
            return Ok((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response());
        }
        None => {
            let company = careers::company(&mut *conn).await?;
            return Ok((
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, HTML)],
                MissingPage { company }.render()?,
            )
                .into_response());
        }
    };
    let at = careers::last_change(&mut *conn).await?;
    let company = careers::company(&mut *conn).await?;
    db.release();
    Validators::new(at, &slug).answer(&headers, HTML, || {
        let json_ld = script_json(&posting_json(&state.config.public_url, &company, &job));
        Ok(JobPage {
            description: super::markdown::to_safe_html(&job.description),
            json_ld,
            company,
            job,
        }
        .render()?)
    })
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
        "description": super::markdown::to_safe_html(&job.description),
        "datePosted": job.published_at.date_naive().to_string(),
        "employmentType": employment,
        "identifier": {"@type": "PropertyValue", "name": company.company_name, "value": job.reference},
        "hiringOrganization": {"@type": "Organization", "name": company.company_name},
        "directApply": false,
        "url": format!("{public_url}/careers/{}", job.slug),
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
