//! Browser tests of recruiting: a recruiter adds a candidate from their
//! resume, finds them by a word in it, drags their card along the board,
//! rejects others in bulk with a reason and hires; the board moves with the
//! form alone without JavaScript, and two browsers showing it move
//! together.

use crate::browser::{
    Browser, TIMEOUT, WIDTHS, check_layout, full_page_screenshot, set_width, signed_in,
};
use crate::harness::TestApp;
use crate::harness::documents;
use crate::harness::fixtures::{Chain, candidate_in, opened};
use fantoccini::actions::{InputSource as _, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use hiring_hare::domain::access::Role;
use std::time::{Duration, Instant};
use uuid::Uuid;

const RECRUITER: &str = "rita@example.com";

/// An open requirement (two openings) and a recruiter who signs in.
async fn recruiting(app: &TestApp) -> (Chain, Uuid) {
    let chain = opened(app).await;
    let recruiter = app
        .user(RECRUITER, "Rita Recruiter", &[Role::Recruiter])
        .await;
    (chain, recruiter)
}

/// Waits until the texts of `css` are `expected`.
async fn wait_for_texts(browser: &Browser, css: &str, expected: &[&str]) {
    let began = Instant::now();
    loop {
        let texts = browser.texts(css).await;
        if texts == expected {
            return;
        }
        if began.elapsed() > TIMEOUT {
            let at = browser.path_and_query().await;
            let flash = browser.texts(".flash").await;
            panic!("expected {expected:?} at {css}, still {texts:?} (at {at}, saying {flash:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The names on the cards of the board's `n`-th column (1: Applied).
fn column(n: usize) -> String {
    format!(".board-column:nth-child({n}) .card-item > a")
}

/// Drags the card of `name` onto the `n`-th column, with the mouse.
async fn drag(browser: &Browser, name: &str, n: usize) {
    // The page's script listens once the page has loaded (its URL changes
    // before that).
    let began = Instant::now();
    while browser.js("return document.readyState").await != "complete" {
        assert!(
            began.elapsed() < TIMEOUT,
            "the board never finished loading"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let card = browser
        .wait_for_xpath(&format!(
            "//li[contains(@class, 'card-item')][a[normalize-space()='{name}']]"
        ))
        .await;
    let target = browser
        .wait_for(&format!(".board-column:nth-child({n}) h2"))
        .await;
    // The card's top right corner: the card itself is the handle (its
    // link, checkbox and form are not).
    let (_, _, width, height) = card.rectangle().await.unwrap();
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: card.clone(),
            duration: None,
            x: width / 2.0 - 6.0,
            y: -height / 2.0 + 4.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(100)),
            x: 20.0,
            y: 0.0,
        })
        .then(PointerAction::MoveToElement {
            element: target,
            duration: Some(Duration::from_millis(300)),
            x: 0.0,
            y: 40.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    browser.client.perform_actions(mouse).await.unwrap();
}

#[tokio::test]
async fn a_recruiter_takes_a_requirement_from_open_to_filled_in_the_browser() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let (chain, recruiter) = recruiting(&app).await;
    let id = chain.requirement;
    let reference: String = sqlx::query_scalar(
        "update requirements set recruiter_id = $1 where id = $2 returning reference",
    )
    .bind(recruiter)
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Two others already in the pipeline, to reject together.
    let (other, _) = app.signed_in(Role::Recruiter).await;
    for name in ["Ben Dahl", "Cleo Marsh"] {
        candidate_in(&app, &other, id, name).await;
    }

    let browser = Browser::start().await;
    signed_in(&app, &browser, RECRUITER, "/candidates/new").await;
    // From a resume: upload it, and the form fills in once it is read.
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("ana-costa.pdf");
    std::fs::write(
        &resume,
        documents::pdf(&[
            "Ana Costa\nana.costa@mail.test\n+351 912 345 678\nQuokka platform engineer",
        ]),
    )
    .unwrap();
    browser
        .wait_for("#file")
        .await
        .send_keys(resume.to_str().unwrap())
        .await
        .unwrap();
    browser.click_button("Read the resume").await;
    browser.wait_for("#full_name").await;
    assert_eq!(browser.value("#emails").await, "ana.costa@mail.test");
    assert_eq!(browser.value("#phone").await, "+351 912 345 678");
    browser.fill("#full_name", "Ana Costa").await;
    browser.fill("#requirement_id", &reference).await;
    // Focused, the field loaded its suggestions: the requirements Rita
    // recruits for.
    let began = Instant::now();
    let suggested =
        "return [...document.querySelectorAll('#requirement-choices option')].map(o => o.value)";
    while browser.js(suggested).await != serde_json::json!([reference]) {
        assert!(began.elapsed() < TIMEOUT, "no suggestions loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.click_button("Add candidate").await;
    browser.wait_for(".flash.success").await;
    assert_eq!(browser.text("h1").await, "Ana Costa");
    assert_eq!(browser.texts(".files li > a").await, ["ana-costa.pdf"]);
    // Scrolled to, the history section reads the timeline in.
    browser
        .js("document.getElementById('history-heading').scrollIntoView(); return null")
        .await;
    browser
        .wait_for("#history-heading + div ol.timeline > li")
        .await;
    let events = browser.texts("ol.timeline > li > p").await;
    assert!(
        events.iter().any(|e| e.contains("added a file")),
        "{events:?}"
    );

    // Found by a word of the resume, as it is typed.
    browser.goto(&app.url("/candidates")).await;
    browser.fill("#q", "quokka").await;
    wait_for_texts(&browser, "#candidate-results tbody th a", &["Ana Costa"]).await;

    // On the board: dragged from Applied to Screening.
    let board = format!("/requirements/{id}/board");
    browser.goto(&app.url(&board)).await;
    wait_for_texts(
        &browser,
        &column(1),
        &["Ben Dahl", "Cleo Marsh", "Ana Costa"],
    )
    .await;
    drag(&browser, "Ana Costa", 2).await;
    wait_for_texts(&browser, &column(2), &["Ana Costa"]).await;
    assert_eq!(browser.text(".flash.success").await, "Moved to Screening.");

    // The two others rejected at once, with a reason.
    browser
        .wait_for(".bulk > summary")
        .await
        .click()
        .await
        .unwrap();
    for name in ["Ben Dahl", "Cleo Marsh"] {
        browser
            .wait_for(&format!("input[aria-label='Choose {name}']"))
            .await
            .click()
            .await
            .unwrap();
    }
    browser
        .choose("#bulk-action", "Reject, with a reason")
        .await;
    browser
        .choose("#bulk-reason", "We rejected them: Not enough experience")
        .await;
    browser.click_button("Apply to the chosen").await;
    wait_for_texts(&browser, ".flash.success", &["Rejected 2 candidates."]).await;
    assert!(browser.texts(&column(1)).await.is_empty());
    assert_eq!(
        browser.text(".board-column:nth-child(6) h2").await,
        "Rejected 2"
    );

    // Hired by the card's own form; one opening of two is filled.
    let ana = application_of(&app, "Ana Costa").await;
    browser.choose(&format!("#move-{ana}"), "Hired").await;
    browser
        .wait_for(&format!("#card-{ana} button"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_texts(
        &browser,
        ".flash.success",
        &["Hired: an opening is filled."],
    )
    .await;
    assert_eq!(
        browser.text(".board-column:nth-child(5) h2").await,
        "Hired 1"
    );

    // The pages at a phone's width and a laptop's.
    let profile = format!(
        "/candidates/{}",
        sqlx::query_scalar::<_, Uuid>("select candidate_id from applications where id = $1")
            .bind(ana)
            .fetch_one(&app.pool)
            .await
            .unwrap()
    );
    let ben: Uuid = sqlx::query_scalar("select id from candidates where full_name = 'Ben Dahl'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    other
        .post(&format!("/requirements/{id}/pipeline"), &[])
        .await
        .assert_redirect(&format!("/requirements/{id}/pipeline"));
    for width in WIDTHS {
        set_width(&browser, width).await;
        for (name, path) in [
            ("board", board.clone()),
            ("candidates", "/candidates?q=quokka".to_owned()),
            (
                "candidates-of-requirement",
                format!("/candidates?requirement={id}"),
            ),
            ("candidate", profile.clone()),
            ("candidate-history", format!("{profile}/history")),
            ("candidate-new", "/candidates/new".to_owned()),
            ("merge", format!("{profile}/merge?with={ben}")),
            (
                "requirement-pipeline",
                format!("/requirements/{id}/pipeline"),
            ),
        ] {
            browser.goto(&app.url(&path)).await;
            browser.wait_for("main h1").await;
            check_layout(&browser, name, width).await;
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
    browser.close().await;
    let filled: i64 = sqlx::query_scalar(
        "select count(*) from openings where requirement_id = $1 and application_id = $2",
    )
    .bind(id)
    .bind(ana)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(filled, 1, "Ana Costa's hire fills one opening");
}

/// The application of the candidate named `name` (one each here).
async fn application_of(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar(
        "select a.id from applications a join candidates c on c.id = a.candidate_id where c.full_name = $1",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_board_moves_a_card_by_its_form_without_javascript() {
    let app = TestApp::spawn().await;
    let (chain, _) = recruiting(&app).await;
    let id = chain.requirement;
    let (other, _) = app.signed_in(Role::Recruiter).await;
    candidate_in(&app, &other, id, "Ana Costa").await;
    let ana = application_of(&app, "Ana Costa").await;
    let browser = Browser::without_javascript().await;
    let board = format!("/requirements/{id}/board");
    signed_in(&app, &browser, RECRUITER, &board).await;
    browser.choose(&format!("#move-{ana}"), "Interview").await;
    browser
        .wait_for(&format!("#card-{ana} button"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_texts(&browser, ".flash.success", &["Moved to Interview."]).await;
    assert_eq!(browser.texts(&column(3)).await, ["Ana Costa"]);
    assert_eq!(browser.path_and_query().await, board);
    browser.close().await;
}

#[tokio::test]
async fn a_board_open_in_two_browsers_moves_together() {
    let app = TestApp::spawn().await;
    let (chain, _) = recruiting(&app).await;
    let id = chain.requirement;
    let (other, _) = app.signed_in(Role::Recruiter).await;
    candidate_in(&app, &other, id, "Ana Costa").await;
    let board = format!("/requirements/{id}/board");
    // The hiring manager watches; the recruiter moves.
    let watching = Browser::start().await;
    let hm: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(chain.hm_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    signed_in(&app, &watching, &hm, &board).await;
    wait_for_texts(&watching, &column(1), &["Ana Costa"]).await;
    let moving = Browser::start().await;
    signed_in(&app, &moving, RECRUITER, &board).await;
    crate::browser::wait_for_streams(&app, 2, &[&watching, &moving]).await;
    drag(&moving, "Ana Costa", 3).await;
    wait_for_texts(&moving, &column(3), &["Ana Costa"]).await;
    // Without reloading: the same page, its columns re-read live.
    watching.js("document.body.dataset.untouched = 'yes'").await;
    wait_for_texts(&watching, &column(3), &["Ana Costa"]).await;
    assert!(watching.texts(&column(1)).await.is_empty());
    assert_eq!(
        watching
            .js("return document.body.dataset.untouched || ''")
            .await,
        "yes",
        "the page was not reloaded"
    );
    watching.close().await;
    moving.close().await;
}

#[tokio::test]
async fn a_candidate_applies_without_javascript_and_the_board_shows_them_live() {
    let app = TestApp::spawn().await;
    let (chain, _) = recruiting(&app).await;
    let id = chain.requirement;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let posting = format!("/requirements/{id}/posting");
    admin
        .post(
            &posting,
            &[
                ("title", "Platform engineer"),
                ("description", "Run **our** platform."),
                ("remote_policy", "hybrid"),
                ("location", "Lisbon"),
                ("employment_type", "full_time"),
                ("pay_min", "60000"),
                ("pay_max", "80000"),
                ("currency", "EUR"),
                ("pay_period", "year"),
                ("version", "0"),
            ],
        )
        .await
        .assert_redirect(&posting);
    let slug: String = sqlx::query_scalar("select slug from postings where requirement_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let board = format!("/requirements/{id}/board");
    let watching = Browser::start().await;
    signed_in(&app, &watching, RECRUITER, &board).await;
    watching.js("document.body.dataset.untouched = 'yes'").await;
    crate::browser::wait_for_streams(&app, 1, &[&watching]).await;

    // A phone without JavaScript: the list, the job, the form.
    let phone = Browser::without_javascript().await;
    set_width(&phone, WIDTHS[0]).await;
    phone.goto(&app.url("/careers")).await;
    check_layout(&phone, "careers", WIDTHS[0]).await;
    phone
        .wait_for_xpath("//a[normalize-space()='Platform engineer']")
        .await
        .click()
        .await
        .unwrap();
    phone.wait_for_path(&format!("/careers/{slug}")).await;
    check_layout(&phone, "careers-job", WIDTHS[0]).await;
    full_page_screenshot(&phone, "careers-job-390-full", WIDTHS[0]).await;
    phone.fill("#full_name", "Ana Costa").await;
    phone.fill("#email", "ana.costa@mail.test").await;
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("ana-costa.pdf");
    std::fs::write(
        &resume,
        documents::pdf(&["Ana Costa\nQuokka platform engineer"]),
    )
    .unwrap();
    phone
        .wait_for("#file")
        .await
        .send_keys(resume.to_str().unwrap())
        .await
        .unwrap();
    phone.wait_for("#consent").await.click().await.unwrap();
    // A person takes a moment over a form; a script that posts at once is
    // turned away.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    phone.click_button("Send application").await;
    phone
        .wait_for_path(&format!("/careers/{slug}/applied"))
        .await;
    assert!(phone.text("h1").await.starts_with("Thank you"));
    phone.close().await;

    // On the recruiter's board at once, without a reload.
    wait_for_texts(&watching, &column(1), &["Ana Costa"]).await;
    assert_eq!(
        watching
            .js("return document.body.dataset.untouched || ''")
            .await,
        "yes",
        "the page was not reloaded"
    );
    // The careers pages at a laptop's width too.
    set_width(&watching, WIDTHS[1]).await;
    watching.goto(&app.url("/careers")).await;
    check_layout(&watching, "careers", WIDTHS[1]).await;
    watching.goto(&app.url(&format!("/careers/{slug}"))).await;
    check_layout(&watching, "careers-job", WIDTHS[1]).await;
    watching.close().await;

    // The publishing form and the company's settings, as an admin sees
    // them, at both widths.
    let admin = crate::browser::admin_browser(&app, &posting).await;
    for width in WIDTHS {
        set_width(&admin, width).await;
        for (name, path) in [
            ("posting", posting.as_str()),
            ("admin-careers", "/admin/careers"),
        ] {
            admin.goto(&app.url(path)).await;
            check_layout(&admin, name, width).await;
            full_page_screenshot(&admin, &format!("{name}-{width}-full"), width).await;
        }
    }
    admin.close().await;
}
