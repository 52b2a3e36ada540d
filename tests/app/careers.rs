//! The public careers site: publishing a requirement, the job list and the
//! job page with its JSON-LD, conditional requests, old slugs, and a job
//! leaving every page at once.

use crate::harness::fixtures::{Chain, act, opened};
use crate::harness::{Client, Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

/// An open requirement whose recruiter is signed in.
async fn open_job(app: &TestApp) -> (Chain, Client) {
    let chain = opened(app).await;
    let (recruiter, recruiter_id) = app.signed_in(Role::Recruiter).await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(chain.requirement)
        .bind(recruiter_id)
        .execute(&app.pool)
        .await
        .unwrap();
    (chain, recruiter)
}

pub(crate) fn posting<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("title", title),
        (
            "description",
            "Run **our** platform.\n\n- Rust\n- PostgreSQL",
        ),
        ("remote_policy", "hybrid"),
        ("location", "Lisbon"),
        ("countries", ""),
        ("employment_type", "full_time"),
        ("pay_min", "60000"),
        ("pay_max", "80000"),
        ("currency", "EUR"),
        ("pay_period", "year"),
        ("closes_on", ""),
        ("version", "0"),
    ];
    for (k, v) in extra {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

fn json_ld(page: &Page) -> Value {
    let html = page.html();
    let script = html
        .select(&scraper::Selector::parse("script[type='application/ld+json']").unwrap())
        .next()
        .expect("the job page has its JSON-LD");
    serde_json::from_str(&script.inner_html()).unwrap()
}

/// The texts (CDATA included) of the elements at `path` ("rss/channel/item/title"),
/// read by a real XML parser: a document that is not well-formed fails.
fn xml_texts(xml: &str, path: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut at, mut texts) = (Vec::<String>::new(), Vec::new());
    let mut text: Option<String> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                at.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                if at.join("/") == path {
                    text = Some(String::new());
                }
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if format!("{}/{name}", at.join("/")) == path {
                    texts.push(String::new());
                }
            }
            Event::Text(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(s) = text.as_mut() {
                    let name = r.decode().unwrap();
                    s.push_str(&quick_xml::escape::unescape(&format!("&{name};")).unwrap());
                }
            }
            Event::CData(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(std::str::from_utf8(&t).unwrap());
                }
            }
            Event::End(_) => {
                if at.join("/") == path {
                    texts.push(text.take().unwrap_or_default());
                }
                at.pop();
            }
            Event::Eof => return texts,
            _ => {}
        }
    }
}

/// The posting's version, as its form holds it.
async fn posting_version(app: &TestApp, requirement: Uuid) -> String {
    let version: i32 = sqlx::query_scalar("select version from postings where requirement_id = $1")
        .bind(requirement)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    version.to_string()
}

pub(crate) async fn slug_of(app: &TestApp, requirement: Uuid) -> String {
    sqlx::query_scalar("select slug from postings where requirement_id = $1")
        .bind(requirement)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_published_job_is_on_the_careers_site_with_its_json_ld() {
    let app = TestApp::spawn().await;
    let (chain, recruiter) = open_job(&app).await;
    let id = chain.requirement;
    let path = format!("/requirements/{id}/posting");

    // The form starts from the requirement; the pay range is required.
    let form = recruiter.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.attr("#title", "value").as_deref(),
        Some("Platform engineer")
    );
    let res = recruiter
        .post(
            &path,
            &posting("Platform engineer", &[("pay_max", "0"), ("pay_min", "0")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("pay_max").unwrap().contains("pay range"));
    assert_eq!(
        res.attr("#title", "value").as_deref(),
        Some("Platform engineer")
    );
    // Its hiring manager may not publish it.
    assert_eq!(chain.hm.get(&path).await.status, StatusCode::FORBIDDEN);

    recruiter
        .post(
            &path,
            &posting("Platform engineer (Rust)", &[("closes_on", "2099-01-31")]),
        )
        .await
        .assert_redirect(&path);
    let reference: String = sqlx::query_scalar("select reference from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let slug = format!("platform-engineer-rust-{}", reference.to_lowercase());

    // Seen by anyone, and nobody gets a session for it.
    let visitor = app.client();
    let before = sessions(&app).await;
    let list = visitor.get("/careers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.headers.get("set-cookie").is_none());
    assert_eq!(list.texts(".job h3 a"), ["Platform engineer (Rust)"]);
    assert_eq!(list.texts(".job .pay"), ["EUR 60,000–80,000 a year"]);
    let page = visitor.get(&format!("/careers/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(sessions(&app).await, before);
    assert_eq!(page.texts("h1"), ["Platform engineer (Rust)"]);
    assert!(page.texts(".prose strong").contains(&"our".to_owned()));

    // The JSON-LD says what the page shows.
    let ld = json_ld(&page);
    assert_eq!(ld["@type"], "JobPosting");
    assert_eq!(ld["title"], "Platform engineer (Rust)");
    for required in [
        "description",
        "datePosted",
        "hiringOrganization",
        "jobLocation",
    ] {
        assert!(!ld[required].is_null(), "{required} in {ld}");
    }
    assert_eq!(ld["validThrough"], "2099-01-31T23:59:59Z");
    assert_eq!(ld["employmentType"], "FULL_TIME");
    assert_eq!(ld["identifier"]["value"], reference.as_str());
    assert_eq!(ld["directApply"], true);
    assert_eq!(ld["baseSalary"]["currency"], "EUR");
    assert_eq!(ld["baseSalary"]["value"]["minValue"], 60000);
    assert_eq!(ld["baseSalary"]["value"]["maxValue"], 80000);
    assert_eq!(ld["baseSalary"]["value"]["unitText"], "YEAR");
    assert_eq!(ld["jobLocation"]["address"]["addressLocality"], "Lisbon");
    let shown = page.texts("dl.meta dd").join(" | ");
    assert!(shown.contains("EUR 60,000–80,000 a year"), "{shown}");
    assert!(shown.contains("Lisbon (hybrid)"), "{shown}");
    assert!(shown.contains(&reference), "{shown}");
    assert!(shown.contains("2099-01-31"), "{shown}");
    assert!(ld["jobLocationType"].is_null());

    // Unchanged: a conditional request gets a 304, by tag or by date.
    let etag = page.headers["etag"].to_str().unwrap().to_owned();
    let modified = page.headers["last-modified"].to_str().unwrap().to_owned();
    let job = format!("/careers/{slug}");
    let again = visitor.get_with(&job, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let again = visitor
        .get_with(&job, &[("If-Modified-Since", &modified)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // The company's name is on it too (read in the same statement as the
    // job): renamed, the old tag no longer holds.
    sqlx::query("update careers_settings set company_name = 'Hare Works', updated_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    let renamed = visitor.get_with(&job, &[("If-None-Match", &etag)]).await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.texts(".brand"), ["Hare Works careers"]);
    let etag = renamed.headers["etag"].to_str().unwrap().to_owned();

    // Remote, retitled: the old address leads to the new one, the old tag
    // no longer holds, and the JSON-LD says where applicants may live.
    let version = posting_version(&app, id).await;
    recruiter
        .post(
            &path,
            &posting(
                "Staff platform engineer",
                &[
                    ("remote_policy", "remote"),
                    ("location", ""),
                    ("countries", "pt, es"),
                    ("version", &version),
                ],
            ),
        )
        .await
        .assert_redirect(&path);
    let moved = visitor.get(&job).await;
    let new_slug = format!(
        "/careers/staff-platform-engineer-{}",
        reference.to_lowercase()
    );
    assert_eq!(
        (moved.status, moved.location()),
        (StatusCode::MOVED_PERMANENTLY, new_slug.as_str())
    );
    let page = visitor
        .get_with(&new_slug, &[("If-None-Match", &etag)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let ld = json_ld(&page);
    assert_eq!(ld["jobLocationType"], "TELECOMMUTE");
    assert_eq!(ld["applicantLocationRequirements"][1]["name"], "ES");
    assert!(ld["jobLocation"].is_null());
    assert!(
        page.texts("dl.meta dd")
            .contains(&"Remote (PT, ES)".to_owned())
    );
    // A stale save says who changed what.
    let stale = recruiter
        .post(&path, &posting("Something else", &[("version", &version)]))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("Staff platform engineer"),
        "{}",
        stale.body
    );
}

#[tokio::test]
async fn a_job_leaves_the_site_when_unpublished_held_or_closed() {
    let app = TestApp::spawn().await;
    let (chain, recruiter) = open_job(&app).await;
    let id = chain.requirement;
    let path = format!("/requirements/{id}/posting");
    recruiter
        .post(&path, &posting("Platform engineer", &[]))
        .await
        .assert_redirect(&path);
    let visitor = app.client();
    let listed = async || visitor.get("/careers").await.texts(".job h3 a").len();
    let slug = slug_of(&app, id).await;
    let job = format!("/careers/{slug}");
    assert_eq!(listed().await, 1);

    // The feeds and the sitemap say the same as the pages.
    let base = app.url("");
    let rss = visitor.get("/careers.rss").await;
    assert_eq!(rss.status, StatusCode::OK);
    assert!(
        rss.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert_eq!(
        xml_texts(&rss.body, "rss/channel/item/title"),
        ["Platform engineer"]
    );
    assert_eq!(
        xml_texts(&rss.body, "rss/channel/item/link"),
        [format!("{base}{job}")]
    );
    let reference: String = sqlx::query_scalar("select reference from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        xml_texts(&rss.body, "rss/channel/item/guid"),
        std::slice::from_ref(&reference)
    );
    let feed = visitor.get("/careers.xml").await;
    assert_eq!(
        xml_texts(&feed.body, "source/job/title"),
        ["Platform engineer"]
    );
    assert_eq!(
        xml_texts(&feed.body, "source/job/referencenumber"),
        [reference]
    );
    assert_eq!(
        xml_texts(&feed.body, "source/job/url"),
        [format!("{base}{job}")]
    );
    assert_eq!(
        xml_texts(&feed.body, "source/job/salary"),
        ["EUR 60,000–80,000 a year"]
    );
    assert!(xml_texts(&feed.body, "source/job/description")[0].contains("<strong>our</strong>"));
    assert!(feed.body.contains("<![CDATA["));
    let sitemap = visitor.get("/sitemap.xml").await;
    assert_eq!(
        xml_texts(&sitemap.body, "urlset/url/loc"),
        [format!("{base}/careers"), format!("{base}{job}")]
    );
    assert_eq!(xml_texts(&sitemap.body, "urlset/url/lastmod").len(), 2);
    let etag = feed.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        visitor
            .get_with("/careers.xml", &[("If-None-Match", &etag)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );

    // Unpublished: gone from the list, its page, the feeds and the
    // sitemap, at once.
    recruiter
        .post(&format!("{path}/deletion"), &[])
        .await
        .assert_redirect(&path);
    assert_eq!(listed().await, 0);
    assert_eq!(visitor.get(&job).await.status, StatusCode::NOT_FOUND);
    let rss = visitor.get("/careers.rss").await;
    assert!(xml_texts(&rss.body, "rss/channel/item/title").is_empty());
    assert_eq!(xml_texts(&rss.body, "rss/channel/title").len(), 1);
    let feed = visitor
        .get_with("/careers.xml", &[("If-None-Match", &etag)])
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(xml_texts(&feed.body, "source/job/title").is_empty());
    let sitemap = visitor.get("/sitemap.xml").await;
    assert_eq!(
        xml_texts(&sitemap.body, "urlset/url/loc"),
        [format!("{base}/careers")]
    );
    assert_eq!(
        recruiter
            .post(&format!("{path}/deletion"), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Published again, then the requirement put on hold: gone; resumed:
    // back.
    let version = posting_version(&app, id).await;
    recruiter
        .post(
            &path,
            &posting("Platform engineer", &[("version", &version)]),
        )
        .await
        .assert_redirect(&path);
    assert_eq!(listed().await, 1);
    act(&app, &chain.hm, id, "hold")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(listed().await, 0);
    assert_eq!(visitor.get(&job).await.status, StatusCode::NOT_FOUND);
    act(&app, &chain.hm, id, "resume")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(listed().await, 1);
    // Its closing date passed (the posting last saved yesterday, the day
    // now after its closing date): gone.
    sqlx::query(
        "update postings set closes_on = current_date - 1, updated_at = now() - interval '1 day'
          where requirement_id = $1",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(listed().await, 0);
    assert_eq!(visitor.get(&job).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_careers_list_filters_by_team_place_type_and_words() {
    let app = TestApp::spawn().await;
    let (chain, recruiter) = open_job(&app).await;
    let path = format!("/requirements/{}/posting", chain.requirement);
    recruiter
        .post(
            &path,
            &posting(
                "Platform engineer",
                &[
                    ("remote_policy", "remote"),
                    ("location", ""),
                    ("countries", "PT"),
                ],
            ),
        )
        .await
        .assert_redirect(&path);
    let visitor = app.client();
    let found = async |query: &str| {
        visitor
            .get(&format!("/careers?{query}"))
            .await
            .texts(".job h3 a")
    };
    assert_eq!(found("q=platform").await, ["Platform engineer"]);
    assert_eq!(found("q=PostgreSQL").await, ["Platform engineer"]);
    assert!(found("q=accountant").await.is_empty());
    assert_eq!(found("remote=remote").await, ["Platform engineer"]);
    assert!(found("employment_type=intern").await.is_empty());
    assert!(found("department=Nowhere").await.is_empty());
    assert!(found("location=%25").await.is_empty());
    // Odd input is no error.
    assert_eq!(
        visitor.get("/careers?q=%00%27%22").await.status,
        StatusCode::OK
    );
    assert_eq!(
        visitor.get("/careers/%00").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_candidate_applies_on_the_job_page_and_lands_at_the_first_stage() {
    let app = TestApp::spawn().await;
    let (chain, recruiter) = open_job(&app).await;
    let id = chain.requirement;
    let path = format!("/requirements/{id}/posting");
    recruiter
        .post(&path, &posting("Platform engineer", &[]))
        .await
        .assert_redirect(&path);
    let slug = slug_of(&app, id).await;
    let job = format!("/careers/{slug}");
    let apply = format!("{job}/application");
    let visitor = app.client();
    let sessions_before = sessions(&app).await;
    let count = async |sql: &'static str| -> i64 {
        sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
    };
    let page = visitor.get(&job).await;
    let issued = page.attr("input[name=issued]", "value").unwrap();
    let token = page.attr("input[name=token]", "value").unwrap();
    let resume = crate::harness::documents::pdf(&["Ana Costa\nana@mail.test\nRust and PostgreSQL"]);
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("issued", issued.clone()),
            ("token", token.clone()),
            ("website", String::new()),
            ("full_name", "Ana Costa".into()),
            ("email", "Ana@Mail.test".into()),
            ("phone", "+351 912 345 678".into()),
            ("links", "https://example.com/ana".into()),
            ("cover_letter", "I run platforms.".into()),
            ("consent", "on".into()),
        ];
        for (k, v) in extra {
            f.retain(|(name, _)| name != k);
            f.push((k, v.to_string()));
        }
        f
    };
    let send = async |f: Vec<(&str, String)>, file: bool| {
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let file = file.then(|| ("ana.pdf", resume.clone()));
        visitor.post_multipart(&apply, &fields, file).await
    };

    // Sent at once: a script's speed. Shown again, nothing saved.
    let res = send(form(&[]), true).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.texts(".flash.error")[0].contains("faster than a person"));
    assert_eq!(
        res.attr("#full_name", "value").as_deref(),
        Some("Ana Costa")
    );
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;

    // The honeypot filled: thanked, nothing saved.
    let res = send(form(&[("website", "http://spam.example")]), true).await;
    res.assert_redirect(&format!("{job}/applied"));
    assert_eq!(count("select count(*) from candidates").await, 0);

    // Problems beside their fields, the input kept.
    let res = send(form(&[("consent", ""), ("email", "ana@")]), false).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("consent")
            .unwrap()
            .contains("Tick this box")
    );
    assert!(res.field_error("email").is_some());
    assert!(res.field_error("file").is_some());
    assert_eq!(
        res.attr("#phone", "value").as_deref(),
        Some("+351 912 345 678")
    );
    assert_eq!(res.texts("#cover_letter"), ["I run platforms."]);
    assert_eq!(count("select count(*) from candidates").await, 0);

    // Sent: in the pipeline at Applied, the recruiter told, a mail to them.
    let res = send(form(&[("future_roles", "on")]), true).await;
    res.assert_redirect(&format!("{job}/applied"));
    let thanks = visitor.get(res.location()).await;
    assert!(thanks.texts("h1")[0].starts_with("Thank you"));
    let (stage, source, letter): (String, String, String) = sqlx::query_as(
        "select s.name, a.source, a.cover_letter from applications a
           join pipeline_stages s on s.id = a.stage_id where a.requirement_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (stage.as_str(), source.as_str(), letter.as_str()),
        ("Applied", "careers_page", "I run platforms.")
    );
    assert_eq!(
        count("select count(*) from file_attachments where candidate_id is not null").await,
        1
    );
    assert_eq!(
        count("select count(*) from candidates where consent_given_at is not null and consent_until > current_date + 300").await,
        1
    );
    assert!(
        app.last_mail_to("ana@mail.test")
            .await
            .unwrap()
            .contains("Platform engineer")
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications n join requirements r on r.recruiter_id = n.user_id
          where r.id = $1 and n.event = 'candidate.added'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    let board = recruiter.get(&format!("/requirements/{id}/board")).await;
    assert_eq!(
        board.texts(".board-column:nth-child(1) .card-item > a"),
        ["Ana Costa"]
    );

    // Again, by the same address: said kindly, nothing new.
    let res = send(form(&[("email", "ana@mail.test")]), true).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.texts("h1")[0].contains("applied for this job already"));
    assert_eq!(count("select count(*) from applications").await, 1);
    assert_eq!(count("select count(*) from candidates").await, 1);

    // Past the limit for one address: a 429, nothing saved.
    let res = send(form(&[("email", "ana@mail.test")]), true).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = send(form(&[("email", "ana@mail.test")]), true).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers["retry-after"], "3600");
    assert_eq!(count("select count(*) from applications").await, 1);
    // And no visitor got a session.
    assert_eq!(sessions(&app).await, sessions_before);
}

/// A valid 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test]
async fn the_logo_is_an_image_judged_by_its_bytes_shown_on_every_careers_page() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let (chain, recruiter) = open_job(&app).await;
    let path = format!("/requirements/{}/posting", chain.requirement);
    recruiter
        .post(&path, &posting("Platform engineer", &[]))
        .await
        .assert_redirect(&path);
    let slug = slug_of(&app, chain.requirement).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin.get("/admin/careers").await;
    // Not an image, whatever its name says: refused beside the field.
    let res = admin
        .post_file(
            "/admin/careers/logo",
            "logo.png",
            b"<svg onload=alert(1)>".to_vec(),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("file").as_deref(),
        Some("The logo must be a PNG, JPEG or WebP image.")
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .unwrap();
    admin
        .post_file("/admin/careers/logo", "anything.bin", png.clone(), None)
        .await
        .assert_redirect("/admin/careers");
    let page = app.client().get(&format!("/careers/{slug}")).await;
    let src = page.attr(".brand img.logo", "src").unwrap();
    assert_eq!(page.attr(".brand img.logo", "width").as_deref(), Some("1"));
    assert_eq!(page.attr(".brand img.logo", "height").as_deref(), Some("1"));
    assert_eq!(
        json_ld(&page)["hiringOrganization"]["logo"],
        app.config.public_url.clone() + &src
    );
    let (status, headers, bytes) = app.client().get_bytes(&src).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(bytes, png);
    assert_eq!(
        app.client()
            .get("/careers")
            .await
            .attr(".brand img.logo", "src"),
        Some(src.clone())
    );
    // Taken off: off every page, its address gone.
    admin.get("/admin/careers").await;
    admin
        .post("/admin/careers/logo/deletion", &[])
        .await
        .assert_redirect("/admin/careers");
    let page = app.client().get(&format!("/careers/{slug}")).await;
    assert!(page.attr(".brand img", "src").is_none());
    assert!(json_ld(&page)["hiringOrganization"]["logo"].is_null());
    assert_eq!(app.client().get_bytes(&src).await.0, StatusCode::NOT_FOUND);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where action = 'careers_settings.updated' and changes ? 'logo'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}
