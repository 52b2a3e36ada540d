//! What every response shares: error pages in the layout, security headers,
//! static files, compression, health and metrics.

use crate::harness::{Client, PASSWORD, TestApp};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::approval::TaskId;
use reqwest::StatusCode;

#[tokio::test]
async fn not_found_is_a_real_page_in_the_layout() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let res = admin.get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.texts("h1"), vec!["Page not found"]);
    assert!(
        res.texts("nav.main-nav a").contains(&"Admin".to_owned()),
        "the signed-in navigation is there"
    );
    let res = admin
        .get(&format!("/admin/users/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.texts(".error-page .code"), vec!["404"]);
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let res = viewer.get("/admin/levels").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.texts("h1"), vec!["Not allowed"]);
    assert!(
        !res.texts("nav.main-nav a").contains(&"Admin".to_owned()),
        "navigation follows the role"
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let res = app.client().get("/sign-in").await;
    let csp = res.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(res.headers["x-content-type-options"], "nosniff");
    assert_eq!(res.headers["referrer-policy"], "same-origin");
    assert_eq!(res.headers["cache-control"], "no-store");
    assert!(res.headers.contains_key("x-request-id"));
    let cookie = res.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // No inline script or style for the CSP to block.
    assert!(res.texts("script:not([src])").is_empty());
    assert!(res.texts("style").is_empty());
    assert!(
        res.html()
            .select(&scraper::Selector::parse("[style]").unwrap())
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn static_files_have_hashed_names_and_are_cached_forever() {
    let app = TestApp::spawn().await;
    let page = app.client().get("/sign-in").await;
    let css = page.attr("link[rel=stylesheet]", "href").unwrap();
    // Scripts come with the pages of someone signed in.
    let (client, _) = app
        .signed_in(hiring_hare::domain::access::Role::Viewer)
        .await;
    let js = client.get("/").await.attr("script[src]", "src").unwrap();
    assert!(regex_like(&css, "/static/app.", ".css"), "{css}");
    assert!(regex_like(&js, "/static/htmx.min.", ".js"), "{js}");
    let res = reqwest::Client::new()
        .get(app.url(&css))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()["content-type"], "text/css");
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let res = reqwest::get(app.url("/static/app.css")).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "only the hashed name is served"
    );
}

/// Pages are compressed as browsers ask, and decode to the page itself:
/// zstd for what Chrome and Firefox send, brotli for Safari, gzip else.
#[tokio::test]
async fn pages_come_compressed_as_the_browser_asks_and_decode_whole() {
    use std::io::Read as _;
    let app = TestApp::spawn().await;
    let fetch = |encoding: &'static str| {
        let url = app.url("/careers");
        async move {
            let res = reqwest::Client::new()
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let used = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (used, res.bytes().await.unwrap().to_vec())
        }
    };
    let (used, page) = fetch("identity").await;
    assert_eq!(used, None);
    assert!(String::from_utf8_lossy(&page).contains("</html>"));
    let (used, _) = fetch("gzip, deflate, br, zstd").await;
    assert_eq!(used.as_deref(), Some("zstd"), "Chrome's header");
    for encoding in ["zstd", "br", "gzip"] {
        let (used, body) = fetch(encoding).await;
        assert_eq!(used.as_deref(), Some(encoding));
        assert!(
            body.len() < page.len() / 2,
            "{encoding}: {} bytes",
            body.len()
        );
        let mut decoded = Vec::new();
        match encoding {
            "zstd" => decoded = zstd::decode_all(&body[..]).unwrap(),
            "br" => {
                brotli_decompressor::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut decoded)
                    .unwrap();
            }
            _ => {
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut decoded)
                    .unwrap();
            }
        }
        assert!(decoded == page, "{encoding} decodes to another page");
    }
}

fn regex_like(s: &str, prefix: &str, suffix: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|hash| hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

#[tokio::test]
async fn health_and_metrics() {
    const TOKEN: &str = "metrics-token-for-the-test";
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    let live = reqwest::get(app.url("/health/live")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(
        reqwest::get(app.url("/health/ready"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let health: serde_json::Value = serde_json::from_str(
        &reqwest::get(app.url("/health"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(health["live"], true);
    assert_eq!(health["ready"], true);
    assert_eq!(health["checks"]["database"], "ok");
    app.client().get("/sign-in").await;
    let scrape = |token: Option<&'static str>| {
        let mut req = reqwest::Client::new().get(app.url("/metrics"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    assert_eq!(
        scrape(None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        scrape(Some("a-guess-at-the-token")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let metrics = scrape(Some(TOKEN)).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("http_requests_total{route=\"/sign-in\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds"));
    assert!(metrics.contains("db_pool_connections"));
    // Not ready when a migration is missing, and nobody is told why.
    sqlx::query("delete from _sqlx_migrations")
        .execute(&app.pool)
        .await
        .unwrap();
    let ready = reqwest::get(app.url("/health/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text().await.unwrap(), "not ready");
    let health = reqwest::get(app.url("/health")).await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: serde_json::Value = serde_json::from_str(&health.text().await.unwrap()).unwrap();
    assert_eq!(health["ready"], false);
    assert_eq!(health["checks"]["database"], "fail");
    assert!(
        !health.to_string().contains("migrations"),
        "no error text: {health}"
    );
}

#[tokio::test]
async fn metrics_are_not_served_without_a_token_configured() {
    let app = TestApp::spawn().await;
    let res = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = app.client().get("/metrics").await;
    assert_eq!(page.texts("h1"), vec!["Page not found"]);
}

#[tokio::test]
async fn a_request_id_from_the_client_is_kept_only_when_well_formed() {
    let app = TestApp::spawn().await;
    let audited_id = |email: String| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(
                "select a.request_id from audit_logs a join users u on u.id = a.entity_id
                  where a.action = 'user.signed_in' and u.email = $1",
            )
            .bind(email)
            .fetch_one(&pool)
            .await
            .unwrap()
            .unwrap_or_default()
        }
    };
    let sign_in_with = |id: String| {
        let app = &app;
        async move {
            let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
            app.user(&email, "Rita", &[Role::Viewer]).await;
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("x-request-id", id.parse().unwrap());
            let client = Client::with_headers(&app.url(""), headers);
            let res = client.sign_in(&email, PASSWORD, "/").await;
            res.assert_redirect("/");
            email
        }
    };
    let kept = sign_in_with("lb-7f3a.42_x".into()).await;
    assert_eq!(audited_id(kept).await, "lb-7f3a.42_x");
    for bad in ["x".repeat(10 * 1024), "two words\there".into()] {
        let email = sign_in_with(bad.clone()).await;
        let audited = audited_id(email).await;
        assert!(
            uuid::Uuid::parse_str(&audited).is_ok(),
            "{bad:.20}… became {audited:?}"
        );
    }
}

#[tokio::test]
async fn seed_demo_is_idempotent_and_gives_one_user_per_role() {
    let app = TestApp::spawn().await;
    let mail = hiring_hare::mail::MailRenderer::new(&app.config);
    hiring_hare::seed::demo(&app.pool, &mail).await.unwrap();
    hiring_hare::seed::demo(&app.pool, &mail).await.unwrap();
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from users), (select count(*) from departments), (select count(*) from job_levels)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(counts, (7, 6, 6));
    for role in Role::ALL {
        let roles: Vec<String> = sqlx::query_scalar("select roles from users where email = $1")
            .bind(format!("{}@demo.hiringhare.test", role.as_str()))
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(roles, vec![role.as_str()]);
    }
    let heads: i64 =
        sqlx::query_scalar("select count(*) from departments where head_id is not null")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(heads, 6);
    let statuses: Vec<String> =
        sqlx::query_scalar("select status from requirements order by reference")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        statuses,
        vec![
            "draft",
            "pending_approval",
            "pending_approval",
            "changes_requested",
            "rejected",
            "approved",
            "open",
            "on_hold",
            "filled",
            "cancelled"
        ]
    );
    // The filled one hired a named person into every opening.
    let unnamed: i64 = sqlx::query_scalar(
        "select count(*) from openings o join requirements r on r.id = o.requirement_id
          where r.status = 'filled' and (o.status <> 'filled' or o.hire_name is null)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(unnamed, 0);
    // The pending ones wait for someone, with a mail linking the decision page.
    let waiting: i64 =
        sqlx::query_scalar("select count(*) from approval_tasks where status = 'pending'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(waiting >= 2, "{waiting}");
    let links: i64 = sqlx::query_scalar("select count(*) from outbox where template = 'approval.pending' and body_text like '%/approvals/%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(links >= waiting);
}

/// The command line, as an operator runs it: the real binary against a
/// fresh database named by DATABASE_URL.
#[tokio::test]
async fn admin_create_user_reads_the_password_from_stdin() {
    use std::io::Write;
    let (pool, url) = crate::harness::fresh_database().await;
    let data = tempfile::tempdir().unwrap();
    let run = |password: &'static str| {
        let url = url.clone();
        let data = data.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hiring-hare"))
                .args([
                    "admin",
                    "create-user",
                    "--email",
                    "Root@Example.com",
                    "--name",
                    "Rosa Root",
                ])
                .args(["--role", "super_admin", "--role", "approver"])
                .env("DATABASE_URL", url)
                .env("DATA_DIR", data)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{password}\n").as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        })
    };
    let weak = run("short").await.unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("Use at least 12 characters."));
    let ok = run(crate::harness::PASSWORD).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let roles: Vec<String> =
        sqlx::query_scalar("select roles from users where email = 'root@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(roles, vec!["approver", "super_admin"]);
    let again = run(crate::harness::PASSWORD).await.unwrap();
    assert!(!again.status.success(), "the email is taken now");
}

#[tokio::test]
async fn seed_load_tops_up_to_n_with_consistent_references_and_decidable_approvals() {
    let app = TestApp::spawn().await;
    let mail = hiring_hare::mail::MailRenderer::new(&app.config);
    hiring_hare::seed_load::load(&app.pool, &mail, 400, 400)
        .await
        .unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from requirements")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 400);
    // Again: nothing to add. More: only the difference.
    hiring_hare::seed_load::load(&app.pool, &mail, 400, 400)
        .await
        .unwrap();
    assert_eq!(count().await, 400);
    hiring_hare::seed_load::load(&app.pool, &mail, 450, 450)
        .await
        .unwrap();
    assert_eq!(count().await, 450);
    // Candidates too, with their applications only to requirements that
    // recruit, each application's stage history ending where it is.
    let (candidates, applications, wrong_state, history_off): (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from candidates),
                (select count(*) from applications),
                (select count(*) from applications a join requirements r on r.id = a.requirement_id
                  where r.status not in ('open', 'on_hold', 'filled')),
                (select count(*) from applications a
                  where a.stage_id is distinct from (select m.to_stage_id from application_stage_changes m
                                                      where m.application_id = a.id order by m.id desc limit 1))",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(candidates, 450);
    assert!(applications > 0, "applications were made");
    // The open requirements are published, and the careers site shows
    // each of them.
    let (published, open): (i64, i64) = sqlx::query_as(
        "select (select count(*) from postings where published_at is not null),
                (select count(*) from requirements where status = 'open' and deleted_at is null and not confidential)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(published, open.min(hiring_hare::seed_load::PUBLISHED_JOBS));
    assert!(published > 0);
    let visitor = app.client();
    let jobs = visitor.get("/careers").await;
    let shown = jobs.texts(".job h3 a").len() as i64;
    assert_eq!(
        shown,
        published.min(hiring_hare::domain::recruiting::careers::PAGE_SIZE)
    );
    if published > shown {
        let next = jobs
            .attr("a[rel=next]", "href")
            .unwrap()
            .replace("&amp;", "&");
        let hrefs = |page: &crate::harness::Page| -> Vec<String> {
            let html = page.html();
            let pick = scraper::Selector::parse(".job h3 a").unwrap();
            html.select(&pick)
                .filter_map(|a| a.value().attr("href").map(str::to_owned))
                .collect()
        };
        let first_page = hrefs(&jobs);
        let more = hrefs(&visitor.get(&next).await);
        assert!(!more.is_empty());
        assert!(more.iter().all(|h| !first_page.contains(h)));
    }
    let first = jobs.attr(".job h3 a", "href").unwrap();
    assert_eq!(visitor.get(&first).await.status, reqwest::StatusCode::OK);
    assert_eq!(wrong_state, 0);
    assert_eq!(history_off, 0);

    // References look like the app's, are unique, and each year's counter
    // is at its highest number, so the next draft continues after it.
    let (malformed, distinct, behind): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where reference !~ '^HH-\\d{4}-\\d{4,}$'), count(distinct reference),
                (select count(*) from requirement_counters c
                  where c.last < (select max(split_part(reference, '-', 3)::int) from requirements
                                   where split_part(reference, '-', 2)::int = c.year))
           from requirements",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((malformed, distinct, behind), (0, 450, 0));
    let year = chrono::Utc::now().format("%Y").to_string();
    let last: i32 = sqlx::query_scalar("select last from requirement_counters where year = $1")
        .bind(year.parse::<i32>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let department: uuid::Uuid = sqlx::query_scalar("select id from departments limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let o = crate::harness::fixtures::Org {
        department,
        level: sqlx::query_scalar("select id from job_levels where name = 'Senior'")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
    };
    let id = crate::harness::fixtures::draft(&app, &hm, &o, hm_id, "Next one").await;
    let reference: String = sqlx::query_scalar("select reference from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(reference, format!("HH-{year}-{:04}", last + 1));

    // Every state occurs; search finds the generated text.
    let states: i64 = sqlx::query_scalar("select count(distinct status) from requirements")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(states, 9);
    let found: i64 = sqlx::query_scalar(
        "select count(*) from requirements where search @@ websearch_to_tsquery('english', 'engineer')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(found > 0);

    // Each pending approval waits for someone, and the demo approver can
    // decide the tasks waiting for them.
    let stuck: i64 = sqlx::query_scalar(
        "select count(*) from approvals a where a.status = 'pending'
            and not exists (select 1 from approval_tasks t where t.approval_id = a.id and t.status = 'pending')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stuck, 0);
    let (approver, task): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select u.id, t.id from approval_tasks t join users u on u.id = t.approver_id
          where u.email = 'approver@demo.hiringhare.test' and t.status = 'pending'
          order by t.step desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let actor = hiring_hare::domain::activity::audit::Actor {
        user_id: Some(approver),
        ..hiring_hare::domain::activity::audit::Actor::system()
    };
    let mut tx = app.pool.begin().await.unwrap();
    hiring_hare::domain::approval::decide(
        &mut tx,
        &actor,
        &mail,
        TaskId::new(task),
        hiring_hare::domain::approval::Decision::Approve,
        "",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Found by sending back every form with a NUL byte in each field in turn
/// (`routes::every_form_takes_a_nul_byte_in_any_field_without_a_500`) and
/// every route with one in its path: PostgreSQL refuses NUL in text, and
/// these passed it on (a 500 each).
#[tokio::test]
async fn a_nul_byte_in_a_logo_name_or_a_sign_in_address_is_no_500() {
    let app = TestApp::spawn().await;
    // No logo's name holds one.
    let page = app.client().get("/logo/%00x.png").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app.user("victor@example.com", "Victor Viewer", &[Role::Viewer])
        .await;
    // No address holds one: the address without it is tried, and
    // refused with the wrong password as any other.
    let client = app.client();
    client.get("/sign-in").await;
    let email = "victor@exa\0mple.com";
    let res = client
        .post(
            "/sign-in",
            &[("email", email), ("password", "not it"), ("next", "/")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.texts("#sign-in-error").len(), 1, "{}", res.body);
    let res = client
        .post(
            "/sign-in",
            &[("email", email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    res.assert_redirect("/");
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Victor Viewer"), "signed in as Victor");
}

#[tokio::test]
async fn malformed_input_gets_the_app_error_page_with_the_right_status() {
    let app = TestApp::spawn().await;
    let (client, _) = app.signed_in(Role::HiringManager).await;
    let is_app_page = |page: &crate::harness::Page, code: &str| {
        assert_eq!(
            page.texts(".error-page .code"),
            vec![code.to_owned()],
            "{}",
            page.body
        );
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(!page.texts("nav.main-nav a").is_empty(), "in the layout");
    };
    // A malformed id in the path.
    let page = client.get("/requirements/not-a-uuid").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    is_app_page(&page, "400");
    // A bad value in the query.
    let page = client.get("/notifications?after=xyz").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    is_app_page(&page, "400");
    // A form field of the wrong type.
    client.get("/profile").await;
    let page = client
        .post(
            &format!("/comments/{}", uuid::Uuid::new_v4()),
            &[("body", "Hello"), ("version", "seven")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    is_app_page(&page, "422");
    // A form over the body limit is too large, not a CSRF failure.
    let big = "x".repeat(300 * 1024);
    let page = client.post("/profile", &[("full_name", &big)]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    is_app_page(&page, "413");
}
