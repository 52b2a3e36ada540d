//! Notifications: who is told of what, rows only for what committed, each
//! person's mail choices, the daily digest once, and live delivery from one
//! process to a browser stream held by another.

use crate::harness::fixtures::{
    act, approvers, create, draft, form, org, signed_in_as, submit, submitted,
};
use crate::harness::{Client, PASSWORD, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use std::time::Duration;
use uuid::Uuid;

async fn told(app: &TestApp, email: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select n.event, n.text, n.link from notifications n join users u on u.id = n.user_id
          where u.email = $1 order by n.created_at",
    )
    .bind(email)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn mails(app: &TestApp, email: &str, template: &str) -> i64 {
    sqlx::query_scalar("select count(*) from outbox where to_address = $1 and template = $2")
        .bind(email)
        .bind(template)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn pending_task(app: &TestApp, approver: &str) -> Uuid {
    sqlx::query_scalar(
        "select t.id from approval_tasks t join users u on u.id = t.approver_id
          where u.email = $1 and t.status = 'pending'",
    )
    .bind(approver)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn each_event_reaches_its_people_and_only_what_committed() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let hm_email: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(chain.hm_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // The head's step started: the head is told, with the decision page.
    let task = pending_task(&app, "head@example.com").await;
    let head_told = told(&app, "head@example.com").await;
    assert_eq!(head_told.len(), 1, "{head_told:?}");
    assert_eq!(head_told[0].0, "approval.pending");
    assert_eq!(head_told[0].2, format!("/approvals/{task}"));
    assert!(
        head_told[0]
            .1
            .ends_with("Platform engineer waits for your approval")
    );
    // Finance is not asked yet; the hiring manager submitted it themself.
    assert!(told(&app, "fin1@example.com").await.is_empty());
    assert!(told(&app, &hm_email).await.is_empty());

    // A decision that fails (no comment on a rejection) tells nobody.
    let head = signed_in_as(&app, "head@example.com").await;
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[("decision", "reject")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(told(&app, &hm_email).await.is_empty());

    // Asking for changes tells the hiring manager, in the app and by mail.
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[
                ("decision", "request_changes"),
                ("comment", "Lower the top"),
            ],
        )
        .await;
    res.assert_redirect("/approvals");
    let hm_told = told(&app, &hm_email).await;
    assert_eq!(hm_told.len(), 1);
    assert_eq!(hm_told[0].0, "approval.changes_requested");
    assert_eq!(hm_told[0].2, format!("/requirements/{}", chain.requirement));
    assert_eq!(mails(&app, &hm_email, "requirement.decided").await, 1);

    // The bell's list: unread first, a click reads it and leads to it.
    let list = chain.hm.get("/notifications?unread=1").await;
    let items = list.texts("#notification-list li button");
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("sent back for changes by Hana Head"));
    let id: Uuid = sqlx::query_scalar(
        "select id from notifications where event = 'approval.changes_requested'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Not the head's to read.
    assert_eq!(
        head.post(&format!("/notifications/{id}/read"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = chain
        .hm
        .post(&format!("/notifications/{id}/read"), &[])
        .await;
    assert_eq!(
        res.location(),
        format!("/requirements/{}", chain.requirement)
    );
    assert!(
        chain
            .hm
            .get("/notifications?unread=1")
            .await
            .texts("#notification-list li")
            .is_empty()
    );
}

#[tokio::test]
async fn mail_follows_each_persons_choice_and_the_digest_goes_once() {
    let app = TestApp::spawn().await;
    let o = approvers(&app).await;
    // The head wants no mail for waiting approvals: that becomes the digest.
    let c = signed_in_as(&app, "head@example.com").await;
    let res = c
        .post(
            "/profile/notifications",
            &[("approval.pending", "off"), ("mention", "off")],
        )
        .await;
    res.assert_redirect("/profile/notifications");
    let form = c.get("/profile/notifications").await;
    assert_eq!(
        form.attr("input[name='approval.pending'][checked]", "value")
            .as_deref(),
        Some("digest")
    );
    assert!(
        form.texts("input[name='approval.pending'][value=off]")
            .is_empty(),
        "not offered"
    );
    assert_eq!(
        form.attr("input[name=mention][checked]", "value")
            .as_deref(),
        Some("off")
    );

    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    for title in ["Platform engineer", "Data engineer"] {
        let id = draft(&app, &hm, &o, hm_id, title).await;
        submit(&app, &hm, id).await;
    }
    assert_eq!(told(&app, "head@example.com").await.len(), 2);
    assert_eq!(
        mails(&app, "head@example.com", "approval.pending").await,
        0,
        "no mail at once"
    );

    // The digest, in the head's morning (UTC here): one mail with both.
    use chrono::TimeZone;
    let seven = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 7, 0, 0).unwrap();
    let eight = seven + chrono::Duration::hours(1);
    let mail = hiring_hare::mail::MailRenderer::new(&app.config);
    let digest = |now| {
        let (pool, mail) = (app.pool.clone(), mail.clone());
        async move {
            let mut tx = pool.begin().await.unwrap();
            let n = hiring_hare::domain::activity::notify::send_digests(&mut tx, &mail, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            n
        }
    };
    assert_eq!(digest(eight).await, 0, "not the head's morning");
    let (a, b) = tokio::join!(digest(seven), digest(seven));
    assert_eq!(a + b, 1, "two processes at once: one digest");
    assert_eq!(mails(&app, "head@example.com", "digest").await, 1);
    let body: String = sqlx::query_scalar(
        "select body_text from outbox where to_address = 'head@example.com' and template = 'digest'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        body.contains("Platform engineer waits for your approval"),
        "{body}"
    );
    assert!(
        body.contains("Data engineer waits for your approval"),
        "{body}"
    );
    assert_eq!(digest(seven).await, 0, "sent once");
}

/// Reads the SSE stream until a `notification` event arrives.
async fn hear_notification(stream: &mut reqwest::Response) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains("event: notification") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("a notification within 20 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

/// A second `hiring-hare serve` process on the test's database.
struct Process {
    child: std::process::Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// A browser on this process, signed in as `user`.
    async fn signed_in(&self, app: &TestApp, user: Uuid) -> Client {
        let email: String = sqlx::query_scalar("select email from users where id = $1")
            .bind(user)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let client = Client::at(&self.base);
        client
            .sign_in(&email, PASSWORD, "/")
            .await
            .assert_redirect("/");
        client
    }

    /// SIGTERM, as a deploy or Ctrl-C sends.
    fn terminate(&self) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child, with a valid signal.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the process to exit, successfully, within `limit`.
    async fn exits_cleanly_within(&mut self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the process still runs {limit:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "{status}");
    }
}

async fn second_process(app: &TestApp) -> Process {
    Process::start(app, "serve").ready().await
}

impl Process {
    /// `hiring-hare <command>` on the test's database, listening (if it
    /// serves) on a port of its own.
    fn start(app: &TestApp, command: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_hiring-hare"))
            .arg(command)
            .env("DATABASE_URL", &app.database_url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", &base)
            .env("DATA_DIR", app.data_dir.path())
            .env("RUST_LOG", "warn")
            // The mail queued by the test's app seals its links with its key.
            .env(
                "SECRET_KEY",
                String::from_utf8(app.config.secret_key.clone()).unwrap(),
            )
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Process { child, base }
    }

    /// Once it answers `/health/ready`.
    async fn ready(self) -> Process {
        let probe = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(res) = probe
                .get(format!("{}/health/ready", self.base))
                .send()
                .await
                && res.status().is_success()
            {
                return self;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the process did not become ready");
    }
}

/// `web` serves requests and leaves the background work to `worker`
/// processes: the approver's mail, queued when the requirement was
/// submitted, waits while only a web process runs (a `serve` would have
/// sent it within its one-second poll), and goes out once a worker runs.
#[tokio::test]
async fn a_web_process_leaves_the_mail_to_a_worker_process() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let unsent = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from outbox where sent_at is null")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    assert!(unsent().await > 0, "submitting queued no mail");
    let web = Process::start(&app, "web").ready().await;
    let hm = web.signed_in(&app, chain.hm_id).await;
    assert_eq!(hm.get("/approvals").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(unsent().await > 0, "the web process sent the mail");
    let _worker = Process::start(&app, "worker");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while unsent().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker process sent no mail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stopping a process (SIGTERM, as a deploy or Ctrl-C does) ends its live
/// streams, so it exits at once and its browsers reconnect to another. It
/// waited for them instead, forever: one open tab kept a stopped process
/// (and the PostgreSQL it runs for `cargo run`) alive.
#[tokio::test]
async fn a_stopped_process_ends_its_live_streams_and_exits() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let mut other = second_process(&app).await;
    let hm = other.signed_in(&app, chain.hm_id).await;
    let mut stream = hm.stream("/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    other.terminate();
    // The stream ends (its last chunk, then none)...
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(_chunk) = stream.chunk().await.unwrap_or(None) {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream stayed open after SIGTERM");
    // ...and the process is gone, having stopped cleanly.
    other.exits_cleanly_within(Duration::from_secs(5)).await;
}

/// A request still running when the grace after SIGTERM is over (here, a
/// submit waiting for a row another transaction holds) does not keep the
/// process: it exits anyway, its request unanswered.
#[tokio::test]
async fn a_stopped_process_exits_after_its_grace_whatever_still_runs() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let id = draft(&app, &chain.hm, &chain.org, chain.hm_id, "Held role").await;
    let mut other = second_process(&app).await;
    let hm = other.signed_in(&app, chain.hm_id).await;
    hm.csrf_token().await;
    let mut held = app.pool.begin().await.unwrap();
    sqlx::query("select from requirements where id = $1 for update")
        .bind(id)
        .execute(&mut *held)
        .await
        .unwrap();
    let submit = tokio::spawn(async move {
        hm.post(
            &format!("/requirements/{id}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await
    });
    // The submit waits for the row.
    let waiting = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock'
              and query like '%requirements%'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while waiting().await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the submit never waited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    other.terminate();
    other.exits_cleanly_within(Duration::from_secs(20)).await;
    held.rollback().await.unwrap();
    // Its request was never answered (the client's send failed), and
    // changed nothing.
    assert!(submit.await.is_err(), "the submit was answered");
    assert_eq!(app.audit_count("requirement.submit", id).await, 0);
}

#[tokio::test]
async fn an_approval_in_one_process_reaches_a_stream_held_by_another() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let other = second_process(&app).await;
    // The hiring manager's browser is connected to the other process.
    let hm = other.signed_in(&app, chain.hm_id).await;
    let mut stream = hm.stream("/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    // Its first words: a resync once its listener is up, or a heartbeat.
    // The head decides on this process.
    let task = pending_task(&app, "head@example.com").await;
    let head = signed_in_as(&app, "head@example.com").await;
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[
                ("decision", "request_changes"),
                ("comment", "Lower the top"),
            ],
        )
        .await;
    res.assert_redirect("/approvals");
    let heard = hear_notification(&mut stream).await;
    assert!(
        heard.contains("sent back for changes by Hana Head"),
        "a toast with the news: {heard}"
    );
    // Anonymous streams are refused.
    let anonymous = Client::at(&other.base).stream("/events").await;
    assert_ne!(anonymous.status(), StatusCode::OK);
    drop(other);
}

/// Polls the page until `css` shows `expected` among its texts.
async fn see_text(browser: &crate::browser::Browser, css: &str, expected: &str) {
    for _ in 0..200 {
        if browser
            .texts(css)
            .await
            .iter()
            .any(|t| t.contains(expected))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{css} never showed {expected:?}: {:?}",
        browser.texts(css).await
    );
}

#[tokio::test]
async fn an_open_inbox_and_its_bell_update_when_the_step_before_approves() {
    use crate::browser::{Browser, check_layout};
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // The hiring manager watches the requirement's page meanwhile.
    let email: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(chain.hm_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = format!("/requirements/{}", chain.requirement);
    let hm = Browser::start().await;
    hm.goto(&app.url(&format!(
        "/sign-in?next={}",
        hiring_hare::error::urlencode(&page)
    )))
    .await;
    hm.sign_in(&email, PASSWORD).await;
    hm.wait_for_path(&page).await;
    let finance = Browser::start().await;
    finance.goto(&app.url("/sign-in?next=%2Fapprovals")).await;
    finance.sign_in("fin1@example.com", PASSWORD).await;
    finance.wait_for_path("/approvals").await;
    assert!(
        finance.texts("#bell .badge").await.is_empty(),
        "nothing unread"
    );
    assert!(finance.texts("#waiting tbody tr").await.is_empty());
    assert!(
        finance.texts(".main-nav .badge").await.is_empty(),
        "nothing waiting"
    );
    // The page's stream is connected before the head decides.
    crate::browser::wait_for_streams(&app, 2, &[&hm, &finance]).await;

    let task = pending_task(&app, "head@example.com").await;
    let head = signed_in_as(&app, "head@example.com").await;
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[("decision", "approve")],
        )
        .await;
    res.assert_redirect("/approvals");

    // Without a reload: a toast, the bell's count, the row in the inbox.
    see_text(&finance, "#toasts .toast", "waits for your approval").await;
    see_text(&finance, "#bell .badge", "1").await;
    see_text(&finance, "#waiting tbody th", "Platform engineer").await;
    see_text(&finance, "#approvals-waiting .badge", "1").await;
    assert_eq!(
        finance.path_and_query().await,
        "/approvals",
        "no navigation"
    );
    check_layout(&finance, "live-inbox", 1280).await;
    finance.close().await;
    // The hiring manager was not notified (nothing for them yet), but the
    // page they watch shows the head's decision.
    see_text(
        &hm,
        "ol.timeline > li > p",
        "Hana Head approved (Department head)",
    )
    .await;
    assert_eq!(hm.path_and_query().await, page, "no navigation");
    hm.close().await;
}

#[tokio::test]
async fn the_recruiter_and_hiring_manager_hear_of_their_requirement() {
    let app = TestApp::spawn().await;
    let o = approvers(&app).await;
    let recruiter = app
        .user("rex@example.com", "Rex Recruiter", &[Role::Recruiter])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let hm_email: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(hm_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut fields = form(&o, hm_id, "Platform engineer");
    fields.push(("recruiter_id", recruiter.to_string()));
    let id = create(&hm, &fields).await;
    submit(&app, &hm, id).await;
    // The chain approves; the hiring manager hears the outcome.
    for email in ["head@example.com", "fin1@example.com", "fin2@example.com"] {
        let task = pending_task(&app, email).await;
        let res = signed_in_as(&app, email)
            .await
            .post(
                &format!("/approvals/{task}/decision"),
                &[("decision", "approve")],
            )
            .await;
        res.assert_redirect("/approvals");
    }
    let res = act(&app, &hm, id, "open").await;
    res.assert_redirect(&format!("/requirements/{id}"));

    let events = |rows: Vec<(String, String, String)>| -> Vec<String> {
        rows.into_iter().map(|(event, _, _)| event).collect()
    };
    assert_eq!(
        events(told(&app, "rex@example.com").await),
        [
            "requirement.created",
            "requirement.submitted",
            "requirement.opened"
        ],
        "the recruiter hears of each step, not of the approvers' decisions"
    );
    let reference = format!("HH-{}-0001", chrono::Utc::now().format("%Y"));
    let texts: Vec<String> = told(&app, &hm_email)
        .await
        .into_iter()
        .map(|(event, text, _)| format!("{event}: {text}"))
        .collect();
    assert_eq!(
        texts,
        [
            "approval.step_approved: {reference} Platform engineer was approved at the Department head step by Hana Head",
            "approval.step_approved: {reference} Platform engineer was approved at the Finance step by Finn One",
            "approval.approved: {reference} Platform engineer was approved by Finn Two",
        ]
        .map(|line| line.replace("{reference}", &reference)),
        "the hiring manager hears of each decision and the outcome, not of their own doing"
    );
    // The outcome by mail at once; the decisions on the way wait for the
    // daily digest (their default), so the mail is one.
    assert_eq!(mails(&app, &hm_email, "requirement.decided").await, 1);
    // These come to the recruiter in the digest by default, not at once.
    assert_eq!(mails(&app, "rex@example.com", "notice").await, 0);
}

#[tokio::test]
async fn a_submission_that_rolls_back_tells_nobody() {
    let app = TestApp::spawn().await;
    // Nobody can approve: no department head, nobody with the approver role.
    let o = org(&app).await;
    let recruiter = app
        .user("rex@example.com", "Rex Recruiter", &[Role::Recruiter])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let mut fields = form(&o, hm_id, "Platform engineer");
    fields.push(("recruiter_id", recruiter.to_string()));
    let id = create(&hm, &fields).await;
    let before = told(&app, "rex@example.com").await.len();
    // Submitting tells the recruiter, then finds no approver and rolls back.
    let res = hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.texts(".flash.error")[0].contains("Nobody can approve"));
    assert_eq!(
        told(&app, "rex@example.com").await.len(),
        before,
        "no notification for what did not happen"
    );
}

#[tokio::test]
async fn the_list_pages_through_notifications_made_at_the_same_moment() {
    let app = TestApp::spawn().await;
    let (client, me) = app.signed_in(Role::Viewer).await;
    // More than a page, all at one moment (one change tells one person of
    // several things in one transaction).
    sqlx::query(
        "insert into notifications (user_id, event, subject_type, subject_id, text, link, created_at)
         select $1, 'mention', 'requirement', gen_random_uuid(), 'Note ' || i, '/', timestamptz '2026-12-01 09:00Z'
           from generate_series(1, 70) i",
    )
    .bind(me)
    .execute(&app.pool)
    .await
    .unwrap();
    for first in ["/notifications", "/notifications?unread=1"] {
        let mut texts = Vec::new();
        let mut path = Some(first.to_owned());
        while let Some(p) = path {
            let page = client.get(&p).await;
            assert_eq!(page.status, StatusCode::OK, "{p}");
            texts.extend(page.texts("#notification-list li button"));
            path = page.attr("#notification-list + p a", "href");
            assert!(texts.len() <= 1000, "the pages never end");
        }
        assert_eq!(texts.len(), 70, "{first}: each once");
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 70, "{first}: none twice");
    }
}

/// Reads the stream until `needle` comes, or panics after 20 s; what came.
async fn hear_until(stream: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("{needle} within 20 s; heard {seen}"))
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn a_confidential_requirements_live_events_reach_only_who_may_see_it() {
    let app = TestApp::spawn().await;
    let org = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let (other, _) = app.signed_in(Role::Viewer).await;
    let mut secret = form(&org, hm_id, "Secret successor");
    secret.push(("confidential", "on".into()));
    let confidential = create(&hm, &secret).await;
    let public = draft(&app, &hm, &org, hm_id, "Open role").await;
    let mut hm_stream = hm.stream("/events").await;
    let mut other_stream = other.stream("/events").await;
    assert_eq!(other_stream.status(), StatusCode::OK);
    app.wait_for_streams(2).await;
    // A change to the confidential one, then to the public one: events
    // arrive in order, so the second one heard means the first was not.
    for id in [confidential, public] {
        let res = hm
            .post(
                &format!("/requirements/{id}/transitions"),
                &[
                    ("action", "cancel"),
                    ("reason", "Budget moved"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let heard = hear_until(&mut other_stream, &format!("event: requirement-{public}")).await;
    assert!(
        !heard.contains(&confidential.to_string()),
        "a stranger hears nothing of the confidential one: {heard}"
    );
    let heard = hear_until(&mut hm_stream, &format!("event: requirement-{public}")).await;
    assert!(
        heard.contains(&format!("event: requirement-{confidential}")),
        "its hiring manager hears of it: {heard}"
    );
}
