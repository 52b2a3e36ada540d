//! The careers site for machines, from the same public jobs as its pages:
//! an RSS 2.0 feed (`/careers.rss`), the XML job feed job boards such as
//! Indeed read (`/careers.xml`), and the sitemap (`/sitemap.xml`). Each
//! carries the same validators as the pages, and a 304 when nothing
//! changed.

use super::Db;
use super::careers::Validators;
use crate::domain::recruiting::careers::{self, Company, Job, JobFilter};
use crate::error::AppError;
use crate::web::routes::{Routes, route};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use quick_xml::escape::escape;
use std::fmt::Write as _;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/careers.rss"), rss)
        .serve(route!(GET "/careers.xml"), job_feed)
        .serve(route!(GET "/sitemap.xml"), sitemap)
}

/// A feed's answer: a 304 while the client's copy is current; else the
/// feed rendered from every public job (kept while they do not change:
/// [`super::careers::rendered`]).
async fn feed(
    db: &mut Db,
    headers: &HeaderMap,
    base: &str,
    variant: &'static str,
    content_type: &'static str,
    render: impl FnOnce(&Validators, &Company, &[Job]) -> String,
) -> Result<Response, AppError> {
    let conn = db.conn().await?;
    let site = careers::site(&mut *conn).await?;
    let v = Validators::new(site.changed_at, variant);
    if v.fresh(headers) {
        return v.answer(headers, content_type, || Ok(String::new()));
    }
    let key = format!("{variant} {base}");
    let body = super::careers::rendered(&key, v.at, async || {
        let jobs = careers::jobs(&mut *conn, &JobFilter::default(), None).await?;
        Ok(render(&v, &site.company, &jobs))
    })
    .await?;
    db.release();
    v.answer(headers, content_type, || Ok(body))
}

const XML: &str = "application/xml; charset=utf-8";

fn rfc2822(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Text inside CDATA: a `]]>` in it ends one section and starts another.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

async fn rss(
    State(state): State<super::AppState>,
    mut db: Db,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = state.config.public_url.clone();
    let content_type = "application/rss+xml; charset=utf-8";
    feed(
        &mut db,
        &headers,
        &base,
        "rss",
        content_type,
        |v, company, jobs| {
            let mut out = String::from(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>",
            );
            let name = escape(&company.company_name);
            let _ = write!(
                out,
                "<title>{name} careers</title><link>{base}/careers</link>\
             <description>The open jobs at {name}</description><language>en</language>\
             <lastBuildDate>{}</lastBuildDate>",
                rfc2822(v.at)
            );
            for j in jobs {
                let _ = write!(
                    out,
                    "<item><title>{}</title><link>{base}/careers/{}</link>\
                 <guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate>\
                 <category>{}</category><description>{}</description></item>",
                    escape(&j.title),
                    crate::error::urlencode(&j.slug),
                    escape(&j.reference),
                    rfc2822(j.published_at),
                    escape(&j.department),
                    escape(format!(
                        "{} · {} · {}",
                        j.where_line(),
                        j.employment_label(),
                        j.pay_line()
                    )),
                );
            }
            out.push_str("</channel></rss>\n");
            out
        },
    )
    .await
}

/// The feed job boards read (Indeed's XML format): every public job, its
/// texts as CDATA, its reference number the requirement's, which never
/// changes.
async fn job_feed(
    State(state): State<super::AppState>,
    mut db: Db,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = state.config.public_url.clone();
    feed(&mut db, &headers, &base, "xml", XML, |v, company, jobs| {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<source>");
        let _ = write!(
            out,
            "<publisher>{}</publisher><publisherurl>{}</publisherurl><lastBuildDate>{}</lastBuildDate>",
            cdata(&company.company_name),
            cdata(&format!("{base}/careers")),
            rfc2822(v.at)
        );
        for j in jobs {
            let jobtype = match j.employment_type.as_str() {
                "full_time" => "fulltime",
                "part_time" => "parttime",
                "contract" => "contract",
                "intern" => "internship",
                _ => "temporary",
            };
            let _ = write!(
                out,
                "<job><title>{}</title><date>{}</date><referencenumber>{}</referencenumber>\
                 <url>{}</url><company>{}</company><city>{}</city><country>{}</country>\
                 <description>{}</description><salary>{}</salary><jobtype>{}</jobtype>\
                 <category>{}</category>{}{}</job>",
                cdata(&j.title),
                cdata(&rfc2822(j.published_at)),
                cdata(&j.reference),
                cdata(&format!("{base}/careers/{}", crate::error::urlencode(&j.slug))),
                cdata(&company.company_name),
                cdata(&j.location),
                cdata(&j.countries.join(", ")),
                cdata(&j.description_html),
                cdata(&j.pay_line()),
                cdata(jobtype),
                cdata(&j.department),
                if j.remote() {
                    format!("<remotetype>{}</remotetype>", cdata("Fully remote"))
                } else {
                    String::new()
                },
                match j.closes_on {
                    Some(d) => format!("<expirationdate>{}</expirationdate>", cdata(&d.to_string())),
                    None => String::new(),
                },
            );
        }
        out.push_str("</source>\n");
        out
    })
    .await
}

async fn sitemap(
    State(state): State<super::AppState>,
    mut db: Db,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = state.config.public_url.clone();
    feed(&mut db, &headers, &base, "sitemap", XML, |v, _, jobs| {
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">",
        );
        let _ = write!(
            out,
            "<url><loc>{base}/careers</loc><lastmod>{}</lastmod></url>",
            v.at.format("%Y-%m-%d")
        );
        for j in jobs {
            let _ = write!(
                out,
                "<url><loc>{base}/careers/{}</loc><lastmod>{}</lastmod></url>",
                crate::error::urlencode(&j.slug),
                j.updated_at.format("%Y-%m-%d")
            );
        }
        out.push_str("</urlset>\n");
        out
    })
    .await
}
