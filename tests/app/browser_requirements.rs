//! Browser tests of the requirement flow: a hiring manager drafts and
//! submits a requirement through the form, the department head and finance
//! approve it from the links in their mail, and the hiring manager sees it
//! approved. Once with JavaScript, once without, and the pages screenshotted
//! at phone and laptop widths.
//!
//! The mailed link carries a single-use token that opens that one decision
//! page without a password; a link without a (valid) token goes through
//! sign-in and lands on the page. Both ways are walked here.

use crate::browser::{Browser, TIMEOUT, WIDTHS, check_layout, full_page_screenshot, set_width};
use crate::harness::fixtures::{Org, draft, org, signed_in_as, submit};
use crate::harness::{PASSWORD, TestApp, link_in};
use hiring_hare::domain::access::Role;
use serde_json::json;
use std::time::Instant;
use uuid::Uuid;

/// The department head, a single finance approver and a hiring manager.
struct People {
    org: Org,
    hm_id: Uuid,
}

const HEAD: &str = "head@example.com";
const FINANCE: &str = "finance@example.com";
const HM: &str = "hm@example.com";

async fn people(app: &TestApp) -> People {
    let org = org(app).await;
    let head = app.user(HEAD, "Hana Head", &[Role::Viewer]).await;
    sqlx::query("update departments set head_id = $1 where id = $2")
        .bind(head)
        .bind(org.department)
        .execute(&app.pool)
        .await
        .unwrap();
    app.user(FINANCE, "Finn Finance", &[Role::Approver]).await;
    let hm_id = app
        .user(HM, "Harriet Manager", &[Role::HiringManager])
        .await;
    People { org, hm_id }
}

/// The address in the last approval mail to `to`, exactly as mailed (with
/// its token).
async fn mailed_url(app: &TestApp, to: &str) -> String {
    let mail = app
        .last_mail_to(to)
        .await
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let url = mail
        .split_whitespace()
        .find(|w| w.contains("/approvals/"))
        .unwrap_or_else(|| panic!("no approval link in the mail to {to}: {mail}"));
    assert!(
        url.starts_with(&app.url("/approvals/")),
        "the link points at this app: {url}"
    );
    url.to_owned()
}

/// The task id in an approval link.
fn task_of(link: &str) -> Uuid {
    let path = url::Url::parse(link).map_or_else(|_| link.to_owned(), |u| u.path().to_owned());
    path.trim_start_matches("/approvals/").parse().unwrap()
}

/// Waits until `xpath` matches; `what` says what the user should see.
async fn see(browser: &Browser, what: &str, xpath: &str) {
    browser
        .client
        .wait()
        .at_most(TIMEOUT)
        .for_element(fantoccini::Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("expected to see {what} ({xpath}) within {TIMEOUT:?}: {e}"));
}

/// The whitespace-normalised text of `css`, once it equals `expected`
/// (pages reload in place: waiting for the text, not just the element).
async fn wait_for_text(browser: &Browser, css: &str, expected: &str) {
    let began = Instant::now();
    loop {
        // Read afresh each time; an element of the page being replaced goes
        // stale between finding and reading it, and is read again.
        let mut texts = Vec::new();
        for e in browser
            .client
            .find_all(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_default()
        {
            if let Ok(text) = e.text().await {
                texts.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        if texts.iter().any(|t| t == expected) {
            return;
        }
        assert!(
            began.elapsed() < TIMEOUT,
            "expected {css} to read {expected:?}, it reads {texts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until the address bar is `/requirements/{id}` and returns the id.
async fn wait_for_requirement_page(browser: &Browser) -> Uuid {
    let began = Instant::now();
    loop {
        let path = browser.path_and_query().await;
        if let Some(Ok(id)) = path.strip_prefix("/requirements/").map(str::parse::<Uuid>) {
            return id;
        }
        assert!(
            began.elapsed() < TIMEOUT,
            "expected to reach a requirement's page, still at {path}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Opens a mailed approval link as its reader does: the link lands on a
/// page whose one button uses it (looking alone uses nothing, so a mail
/// scanner cannot spend it), then the decision page.
async fn open_mailed_link(browser: &Browser, link: &str) {
    browser.goto(link).await;
    wait_for_text(browser, "main h1", "Open the approval").await;
    browser.click_button("Open the approval").await;
    browser
        .wait_for_path(&format!("/approvals/{}", task_of(link)))
        .await;
}

/// The label of the option selected in `css`.
async fn chosen(browser: &Browser, css: &str) -> String {
    browser.text(&format!("{css} option:checked")).await
}

fn reference(n: u32) -> String {
    format!("HH-{}-{n:04}", chrono::Utc::now().format("%Y"))
}

async fn status(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("select status from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Decides the open approval on the current page: comment, button, and the
/// flash that says it is recorded.
async fn approve_here(browser: &Browser, comment: &str) {
    see(
        browser,
        "the decision form",
        "//h2[normalize-space()='Your decision']",
    )
    .await;
    browser.fill("#comment", comment).await;
    browser.click_button("Approve").await;
    see(
        browser,
        "that the decision is recorded",
        "//div[contains(@class, 'flash') and normalize-space()='Your decision is recorded.']",
    )
    .await;
}

/// The approval trail on a decision page.
async fn trail(browser: &Browser) -> Vec<String> {
    browser.wait_for("#trail").await;
    browser.texts("#trail li").await
}

#[tokio::test]
async fn a_requirement_goes_from_the_form_to_approved_in_the_browser() {
    let began = Instant::now();
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let hm = Browser::start().await;

    // The hiring manager signs in and starts from the list.
    hm.goto(&app.url("/requirements")).await;
    hm.wait_for_path("/sign-in?next=%2Frequirements").await;
    hm.sign_in(HM, PASSWORD).await;
    hm.wait_for_path("/requirements").await;
    hm.wait_for_xpath("//main//a[normalize-space()='New requirement']")
        .await
        .click()
        .await
        .unwrap();
    hm.wait_for_path("/requirements/new").await;
    assert_eq!(hm.text("main h1").await, "New requirement");
    assert_eq!(
        hm.value("#hiring_manager_id").await,
        format!("Harriet Manager <{HM}>"),
        "the hiring manager is the one drafting, unless changed"
    );

    hm.fill("#title", "Platform engineer").await;
    hm.choose("#department_id", "Engineering").await;
    hm.choose("#job_level_id", "Senior (60,000–90,000 EUR)")
        .await;
    hm.fill("#headcount", "2").await;
    hm.choose("#employment_type", "Full-time").await;
    hm.choose("#remote_policy", "Remote").await;
    hm.choose("#priority", "High").await;
    hm.choose("#reason", "New headcount").await;
    hm.fill("#salary_min", "65000").await;
    hm.fill("#salary_max", "85000").await;
    hm.fill("#currency", "EUR").await;
    hm.fill("#skills", "Rust, PostgreSQL").await;
    hm.fill("#description", "Build **the** platform.").await;
    // People are typed: htmx fills the field's suggestions as one types.
    hm.fill("#recruiter_id", "finn").await;
    hm.wait_for(&format!(
        "#recruiter_id-people option[value='Finn Finance <{FINANCE}>']"
    ))
    .await;
    hm.fill("#recruiter_id", "").await;
    assert_eq!(chosen(&hm, "#department_id").await, "Engineering");
    assert_eq!(chosen(&hm, "#priority").await, "High");
    hm.click_button("Save draft").await;

    let id = wait_for_requirement_page(&hm).await;
    let reference = reference(1);
    assert_eq!(hm.text("main h1 .hint").await, reference);
    assert_eq!(
        hm.text("main h1").await,
        format!("{reference} Platform engineer")
    );
    assert_eq!(hm.text(".page-header .status").await, "Draft");
    assert_eq!(
        hm.text(".flash").await,
        "Draft saved. Submit it for approval when it is ready."
    );
    let meta = hm.texts("dl.meta dd").await;
    for shown in [
        "Engineering",
        "Senior (band 60,000–90,000 EUR)",
        "Harriet Manager",
        "2",
        "Full-time, Remote",
        "65,000–85,000 EUR",
        "New headcount",
        "High",
        "Rust PostgreSQL",
    ] {
        assert!(meta.contains(&shown.to_owned()), "{shown:?} in {meta:?}");
    }
    assert_eq!(hm.text(".prose strong").await, "the", "Markdown rendered");

    // Submitting: the page reloads in place and says it is pending.
    see(
        &hm,
        "the next steps",
        "//h2[normalize-space()='Next steps']",
    )
    .await;
    hm.click_button("Submit for approval").await;
    wait_for_text(&hm, ".page-header .status", "Pending approval").await;
    hm.wait_for_path(&format!("/requirements/{id}")).await;
    assert_eq!(hm.text(".flash").await, "Submitted for approval.");
    assert_eq!(status(&app, id).await, "pending_approval");
    assert!(
        app.last_mail_to(FINANCE).await.is_none(),
        "finance is asked only after the head"
    );

    // The department head, signed out in a browser of their own, opens the
    // mailed link: its token opens the decision page without a password.
    let head_link = mailed_url(&app, HEAD).await;
    let head_task = task_of(&head_link);
    let head = Browser::start().await;
    open_mailed_link(&head, &head_link).await;
    assert_eq!(
        head.text("main h1").await,
        format!("{reference} Platform engineer")
    );
    assert!(
        head.texts(".user-menu").await.is_empty(),
        "nobody is signed in: the link opened only this page"
    );
    let summary = head.texts("dl.meta dd").await;
    assert!(
        summary.contains(&"60,000–90,000 EUR".to_owned())
            && summary.contains(&"65,000–85,000 EUR".to_owned()),
        "the band and the range are shown: {summary:?}"
    );
    assert_eq!(
        head.text(".page-header p").await,
        "Step: Department head · Waiting"
    );
    approve_here(&head, "Fits the plan").await;
    head.wait_for_path(&format!("/approvals/{head_task}")).await;
    assert_eq!(
        trail(&head).await,
        [
            "Department head: Hana Head — Approved: “Fits the plan”",
            "Finance: Finn Finance — Waiting"
        ]
    );
    assert!(
        head.texts("main h2")
            .await
            .iter()
            .all(|h| h != "Your decision"),
        "decided: the form is gone"
    );
    head.close().await;

    // Finance opens their link only after it expired (72 hours): the page
    // says so and offers to sign in, which lands on the decision page.
    let finance_link = mailed_url(&app, FINANCE).await;
    let finance_task = task_of(&finance_link);
    sqlx::query(
        "update approval_links set expires_at = now() - interval '1 second' where task_id = $1",
    )
    .bind(finance_task)
    .execute(&app.pool)
    .await
    .unwrap();
    let finance = Browser::start().await;
    finance.goto(&finance_link).await;
    assert_eq!(finance.text("main h1").await, "This link no longer works");
    assert!(finance.text("main p").await.contains("expired"), "says why");
    finance
        .wait_for_xpath("//main//a[normalize-space()='Sign in']")
        .await
        .click()
        .await
        .unwrap();
    finance
        .wait_for_path(&format!("/sign-in?next=%2Fapprovals%2F{finance_task}"))
        .await;
    assert_eq!(finance.text("main h1").await, "Sign in");
    finance.sign_in(FINANCE, PASSWORD).await;
    finance
        .wait_for_path(&format!("/approvals/{finance_task}"))
        .await;
    assert_eq!(
        finance.text(".page-header p").await,
        "Step: Finance · Waiting"
    );
    assert_eq!(finance.text(".user-menu summary").await, "Finn Finance");
    approve_here(&finance, "Budgeted").await;
    // Signed in, the decision leads back to the inbox.
    finance.wait_for_path("/approvals").await;
    assert_eq!(
        finance.text("main .empty").await,
        "Nothing is waiting for your decision."
    );
    let decided = finance.texts("#decided tbody tr").await;
    assert!(
        decided.len() == 1
            && decided[0].starts_with(&format!("{reference} Platform engineer Finance Approved ")),
        "in the decided list: {decided:?}"
    );
    finance.close().await;
    assert_eq!(status(&app, id).await, "approved");

    // The hiring manager reloads the requirement and sees it approved, with
    // each status change in its history.
    hm.client.refresh().await.unwrap();
    wait_for_text(&hm, ".page-header .status", "Approved").await;
    let history: Vec<String> = hm
        .texts("ol.timeline > li > p")
        .await
        .into_iter()
        .map(|li| {
            li.split_once(" UTC ")
                .map(|(_, what)| what.to_owned())
                .unwrap_or(li)
        })
        .collect();
    assert_eq!(
        history,
        [
            "Finn Finance completed the approval, now Approved",
            "Finn Finance approved (Finance): “Budgeted”",
            "Hana Head approved (Department head): “Fits the plan”",
            "Harriet Manager submitted it for approval, now Pending approval",
            "Harriet Manager drafted it",
        ],
        "who did what, newest first"
    );
    see(
        &hm,
        "the next step after approval",
        "//main//button[normalize-space()='Open for recruiting']",
    )
    .await;
    let mail = app.last_mail_to_id(p.hm_id).await.unwrap();
    assert!(mail.contains("was approved"), "{mail}");
    hm.close().await;
    eprintln!("browser flow with JavaScript: {:?}", began.elapsed());
}

/// A draft submitted over HTTP by a signed-in hiring manager.
async fn submitted(app: &TestApp, p: &People, title: &str) -> Uuid {
    let hm = signed_in_as(app, HM).await;
    let id = draft(app, &hm, &p.org, p.hm_id, title).await;
    submit(app, &hm, id).await;
    id
}

#[tokio::test]
async fn the_approval_path_works_without_javascript() {
    let began = Instant::now();
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let id = submitted(&app, &p, "Platform engineer").await;
    let reference = reference(1);

    // The head opens the decision page's address without the mail's token
    // (as the inbox links it): sign-in first, then the page.
    let mail = app.last_mail_to(HEAD).await.unwrap();
    let link = link_in(&mail, "/approvals/").expect("a link to the decision page");
    let head_task = task_of(&link);
    let head = Browser::without_javascript().await;
    head.goto(&app.url(&link)).await;
    head.wait_for_path(&format!("/sign-in?next=%2Fapprovals%2F{head_task}"))
        .await;
    assert_eq!(
        head.js("return typeof window.htmx").await,
        json!("undefined"),
        "JavaScript is off: htmx never ran"
    );
    head.sign_in(HEAD, PASSWORD).await;
    head.wait_for_path(&link).await;
    assert_eq!(
        head.text("main h1").await,
        format!("{reference} Platform engineer")
    );
    approve_here(&head, "Fits the plan").await;
    head.wait_for_path("/approvals").await;
    assert_eq!(
        status(&app, id).await,
        "pending_approval",
        "finance is next"
    );

    // Finance opens the mailed link as it is: no password needed.
    let finance_link = mailed_url(&app, FINANCE).await;
    let finance_task = task_of(&finance_link);
    let finance = Browser::without_javascript().await;
    open_mailed_link(&finance, &finance_link).await;
    see(
        &finance,
        "the decision form",
        "//h2[normalize-space()='Your decision']",
    )
    .await;
    assert_eq!(
        finance.text(".page-header p").await,
        "Step: Finance · Waiting"
    );
    approve_here(&finance, "Budgeted").await;
    finance
        .wait_for_path(&format!("/approvals/{finance_task}"))
        .await;
    assert_eq!(
        finance.text(".page-header p").await,
        "Step: Finance · Approved"
    );
    assert_eq!(
        trail(&finance).await,
        [
            "Department head: Hana Head — Approved: “Fits the plan”",
            "Finance: Finn Finance — Approved: “Budgeted”"
        ]
    );
    finance.close().await;
    assert_eq!(status(&app, id).await, "approved");

    // The result is visible to the signed-in head, from the decision page's
    // link to the whole requirement.
    head.goto(&app.url(&link)).await;
    head.wait_for_xpath("//main//a[normalize-space()='The whole requirement']")
        .await
        .click()
        .await
        .unwrap();
    head.wait_for_path(&format!("/requirements/{id}")).await;
    assert_eq!(head.text(".page-header .status").await, "Approved");
    assert!(
        head.texts("ol.timeline > li > p").await[0]
            .contains("completed the approval, now Approved")
    );
    head.close().await;
    eprintln!("browser approval without JavaScript: {:?}", began.elapsed());
}

#[tokio::test]
async fn requirement_and_approval_pages_fit_phone_and_laptop_screens() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let long = "Principal platform reliability engineer, payments infrastructure and observability";
    let mut drafts = Vec::new();
    for title in ["Platform engineer", "Data engineer"] {
        let hm = signed_in_as(&app, HM).await;
        drafts.push(draft(&app, &hm, &p.org, p.hm_id, title).await);
    }
    let id = submitted(&app, &p, long).await;
    // One recruiting, run by the head: three openings, one filled, the
    // first one's form open.
    let recruiting = drafts[1];
    sqlx::query(
        "with r as (update requirements set status = 'open', headcount = 3,
                           hiring_manager_id = (select id from users where email = $2)
                     where id = $1 returning id)
         insert into openings (requirement_id, status, hire_name, created_at)
         select r.id, case when k = 3 then 'filled' else 'open' end, case when k = 3 then 'Mina Okoro' end,
                now() - make_interval(mins => 3 - k)
           from r cross join generate_series(1, 3) k",
    )
    .bind(recruiting)
    .bind(HEAD)
    .execute(&app.pool)
    .await
    .unwrap();
    let link = mailed_url(&app, HEAD).await;
    let task = task_of(&link);

    // The head is also a hiring manager here, to see the form.
    sqlx::query("update users set roles = roles || '{hiring_manager}'::text[] where email = $1")
        .bind(HEAD)
        .execute(&app.pool)
        .await
        .unwrap();
    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/sign-in?next=%2Fapprovals%2F{task}")))
        .await;
    browser.sign_in(HEAD, PASSWORD).await;
    browser.wait_for_path(&format!("/approvals/{task}")).await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        for (name, path) in [
            ("requirements", "/requirements".to_owned()),
            ("requirements-new", "/requirements/new".to_owned()),
            ("requirement", format!("/requirements/{id}")),
            ("requirement-open", format!("/requirements/{recruiting}")),
            ("approval", format!("/approvals/{task}")),
            ("approvals", "/approvals".to_owned()),
            ("home", "/".to_owned()),
            ("notifications", "/notifications".to_owned()),
        ] {
            browser.goto(&app.url(&path)).await;
            browser.wait_for_path(&path).await;
            if name == "requirement-open" {
                browser
                    .wait_for("#openings summary")
                    .await
                    .click()
                    .await
                    .unwrap();
            }
            check_layout(&browser, name, width).await;
            if name == "requirements" {
                // The results come before the folded filters' contents, and
                // each row's status is in view without scrolling sideways.
                let placed = browser
                    .js(
                        "const row = document.querySelector('#requirement-results tbody tr');
                         const status = row.querySelector('.status').getBoundingClientRect();
                         return [row.getBoundingClientRect().top, status.right];",
                    )
                    .await;
                assert!(
                    placed[0].as_f64() < Some(500.0),
                    "first row at {placed} at {width}px"
                );
                assert!(
                    placed[1].as_f64() <= Some(f64::from(width)),
                    "status at {placed}"
                );
            }
            let scroll = browser
                .js("return document.documentElement.scrollWidth - window.innerWidth")
                .await;
            assert!(
                scroll.as_i64() <= Some(0),
                "{path} at {width}px scrolls sideways by {scroll}px"
            );
            full_page_screenshot(&browser, &format!("{name}-{width}-full"), width).await;
        }
    }
    // The head closes the first opening from that form, as a person would.
    let path = format!("/requirements/{recruiting}");
    browser.goto(&app.url(&path)).await;
    browser
        .wait_for("#openings summary")
        .await
        .click()
        .await
        .unwrap();
    browser.fill("#opening-1-reason", "Budget cut").await;
    browser.click_button("Close opening").await;
    wait_for_text(&browser, "#openings .opening-outcome", "Closed: Budget cut").await;
    assert_eq!(browser.texts("#openings h2 .hint").await, ["1 of 3 filled"]);
    browser.close().await;

    // Signed out: the decision page the mailed link opens, and the page the
    // same link shows once used.
    let anonymous = Browser::start().await;
    anonymous.goto(&link).await;
    for width in WIDTHS {
        set_width(&anonymous, width).await;
        check_layout(&anonymous, "approval-link", width).await;
    }
    open_mailed_link(&anonymous, &link).await;
    see(
        &anonymous,
        "the decision form",
        "//h2[normalize-space()='Your decision']",
    )
    .await;
    for width in WIDTHS {
        set_width(&anonymous, width).await;
        anonymous
            .goto(&app.url(&format!("/approvals/{task}")))
            .await;
        see(
            &anonymous,
            "the decision form",
            "//h2[normalize-space()='Your decision']",
        )
        .await;
        check_layout(&anonymous, "approval-by-link", width).await;
        full_page_screenshot(&anonymous, &format!("approval-by-link-{width}-full"), width).await;
    }
    anonymous.close().await;
    let used = Browser::start().await;
    for width in WIDTHS {
        set_width(&used, width).await;
        used.goto(&link).await;
        assert_eq!(used.text("main h1").await, "This link no longer works");
        check_layout(&used, "approval-link-used", width).await;
    }
    used.close().await;
}
